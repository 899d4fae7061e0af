// Worker processes a dead master left behind. A worker whose master dies exits on its own
// (host.ts, on 'disconnect'), but until it has, it may still hold messages claimed: a new
// master whose runners recover those claims would hand the same message to two runners, and
// a post could go out twice. So a new master first makes sure the old workers are gone.
import { readFileSync, statSync } from 'node:fs';
import { HOST_ENTRY } from '../paths.js';
import { isAlive } from './pidfile.js';
import type { MasterStatusFile } from './status.js';

const WAIT_MS = 10_000;

/** USER_HZ: /proc/PID/stat counts a process's start in these ticks since boot. */
const TICKS_PER_S = 100;

/** The fields of /proc/PID/stat after the command name (state first), or undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** When a process started (ms since the epoch), from /proc; undefined if it is gone. */
function startedAt(pid: number): number | undefined {
  const fields = statFields(pid);
  if (!fields) return undefined;
  try {
    const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Date.now() - uptimeS * 1000 + (Number(fields[19]) / TICKS_PER_S) * 1000;
  } catch {
    return undefined;
  }
}

/** The pids of the worker processes the last master's status file names that still run our host. */
function leftoverWorkers(statusFile: string): number[] {
  let status: MasterStatusFile;
  let writtenAt: number;
  try {
    status = JSON.parse(readFileSync(statusFile, 'utf8')) as MasterStatusFile;
    writtenAt = statSync(statusFile).mtimeMs;
  } catch {
    return [];
  }
  const pids = new Set<number>();
  for (const r of status.runners ?? [])
    if (typeof r.pid === 'number' && r.pid > 0 && r.pid !== process.pid) pids.add(r.pid);
  // A pid the kernel has since given to another process is not ours to kill, even another
  // mailman-ts server's worker: the command line must name our worker entry point, and the
  // process must have started before the status file that names it was written (a second of
  // slack for the clocks' granularity). Linux only; elsewhere nothing is killed.
  return [...pids].filter((pid) => {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(HOST_ENTRY)) return false;
    } catch {
      return false;
    }
    const started = startedAt(pid);
    return started !== undefined && started <= writtenAt + 1000;
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
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return pids;
}

/** Alive and not a zombie: a killed orphan stays one until init reaps it, and holds nothing. */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}
