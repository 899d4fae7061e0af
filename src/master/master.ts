// The master watcher: owns the pid-file lock, migrates the database, forks one process per
// runner slice and restarts any that dies (unlike Mailman 3.3.8, whose master leaves a
// runner killed by a signal down), with back-off and a cap on restarts in a window.
import { fork, ChildProcess } from 'node:child_process';
import { writeFileSync, readFileSync, rmSync, mkdirSync, renameSync, openSync, closeSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.js';
import { RUNNER_DEFAULTS } from '../config/schema.js';
import { Services } from '../services/services.js';
import { logger } from '../logging.js';
import { RUNNER_ENTRY } from '../paths.js';
import { openCatalog } from '../runners/catalog.js';
import { readPid, isAlive } from './pidfile.js';

/** Restarts counted within this window; past [runner.X] max_restarts the slice stays down. */
const RESTART_WINDOW_MS = 10 * 60_000;

interface Slice {
  name: string;
  slice: number;
  count: number;
  child?: ChildProcess;
  restarts: number[];
  startedAt?: number;
  gaveUp?: boolean;
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

export async function runMaster(config: Config): Promise<void> {
  const log = logger('master');
  acquireLock(config);
  const pidFile = config.path('paths', 'pid_file');
  const statusFile = join(config.runDir, 'master.json');
  mkdirSync(config.runDir, { recursive: true });

  // Migrate once here so the runners never race to create the schema.
  const services = await Services.open(config, { migrate: true });
  await services.close();
  const catalog = await openCatalog(config);
  for (const d of catalog.diagnostics().filter((x) => x.severity === 'error')) log.error({ diagnostic: d }, 'chain or pipeline does not compile');

  const slices: Slice[] = [];
  for (const name of Object.keys(RUNNER_DEFAULTS)) {
    if (!config.bool(`runner.${name}`, 'start')) continue;
    const count = config.int(`runner.${name}`, 'instances');
    for (let slice = 0; slice < count; slice++) slices.push({ name, slice, count, restarts: [] });
  }

  let stopping = false;
  const writeStatus = () => {
    const status = {
      pid: process.pid,
      started: new Date().toISOString(),
      runners: slices.map((s) => ({ name: s.name, slice: s.slice, count: s.count, pid: s.child?.pid ?? null, restarts: s.restarts.length, running: !!s.child, gave_up: !!s.gaveUp })),
    };
    writeFileSync(statusFile + '.tmp', JSON.stringify(status, null, 2));
    renameSync(statusFile + '.tmp', statusFile);
  };

  const env = { ...process.env, MAILMAN_UNDER_MASTER_CONTROL: '1', ...(config.file ? { MAILMAN_CONFIG_FILE: config.file } : {}) };
  const startSlice = (s: Slice) => {
    const child = fork(RUNNER_ENTRY, [s.name, String(s.slice), String(s.count)], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    s.child = child;
    s.startedAt = Date.now();
    log.info({ runner: s.name, slice: s.slice, pid: child.pid }, 'runner started');
    child.on('exit', (code, signal) => {
      s.child = undefined;
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
      setTimeout(() => {
        if (!stopping) {
          startSlice(s);
          writeStatus();
        }
      }, delay);
    });
  };

  slices.forEach(startSlice);
  writeStatus();

  await new Promise<void>((resolve) => {
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'master stopping runners');
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
      log.info('restarting all runners');
      for (const s of slices) {
        s.restarts = [];
        s.gaveUp = false;
        if (s.child) s.child.kill('SIGTERM');
        else startSlice(s);
      }
    });
    process.on('SIGHUP', () => slices.forEach((s) => s.child?.kill('SIGHUP')));
  });
}
