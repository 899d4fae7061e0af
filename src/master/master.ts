// The master watcher: owns the pid-file lock, migrates the database, forks one process per
// runner slice and restarts any that dies (unlike Mailman 3.3.8, whose master leaves a
// runner killed by a signal down), with back-off and a cap on restarts in a window.
import { fork, ChildProcess } from 'node:child_process';
import { writeFileSync, readFileSync, rmSync, mkdirSync, renameSync, openSync, closeSync, writeSync, statSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.js';
import { RUNNER_DEFAULTS } from '../config/schema.js';
import { Services } from '../services/services.js';
import { logger } from '../logging.js';
import { RUNNER_ENTRY } from '../paths.js';
import { openCatalog } from '../runners/catalog.js';
import { readPid, isAlive } from './pidfile.js';
import { RESTART_WINDOW_MS, type MasterStatusFile } from './status.js';
import { applyServerUmask } from './umask.js';

interface Slice {
  name: string;
  slice: number;
  count: number;
  child?: ChildProcess;
  restarts: number[];
  startedAt?: number;
  gaveUp?: boolean;
  /** The current process reported ready. */
  ready?: boolean;
  /** Exits in a row before ready: a runner that cannot start (port taken, bad config...). */
  failedStarts: number;
  /** The back-off timer of a restart that is due. */
  restartTimer?: NodeJS.Timeout;
  lastExit?: { code: number | null; signal: string | null; at: string; before_ready: boolean };
}

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
      if (pid && pid !== process.pid && isAlive(pid)) throw new Error(`the master is already running (pid ${pid}); stop it with "mailman stop"`);
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
  logger('master').warn({ dir, was: mode.toString(8), now: (mode & ~0o007).toString(8) }, 'var was open to every user; closed it to others');
}

export async function runMaster(config: Config): Promise<void> {
  const log = logger('master');
  applyServerUmask();
  acquireLock(config);
  closeVarDir(config);
  const pidFile = config.path('paths', 'pid_file');
  const statusFile = join(config.runDir, 'master.json');
  mkdirSync(config.runDir, { recursive: true });

  // Migrate once here so the runners never race to create the schema.
  const services = await Services.open(config, { migrate: true });
  await services.close();
  // Only a report for the log: a chain that breaks the compiler itself must not stop the
  // master (the runners would never start, and nothing would say why); the in runner
  // reports the same files in the status file.
  try {
    const catalog = await openCatalog(config);
    for (const d of catalog.diagnostics().filter((x) => x.severity === 'error')) log.error({ diagnostic: d }, 'chain or pipeline does not compile');
  } catch (err) {
    log.error({ err }, 'could not check the chains and pipelines');
  }

  const slices: Slice[] = [];
  for (const name of Object.keys(RUNNER_DEFAULTS)) {
    if (!config.bool(`runner.${name}`, 'start')) continue;
    const count = config.int(`runner.${name}`, 'instances');
    for (let slice = 0; slice < count; slice++) slices.push({ name, slice, count, restarts: [], failedStarts: 0 });
  }

  let stopping = false;
  const started = new Date().toISOString();
  const writeStatus = () => {
    const status: MasterStatusFile = {
      pid: process.pid,
      started,
      runners: slices.map((s) => ({
        name: s.name,
        slice: s.slice,
        count: s.count,
        pid: s.child?.pid ?? null,
        restarts: s.restarts.length,
        restarted_at: s.restarts.map((t) => new Date(t).toISOString()),
        running: !!s.child,
        ready: !!s.ready,
        failed_starts: s.failedStarts,
        last_exit: s.lastExit ?? null,
        gave_up: !!s.gaveUp,
      })),
    };
    writeFileSync(statusFile + '.tmp', JSON.stringify(status, null, 2));
    renameSync(statusFile + '.tmp', statusFile);
  };

  const env = { ...process.env, MAILMAN_UNDER_MASTER_CONTROL: '1', ...(config.file ? { MAILMAN_CONFIG_FILE: config.file } : {}) };
  const startSlice = (s: Slice) => {
    const child = fork(RUNNER_ENTRY, [s.name, String(s.slice), String(s.count)], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    s.child = child;
    s.startedAt = Date.now();
    s.ready = false;
    log.info({ runner: s.name, slice: s.slice, pid: child.pid }, 'runner started');
    child.on('message', (m: { type?: string }) => {
      if (m?.type !== 'ready' || s.child !== child) return;
      s.ready = true;
      s.failedStarts = 0;
      writeStatus();
    });
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      const beforeReady = !s.ready;
      s.child = undefined;
      s.ready = false;
      s.lastExit = { code, signal, at: new Date().toISOString(), before_ready: beforeReady };
      if (beforeReady) s.failedStarts++;
      if (stopping) return writeStatus();
      const now = Date.now();
      s.restarts = s.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
      const max = config.int(`runner.${s.name}`, 'max_restarts');
      if (s.restarts.length >= max) {
        s.gaveUp = true;
        log.error({ runner: s.name, slice: s.slice, code, signal, restarts: s.restarts.length }, 'runner keeps dying; not restarting it (see the error log)');
        return writeStatus();
      }
      const delay = Math.min(30_000, 250 * 2 ** s.restarts.length);
      s.restarts.push(now);
      log.warn({ runner: s.name, slice: s.slice, code, signal, delayMs: delay }, 'runner exited; restarting');
      writeStatus();
      s.restartTimer = setTimeout(() => {
        s.restartTimer = undefined;
        if (!stopping) {
          startSlice(s);
          writeStatus();
        }
      }, delay);
    };
    child.on('exit', onExit);
    // A process that could not be forked at all (EAGAIN, ENOMEM) has no exit to wait for:
    // it is a failed start like any other, not an unhandled error that takes the master down.
    child.on('error', (err) => {
      log.error({ runner: s.name, slice: s.slice, err }, 'runner process error');
      if (child.pid === undefined) onExit(null, null);
    });
  };

  slices.forEach(startSlice);
  writeStatus();

  await new Promise<void>((resolve) => {
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'master stopping runners');
      // A restart still waiting out its back-off would keep the master alive for up to 30 s.
      for (const s of slices) clearTimeout(s.restartTimer);
      const alive = slices.map((s) => s.child).filter((c): c is ChildProcess => !!c && c.exitCode === null);
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
    // `mailman restart`: every runner restarts, the master stays.
    process.on('SIGUSR1', () => {
      if (stopping) return;
      log.info('restarting all runners');
      for (const s of slices) {
        s.restarts = [];
        s.gaveUp = false;
        s.failedStarts = 0;
        // A slice waiting out its back-off starts now, once: its timer must not start a second process.
        clearTimeout(s.restartTimer);
        s.restartTimer = undefined;
        if (s.child) s.child.kill('SIGTERM');
        else startSlice(s);
      }
    });
    process.on('SIGHUP', () => slices.forEach((s) => s.child?.kill('SIGHUP')));
  });
}
