// Worker processes a dead master left behind. A worker whose master dies exits on its own
// (host.ts, on 'disconnect'), but until it has, it may still hold messages claimed: a new
// master whose runners recover those claims would hand the same message to two runners, and
// a post could go out twice. So a new master first makes sure the old workers are gone.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { HOST_ENTRY } from '../paths.js';
import { isAlive } from './pidfile.js';
import type { MasterStatusFile } from './status.js';

const WAIT_MS = 10_000;

/** The pids of the worker processes the last master's status file names that still run our host. */
function leftoverWorkers(statusFile: string): number[] {
  let status: MasterStatusFile;
  try {
    status = JSON.parse(readFileSync(statusFile, 'utf8')) as MasterStatusFile;
  } catch {
    return [];
  }
  const pids = new Set<number>();
  for (const r of status.runners ?? []) if (typeof r.pid === 'number' && r.pid > 0 && r.pid !== process.pid) pids.add(r.pid);
  // A pid the kernel has since given to another program is not ours to kill: the command line
  // must name our worker entry point (Linux; elsewhere nothing is killed).
  const entry = basename(HOST_ENTRY);
  return [...pids].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => basename(arg) === entry);
    } catch {
      return false;
    }
  });
}

/** Kills what the last master left running and waits until it is gone; returns the pids killed. */
export async function reapLeftoverWorkers(statusFile: string): Promise<number[]> {
  const pids = leftoverWorkers(statusFile);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  const deadline = Date.now() + WAIT_MS;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return pids;
}
