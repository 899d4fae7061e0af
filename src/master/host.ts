// A worker process: hosts one or more runner slices, forked by the master as
// `host.js PROCESS-KEY NAME:SLICE:COUNT...` with the master's configuration in
// MAILMAN_CONFIG_FILE. The runners share the process's database connection and event loop;
// each is started, reported and restarted on its own, so one runner that cannot start or
// whose loop dies leaves the others working while the master decides when to retry it.
import { Config } from '../config/config.js';
import { configureLogging, logger } from '../logging.js';
import { Services } from '../services/services.js';
import { buildRegistry, runnerTable, type RunnerHandle } from '../registry.js';
import { applyServerUmask } from './umask.js';
import { parseSliceArg, sliceId, type RunnerSlice } from './plan.js';
import type { HostToMaster, MasterToHost } from './host-protocol.js';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

async function main(): Promise<void> {
  // Inherited from the master already; set again so a runner started any other way is no
  // laxer (a thread shares its process's umask and may not set it).
  if (isMainThread) applyServerUmask();
  const [key = 'runner:0', ...sliceArgs] = process.argv.slice(2);
  const slices = sliceArgs.map(parseSliceArg);
  const config = Config.load({ file: Config.locate(), runners: await runnerTable() });
  configureLogging(config, key);
  const log = logger('runner').child({ process: key });
  // The master says whether the last process in this place died of something a message may
  // have caused (a crash); only then does a message found claimed count against it.
  const blame = process.env.MAILMAN_RECOVERY_BLAME === '1';
  if (isMainThread && process.env.MAILMAN_RUNNER_THREADS === '1' && slices.length > 1)
    return runInThreads(key, sliceArgs);
  const registry = await buildRegistry({ runners: true });
  const services = await Services.open(config, { migrate: false });
  const send = (m: HostToMaster) => (isMainThread ? process.send?.(m) : parentPort?.postMessage(m));

  const running = new Map<string, RunnerHandle>();
  const starting = new Set<string>();
  let stopping = false;

  const start = async (r: RunnerSlice, blameThis: boolean) => {
    const id = sliceId(r);
    if (running.has(id) || starting.has(id) || stopping) return;
    starting.add(id);
    const rlog = log.child({ runner: `${r.name}:${r.slice}:${r.count}` });
    let handle: RunnerHandle;
    try {
      const component = registry.runners.get(r.name);
      if (!component) throw new Error(`no runner named "${r.name}" (known: ${registry.runners.names().join(', ')})`);
      const where = { slice: r.slice, count: r.count, blame: blameThis };
      handle = await component.start({ config, services, registry }, where);
    } catch (err) {
      starting.delete(id);
      rlog.error({ err }, 'runner failed to start');
      logger('error').error({ err, runner: id }, 'runner failed to start');
      send({ type: 'exited', runner: id, beforeReady: true, error: (err as Error).message ?? String(err) });
      return;
    }
    starting.delete(id);
    running.set(id, handle);
    rlog.info('runner started');
    send({ type: 'ready', runner: id });
    // A loop that dies is this runner's failure alone: the master restarts it after its
    // back-off, in this same process, and the other runners here never notice.
    handle.done?.then(
      () => undefined,
      async (err: unknown) => {
        if (running.get(id) !== handle) return;
        running.delete(id);
        rlog.error({ err }, 'runner loop failed');
        logger('error').error({ err, runner: id }, 'runner loop failed');
        await handle.stop().catch(() => undefined);
        send({ type: 'exited', runner: id, beforeReady: false, error: (err as Error)?.message ?? String(err) });
      },
    );
  };

  const onMessage = (m: MasterToHost | { type: 'stop' }) => {
    if (m?.type === 'start') {
      const r = parseSliceArg(m.runner);
      if (slices.some((x) => sliceId(x) === sliceId(r))) void start(r, true);
    } else if (m?.type === 'stop') void stop('stop');
  };
  if (isMainThread) process.on('message', onMessage);
  else parentPort?.on('message', onMessage);

  await Promise.all(slices.map((r) => start(r, blame)));

  // Declared before use by onMessage's 'stop'; hoisting would do, clarity does better.
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'process stopping');
    try {
      await Promise.all(
        [...running.values()].map((h) => h.stop().catch((err) => log.error({ err }, 'runner did not stop cleanly'))),
      );
      await services.close();
    } finally {
      process.exit(0);
    }
  };
  if (!isMainThread) return;
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Log files are opened per write; nothing to reopen, but SIGHUP must not kill us.
  process.on('SIGHUP', () => log.info('SIGHUP'));
  // The master is gone (even killed -9): leave at once, as if killed with it. Finishing the
  // messages in hand would race a new master, whose runners recover the same claims.
  process.on('disconnect', () => {
    log.warn('master went away; exiting, messages in hand stay claimed for recovery');
    process.exit(1);
  });
}

/**
 * One process, a worker thread per runner: measured as the option (b) and kept as an
 * experiment (MAILMAN_RUNNER_THREADS=1); see docs/architecture.md for why it is not the default.
 */
async function runInThreads(key: string, sliceArgs: string[]): Promise<void> {
  const env = { ...process.env };
  delete env.MAILMAN_RUNNER_THREADS;
  const workers = sliceArgs.map((arg) => {
    const w = new Worker(new URL(import.meta.url), { argv: [key, arg], env });
    w.on('message', (m: HostToMaster) => process.send?.(m));
    w.on('error', (err) => console.error(`mailman worker thread ${arg}: ${err.stack ?? err}`));
    return w;
  });
  // A thread that dies takes its runner with it: the process exits, so the master restarts all.
  workers.forEach((w) => w.on('exit', () => !stopping && process.exit(1)));
  let stopping = false;
  process.on('message', (m: MasterToHost) => {
    if (m?.type === 'start') workers.forEach((w) => w.postMessage(m));
  });
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((done) => {
            w.once('exit', done);
            w.postMessage({ type: 'stop' });
          }),
      ),
    );
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('SIGHUP', () => undefined);
  process.on('disconnect', () => void stop());
}

main().catch((err) => {
  try {
    logger('error').fatal({ err }, 'worker process failed to start');
  } catch {
    /* logging itself may be what failed */
  }
  console.error(`mailman worker ${process.argv.slice(2).join(' ')}: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
