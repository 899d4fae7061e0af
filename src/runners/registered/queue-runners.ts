// The queue runners by Mailman's names. Registration is light: a runner's implementation
// (and what it pulls in: the DSL, SMTP) is imported only by a process that starts it.
import { defineRunners, type Registry, type RunnerComponent } from '../../registry.js';
import type { QueueRunner, RunnerEnv } from '../runner.js';
import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import type { RunnerDefaults } from '../../config/schema.js';

/**
 * A live, watched catalog. Slice 0 of `in` speaks for all: it keeps the status file
 * `mailman status` reads and logs what does not compile (once, not once per process).
 */
async function live(config: Config, registry: Registry, reporter = false) {
  const { openLiveCatalog, DSL_STATUS_FILE } = await import('../../dsl/index.js');
  const opts = reporter ? { statusFile: join(config.runDir, DSL_STATUS_FILE) } : { log: false };
  return openLiveCatalog(config, registry, opts).watch();
}

type Make = (env: RunnerEnv, slice: number, count: number, registry: Registry) => Promise<QueueRunner>;

interface QueueRunnerSpec {
  name: string;
  description: string;
  defaults: RunnerDefaults;
  make: Make;
}

// In Mailman's order, which `mailman status` keeps. Every queue runner shares the `queues`
// process by default; the busy ones handle several messages at once.
const QUEUE_RUNNERS: QueueRunnerSpec[] = [
  {
    name: 'in',
    description: 'Moderation: runs the list start chain on incoming posts.',
    defaults: { process: 'queues', concurrency: 4 },
    make: async (env, s, c, r) => {
      const { IncomingRunner } = await import('../in.js');
      return new IncomingRunner(env, await live(env.config, r, s === 0), s, c);
    },
  },
  {
    name: 'pipeline',
    description: "Runs the list's pipeline of handlers on accepted posts.",
    defaults: { process: 'queues', concurrency: 4 },
    make: async (env, s, c, r) =>
      new (await import('../pipeline.js')).PipelineRunner(env, await live(env.config, r), s, c),
  },
  {
    name: 'out',
    description: 'Delivers prepared messages over SMTP.',
    defaults: { process: 'queues', concurrency: 4 },
    make: async (env, s, c) => new (await import('../out.js')).OutgoingRunner(env, s, c),
  },
  {
    name: 'virgin',
    description: 'Runs the virgin pipeline on mail the server generates.',
    defaults: { process: 'queues', concurrency: 2 },
    make: async (env, s, c, r) =>
      new (await import('../pipeline.js')).VirginRunner(env, await live(env.config, r), s, c),
  },
  {
    name: 'retry',
    description: 'Gives temporarily failed deliveries back to the out queue.',
    defaults: { process: 'queues', sleep_time: '15m' },
    make: async (env, s, c) => new (await import('../out.js')).RetryRunner(env, s, c),
  },
  {
    name: 'bounces',
    description: 'Recognises bounces to LIST-bounces, scores members, warns and removes them.',
    defaults: { process: 'queues', sleep_time: '1m' },
    make: async (env, s, c) => new (await import('../bounces.js')).BounceRunner(env, s, c),
  },
  {
    name: 'archive',
    description: 'Hands each post to the archivers the site enables and the list has on.',
    defaults: { process: 'queues' },
    make: async (env, s, c, r) => new (await import('../archive.js')).ArchiveRunner(env, r.archivers, s, c),
  },
  {
    name: 'command',
    description: 'Runs the email commands of mail to -request, -join, -leave and -confirm.',
    defaults: { process: 'queues' },
    make: async (env, s, c, r) => new (await import('../command.js')).CommandRunner(env, r.emailCommands, s, c),
  },
  {
    name: 'digest',
    description: "Builds and sends each issue of a list's MIME and plain digests.",
    defaults: { process: 'queues' },
    make: async (env, s, c) => new (await import('../digest.js')).DigestRunner(env, s, c),
  },
  {
    name: 'nntp',
    description: 'Posts the copies of gateway_to_news lists to their linked newsgroup over NNTP.',
    defaults: { process: 'queues' },
    make: async (env, s, c) => new (await import('../nntp.js')).NntpRunner(env, s, c),
  },
];

export default defineRunners(
  ...QUEUE_RUNNERS.map(({ name, description, defaults, make }): RunnerComponent => ({
    name,
    description,
    defaults,
    async start(env, { slice, count, blame }) {
      const runner = await make(env, slice, count, env.registry);
      await runner.start({ blame: blame ?? true });
      return { stop: () => runner.stop(), done: runner.done };
    },
  })),
);
