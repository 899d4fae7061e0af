// The master watcher: owns the pid-file lock, has the database migrated, forks the worker
// processes of the plan (src/master/plan.ts) and restarts whatever dies (unlike Mailman
// 3.3.8, whose master leaves a runner killed by a signal down), with back-off and a cap on
// restarts in a window, per runner: a runner whose loop dies is restarted inside its process.
// The master loads neither the database layer nor the compiler: it lives as long as the
// server, and every megabyte it holds is held all that time.
import { fork, ChildProcess } from 'node:child_process';
import { rmSync, mkdirSync, openSync, closeSync, writeSync, statSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomically } from '../queue/atomic-file.js';
import type { Config } from '../config/config.js';
import { logger } from '../logging.js';
import { HOST_ENTRY, PREPARE_ENTRY } from '../paths.js';
import { planProcesses, sliceArg, sliceId, type ProcessPlan, type RunnerSlice } from './plan.js';
import type { HostToMaster, MasterToHost } from './host-protocol.js';
import { readPid, isAlive } from './pidfile.js';
import { reapLeftoverWorkers } from './leftovers.js';
import { RESTART_WINDOW_MS, type MasterStatusFile } from './status.js';
import { applyServerUmask } from './umask.js';

/** Takes the pid file as a lock; a lock left by a dead master is taken over. */
function acquireLock(config: Config): void {
  const file = config.path('paths', 'pid_file');
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = readPid(config);
      if (pid && pid !== process.pid && isAlive(pid))
        throw new Error(`the master is already running (pid ${pid}); stop it with "mailman stop"`);
      logger('master').warn({ stalePid: pid }, 'removing stale master lock');
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot take the master lock ${file}`);
}

/**
 * Files written before the umask was set (an older version, or by hand) keep their modes;
 * taking "others" off var itself makes everything below it unreachable to them at once.
 */
function closeVarDir(config: Config): void {
  const dir = config.varDir;
  mkdirSync(dir, { recursive: true });
  const mode = statSync(dir).mode & 0o777;
  if (!(mode & 0o007)) return;
  chmodSync(dir, mode & ~0o007);
  logger('master').warn(
    { dir, was: mode.toString(8), now: (mode & ~0o007).toString(8) },
    'var was open to every user; closed it to others',
  );
}

/** One runner slice as the master tracks it: where it lives, whether it works, its history. */
interface RunnerState extends RunnerSlice {
  id: string;
  proc: ProcState;
  /** Started in the current process and not reported dead since. */
  running: boolean;
  ready: boolean;
  restarts: number[];
  /** Exits in a row before ready: a runner that cannot start (port taken, bad config...). */
  failedStarts: number;
  gaveUp: boolean;
  /** An in-process restart waiting out its back-off. */
  restartTimer?: NodeJS.Timeout;
  lastExit?: { code: number | null; signal: string | null; at: string; before_ready: boolean; error?: string };
}

/** One worker process and the runners it hosts. */
interface ProcState {
  plan: ProcessPlan;
  runners: RunnerState[];
  child?: ChildProcess;
  restartTimer?: NodeJS.Timeout;
  /** The last process here crashed (rather than was killed from outside). */
  crashed: boolean;
}

/** Exits that come from outside the process: nothing it was handling is to blame. */
const EXTERNAL_SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

/**
 * V8's young generation grows to 16 MB semi-spaces under a steady stream of short-lived
 * objects (every message parsed, every row read); capped at 4 MB the peak PSS of the server
 * under the M=1000 load fell from 256 to 207 MB for ~5% more CPU (docs/architecture.md).
 * MAILMAN_WORKER_EXEC_ARGV replaces it, for measuring.
 */
const WORKER_EXEC_ARGV = (process.env.MAILMAN_WORKER_EXEC_ARGV ?? '--max-semi-space-size=4')
  .split(/\s+/)
  .filter(Boolean);

const restartDelay = (restarts: number) => Math.min(30_000, 250 * 2 ** restarts);

export async function runMaster(config: Config): Promise<void> {
  const log = logger('master');
  applyServerUmask();
  acquireLock(config);
  closeVarDir(config);
  const pidFile = config.path('paths', 'pid_file');
  const statusFile = join(config.runDir, 'master.json');
  mkdirSync(config.runDir, { recursive: true });
  const reaped = await reapLeftoverWorkers(statusFile);
  if (reaped.length) log.warn({ pids: reaped }, 'killed worker processes a dead master left running');

  const env = {
    ...process.env,
    MAILMAN_UNDER_MASTER_CONTROL: '1',
    ...(config.file ? { MAILMAN_CONFIG_FILE: config.file } : {}),
  };
  let plans: ProcessPlan[];
  try {
    plans = planProcesses(config);
    await prepare(env);
  } catch (err) {
    rmSync(pidFile, { force: true });
    throw err;
  }

  const procs: ProcState[] = plans.map((plan) => ({ plan, runners: [], crashed: false }));
  const runners: RunnerState[] = [];
  for (const proc of procs) {
    for (const r of proc.plan.runners) {
      const state: RunnerState = {
        ...r,
        id: sliceId(r),
        proc,
        running: false,
        ready: false,
        restarts: [],
        failedStarts: 0,
        gaveUp: false,
      };
      proc.runners.push(state);
      runners.push(state);
    }
  }
  // The status file lists runners in Mailman's order (in, pipeline, out...), not by process.
  const order = config.runnerNames();
  runners.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name) || a.slice - b.slice);

  let stopping = false;
  const started = new Date().toISOString();
  const writeStatus = () => {
    const status: MasterStatusFile = {
      pid: process.pid,
      started,
      runners: runners.map((r) => ({
        name: r.name,
        slice: r.slice,
        count: r.count,
        process: r.proc.plan.key,
        pid: r.running ? (r.proc.child?.pid ?? null) : null,
        restarts: r.restarts.length,
        restarted_at: r.restarts.map((t) => new Date(t).toISOString()),
        running: r.running,
        ready: r.ready,
        failed_starts: r.failedStarts,
        last_exit: r.lastExit ?? null,
        gave_up: r.gaveUp,
      })),
    };
    writeFileAtomically(statusFile, JSON.stringify(status, null, 2));
  };

  /**
   * Records that a runner stopped working and decides its fate: given up past
   * [runner.NAME] max_restarts within the window, else the back-off before it starts again.
   */
  const recordExit = (r: RunnerState, exit: NonNullable<RunnerState['lastExit']>): number | undefined => {
    r.running = false;
    r.ready = false;
    r.lastExit = exit;
    if (exit.before_ready) r.failedStarts++;
    const now = Date.now();
    r.restarts = r.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (r.restarts.length >= config.int(`runner.${r.name}`, 'max_restarts')) {
      r.gaveUp = true;
      log.error(
        { runner: r.id, ...exit, restarts: r.restarts.length },
        'runner keeps dying; not restarting it (see the error log)',
      );
      return undefined;
    }
    const delay = restartDelay(r.restarts.length);
    r.restarts.push(now);
    return delay;
  };

  const startProc = (proc: ProcState) => {
    const todo = proc.runners.filter((r) => !r.gaveUp);
    if (!todo.length) return;
    const child = fork(HOST_ENTRY, [proc.plan.key, ...todo.map(sliceArg)], {
      execArgv: [...process.execArgv, ...WORKER_EXEC_ARGV],
      // Several runners share a process and each queue write ends in fsyncs, which run on
      // libuv's thread pool: the default four would queue the runners behind one another.
      env: { UV_THREADPOOL_SIZE: '8', ...env, MAILMAN_RECOVERY_BLAME: proc.crashed ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.child = child;
    for (const r of todo) {
      r.running = true;
      r.ready = false;
    }
    log.info({ process: proc.plan.key, pid: child.pid, runners: todo.map((r) => r.id) }, 'worker process started');
    child.on('message', (m: HostToMaster) => {
      if (proc.child !== child || stopping) return;
      const r = proc.runners.find((x) => x.id === m?.runner);
      if (!r) return;
      if (m.type === 'ready') {
        r.ready = true;
        r.failedStarts = 0;
      } else if (m.type === 'exited') {
        const delay = recordExit(r, {
          code: null,
          signal: null,
          at: new Date().toISOString(),
          before_ready: m.beforeReady,
          error: m.error,
        });
        if (delay !== undefined) {
          log.warn(
            { runner: r.id, process: proc.plan.key, error: m.error, delayMs: delay },
            'runner stopped; restarting it in its process',
          );
          r.restartTimer = setTimeout(() => {
            r.restartTimer = undefined;
            if (stopping || proc.child !== child || r.gaveUp) return;
            r.running = true;
            child.send({ type: 'start', runner: sliceArg(r) } satisfies MasterToHost);
            writeStatus();
          }, delay);
        }
      }
      writeStatus();
    });
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      proc.child = undefined;
      // A crash (an exception, an abort, V8 out of memory) may be a message's doing; a
      // signal from outside is not, and whole-server crashes must not use up strikes.
      proc.crashed = signal ? !EXTERNAL_SIGNALS.has(signal) : code !== 0;
      const at = new Date().toISOString();
      let delay = 0;
      for (const r of proc.runners) {
        clearTimeout(r.restartTimer);
        r.restartTimer = undefined;
        if (!r.running) continue;
        const d = stopping ? undefined : recordExit(r, { code, signal, at, before_ready: !r.ready });
        if (d !== undefined) delay = Math.max(delay, d);
      }
      if (stopping) return writeStatus();
      log.warn({ process: proc.plan.key, code, signal, delayMs: delay }, 'worker process exited; restarting');
      writeStatus();
      proc.restartTimer = setTimeout(() => {
        proc.restartTimer = undefined;
        if (!stopping) {
          startProc(proc);
          writeStatus();
        }
      }, delay);
    };
    child.on('exit', onExit);
    // A process that could not be forked at all (EAGAIN, ENOMEM) has no exit to wait for:
    // it is a failed start like any other, not an unhandled error that takes the master down.
    child.on('error', (err) => {
      log.error({ process: proc.plan.key, err }, 'worker process error');
      if (child.pid === undefined) onExit(null, null);
    });
  };

  procs.forEach(startProc);
  writeStatus();

  await new Promise<void>((resolve) => {
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'master stopping runners');
      // A restart still waiting out its back-off would keep the master alive for up to 30 s.
      for (const p of procs) clearTimeout(p.restartTimer);
      for (const r of runners) clearTimeout(r.restartTimer);
      const alive = procs.map((p) => p.child).filter((c): c is ChildProcess => !!c && c.exitCode === null);
      await Promise.all(
        alive.map(
          (c) =>
            new Promise<void>((done) => {
              const kill = setTimeout(() => c.kill('SIGKILL'), 20_000);
              c.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
      rmSync(statusFile, { force: true });
      rmSync(pidFile, { force: true });
      log.info('master stopped');
      resolve();
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
    // `mailman restart`: every worker process restarts, the master stays.
    process.on('SIGUSR1', () => {
      if (stopping) return;
      log.info('restarting all runners');
      for (const r of runners) {
        r.restarts = [];
        r.gaveUp = false;
        r.failedStarts = 0;
        clearTimeout(r.restartTimer);
        r.restartTimer = undefined;
      }
      for (const p of procs) {
        // A process waiting out its back-off starts now, once: its timer must not start a second one.
        clearTimeout(p.restartTimer);
        p.restartTimer = undefined;
        p.crashed = false;
        if (p.child) p.child.kill('SIGTERM');
        else startProc(p);
      }
      writeStatus();
    });
    process.on('SIGHUP', () => procs.forEach((p) => p.child?.kill('SIGHUP')));
  });
}

/** Migrates and checks in a process of its own; its failure is the start's failure. */
function prepare(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(PREPARE_ENTRY, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `preparing the database failed (${signal ?? `exit code ${code}`}); see the error above and the error log`,
            ),
          ),
    );
  });
}
