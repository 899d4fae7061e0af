// `node dist/bench/in-runner.js [--messages=2000]`: the `in` runner alone, in process, on
// the default posting chain: N queue files waiting in `in`, one IncomingRunner, and the clock
// stops when the last one has left for the pipeline queue (accepted) or the held-message
// store (held). Queue reads, parsing, every rule of the chain, the effect and the fsynced
// write of the next queue file are all inside the figure. Figures only.
import { performance } from 'node:perf_hooks';
import { IncomingRunner } from '../src/runners/in.js';
import { openLiveCatalog } from '../src/dsl/index.js';
import { makePost } from '../test/helpers/lmtp-client.js';
import { scratchSite } from './scratch-site.js';
import { buildRegistry } from '../src/registry.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const N = Number(args.get('messages') ?? 2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(kind: 'member' | 'nonmember'): Promise<number> {
  const site = await scratchSite('in');
  try {
    const { config, services, mlist } = site;
    // No poster or moderator notices for the held case: the figure is the chain's, not the virgin queue's.
    await services.lists.update(mlist, { respond_to_post_requests: false, admin_immed_notify: false });
    for (let i = 0; i < 10; i++)
      await services.members.subscribe(mlist, `member${i}@bench.example`, { verified: true });
    const inq = services.queues.get('in');
    for (let i = 0; i < N; i++) {
      const from = kind === 'member' ? `member${i % 10}@bench.example` : `stranger${i}@elsewhere.example`;
      const raw = Buffer.from(
        makePost({
          from,
          to: 'bench@bench.example',
          subject: `post ${i}`,
          messageId: `<in-${kind}-${i}@bench.example>`,
        }),
      );
      await inq.enqueue(raw, {
        listid: mlist.list_id,
        original_size: raw.length,
        received_time: Date.now(),
        to_list: true,
      });
    }
    const catalog = openLiveCatalog(config, await buildRegistry(), { log: false });
    const runner = new IncomingRunner({ config, services }, catalog, 0, 1);
    const t0 = performance.now();
    await runner.start();
    const done = async () =>
      kind === 'member'
        ? services.queues.get('pipeline').files().length >= N
        : (await services.requests.heldMessages(mlist.list_id)).length >= N;
    while (inq.files().length > 0 || !(await done())) await sleep(2);
    const ms = performance.now() - t0;
    await runner.stop();
    return ms;
  } finally {
    await site.close();
  }
}

const accepted = await run('member');
const held = await run('nonmember');
const figures = {
  messages: N,
  in_runner_member_posts_per_s: Math.round((N / accepted) * 1000),
  in_runner_member_post_ms: +(accepted / N).toFixed(3),
  in_runner_nonmember_held_per_s: Math.round((N / held) * 1000),
  in_runner_nonmember_held_ms: +(held / N).toFixed(3),
};
console.log(JSON.stringify(figures, null, 2));
console.log(
  `\nin runner alone, default posting chain: ${figures.in_runner_member_posts_per_s} member posts/s accepted, ${figures.in_runner_nonmember_held_per_s} non-member posts/s held`,
);
