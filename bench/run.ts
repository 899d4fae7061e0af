// `npm run bench`: the real server (master, runners) on ephemeral ports, a real SMTP sink,
// posts over LMTP. Prints posts/s, deliveries/s and single-message latency. Figures only;
// nothing here asserts on time.
import { performance } from 'node:perf_hooks';
import { TestServer } from '../test/helpers/server.js';
import { SmtpSink } from '../test/helpers/smtp-sink.js';
import { makePost, LmtpSession } from '../test/helpers/lmtp-client.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const M = Number(args.get('members') ?? 1000);
const N = Number(args.get('messages') ?? 200);
const extraConfig = (args.get('config') ?? '').replace(/\\n/g, '\n');

async function addMembers(server: TestServer, listId: string, count: number, domain: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const res = await server.rest('POST', '/members', { list_id: listId, subscriber: `member${i}@${domain}`, pre_verified: true, pre_confirmed: true, pre_approved: true });
    if (res.status !== 201) throw new Error(`subscribe failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return performance.now() - t0;
}

async function latency(server: TestServer, sink: SmtpSink, list: string, members: number, tag: string): Promise<number> {
  const id = `<latency-${tag}-${Date.now()}@bench.example>`;
  const lmtp = await LmtpSession.open(server.lmtpPort); // connection set-up is the MTA's, not ours
  const t0 = performance.now();
  await lmtp.send('member0@bench.example', [list], makePost({ from: 'member0@bench.example', to: list, subject: `latency ${tag}`, messageId: id }));
  await sink.waitFor(() => sink.received.filter((r) => r.msg.messageId === id).reduce((n, r) => n + r.to.length, 0) >= members, 60_000, 'latency post');
  lmtp.close();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const sink = await new SmtpSink().start();
  const server = await TestServer.start({ smtpPort: sink.port, config: extraConfig });
  try {
    await server.rest('POST', '/domains', { mail_host: 'bench.example' });
    await server.rest('POST', '/lists', { fqdn_listname: 'small@bench.example' });
    await server.rest('POST', '/lists', { fqdn_listname: 'bench@bench.example' });
    await addMembers(server, 'small.bench.example', 10, 'bench.example');
    const subscribeMs = await addMembers(server, 'bench.bench.example', M, 'bench.example');
    const r0 = performance.now();
    const roster = await server.rest('GET', '/lists/bench.bench.example/roster/member');
    const rosterMs = performance.now() - r0;
    if (roster.body.total_size !== M) throw new Error(`roster has ${roster.body.total_size} members, expected ${M}`);

    const lat10 = await latency(server, sink, 'small@bench.example', 10, 'small');
    const latM = await latency(server, sink, 'bench@bench.example', M, 'big');

    const before = sink.deliveries;
    const t0 = performance.now();
    let lmtpMs = 0;
    // One connection for all posts, as an MTA's LMTP connection cache (and Mailman's bench) does.
    const lmtp = await LmtpSession.open(server.lmtpPort);
    for (let i = 0; i < N; i++) {
      await lmtp.send('member0@bench.example', ['bench@bench.example'], makePost({ from: 'member0@bench.example', to: 'bench@bench.example', subject: `post ${i}`, messageId: `<bench-${i}-${Date.now()}@bench.example>` }));
      if (i === N - 1) lmtpMs = performance.now() - t0;
    }
    lmtp.close();
    await sink.waitFor(() => sink.deliveries - before >= N * M, 600_000, 'all deliveries');
    const totalMs = performance.now() - t0;

    const figures = {
      members: M,
      messages: N,
      subscribe_s: +(subscribeMs / 1000).toFixed(2),
      roster_get_ms: Math.round(rosterMs),
      lmtp_accept_posts_per_s: +((N / lmtpMs) * 1000).toFixed(1),
      first_post_to_last_delivery_s: +(totalMs / 1000).toFixed(2),
      posts_per_s: +((N / totalMs) * 1000).toFixed(1),
      deliveries_per_s: Math.round(((N * M) / totalMs) * 1000),
      latency_one_post_10_members_ms: Math.round(lat10),
      [`latency_one_post_${M}_members_ms`]: Math.round(latM),
    };
    console.log(JSON.stringify(figures, null, 2));
    console.log(`\nM=${M} N=${N}: ${figures.posts_per_s} posts/s, ${figures.deliveries_per_s} deliveries/s, ` +
      `first post -> last delivery ${figures.first_post_to_last_delivery_s} s; one post to 10 members: ${figures.latency_one_post_10_members_ms} ms`);
  } finally {
    await server.cleanup();
    await sink.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
