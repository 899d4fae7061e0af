// The queue runners by Mailman's names: each worker process runs one slice of one queue.
import { registry } from '../../registry.js';
import type { QueueRunner, RunnerEnv } from '../runner.js';
import { IncomingRunner } from '../in.js';
import { PipelineRunner, VirginRunner } from '../pipeline.js';
import { OutgoingRunner, RetryRunner } from '../out.js';
import { join } from 'node:path';
import { openLiveCatalog, DSL_STATUS_FILE } from '../catalog.js';
import type { Config } from '../../config/config.js';

/**
 * A live, watched catalog. Slice 0 of `in` speaks for all: it keeps the status file
 * `mailman status` reads and logs what does not compile (once, not once per process).
 */
const live = async (config: Config, reporter = false) => (await openLiveCatalog(config, reporter ? { statusFile: join(config.runDir, DSL_STATUS_FILE) } : { log: false })).watch();

type Make = (env: RunnerEnv, slice: number, count: number) => Promise<QueueRunner>;

const QUEUE_RUNNERS: [string, string, Make][] = [
  ['in', 'Moderation: runs the list start chain on incoming posts.', async (env, s, c) => new IncomingRunner(env, await live(env.config, s === 0), s, c)],
  ['pipeline', "Runs the list's pipeline of handlers on accepted posts.", async (env, s, c) => new PipelineRunner(env, await live(env.config), s, c)],
  ['virgin', 'Runs the virgin pipeline on mail the server generates.', async (env, s, c) => new VirginRunner(env, await live(env.config), s, c)],
  ['out', 'Delivers prepared messages over SMTP.', async (env, s, c) => new OutgoingRunner(env, s, c)],
  ['retry', 'Gives temporarily failed deliveries back to the out queue.', async (env, s, c) => new RetryRunner(env, s, c)],
];

for (const [name, description, make] of QUEUE_RUNNERS) {
  registry.runners.register({
    name,
    description,
    async start(env, { slice, count }) {
      const runner = await make(env, slice, count);
      await runner.start();
      return { stop: () => runner.stop() };
    },
  });
}
