// What a new master kills of a dead one's workers: only processes that run our worker entry
// point and were already running when the dead master's status file named them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapLeftoverWorkers } from '../../src/master/leftovers.js';
import { HOST_ENTRY } from '../../src/paths.js';
import { isAlive } from '../../src/master/pidfile.js';

/** A process whose command line names the worker entry point without being one. */
function lookalike(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', HOST_ENTRY], { stdio: 'ignore' });
}

function statusFile(dir: string, pids: number[], writtenSecondsAgo: number): string {
  const file = join(dir, 'master.json');
  writeFileSync(
    file,
    JSON.stringify({
      pid: 1,
      started: new Date().toISOString(),
      runners: pids.map((pid, i) => ({ name: `r${i}`, slice: 0, count: 1, process: 'queues:0', pid })),
    }),
  );
  const t = new Date(Date.now() - writtenSecondsAgo * 1000);
  utimesSync(file, t, t);
  return file;
}

test('a worker the dead master named is killed; another program, or a process started since, is left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-leftovers-'));
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  const recycled = lookalike();
  const worker = lookalike();
  try {
    // 'spawn' comes once the new program is running: its command line is its own, not ours.
    await Promise.all([other, recycled, worker].map((c) => once(c, 'spawn')));
    // Named an hour before the lookalike started: its pid was given out again since.
    assert.deepEqual(await reapLeftoverWorkers(statusFile(dir, [other.pid!, recycled.pid!, 999_999_999], 3600)), []);
    assert.ok(isAlive(other.pid!) && isAlive(recycled.pid!));
    // Named after it started: a leftover worker, killed and waited for.
    assert.deepEqual(await reapLeftoverWorkers(statusFile(dir, [other.pid!, worker.pid!], 0)), [worker.pid]);
    if (worker.exitCode === null && worker.signalCode === null) await new Promise((r) => worker.once('exit', r));
    assert.equal(worker.signalCode, 'SIGKILL');
    assert.ok(isAlive(other.pid!), 'not our program: never killed');
    // No status file (a clean stop removes it): nothing to do.
    assert.deepEqual(await reapLeftoverWorkers(join(dir, 'absent.json')), []);
  } finally {
    for (const c of [other, recycled, worker]) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
