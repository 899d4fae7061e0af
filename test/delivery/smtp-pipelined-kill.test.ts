// The out runner killed in the middle of pipelined personalised delivery (CHUNKING: up to
// max_pipelined_transactions whole transactions per write). Each write's progress is recorded
// once its last reply is in, so what the MTA may hold without it being recorded is the write
// in flight on each connection: after the restart at most THREADS x K members get the post
// twice, and none is missed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { LeanSink } from '../helpers/lean-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { queuesIdle } from '../helpers/barrier.js';

const THREADS = 3;
const K = 8;
let sink: LeanSink;
let server: TestServer;

before(async () => {
  sink = await new LeanSink({ keep: true }).start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: `[mta]\nmax_delivery_threads: ${THREADS}\nmax_pipelined_transactions: ${K}\n`,
  });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('killed mid-batch: at most the writes in flight (threads x batch) go out twice, nobody is missed', async () => {
  const members = Array.from({ length: 400 }, (_, i) => `kp${i}@example.org`);
  await server.createList('kp@example.com', members);
  const r = await server.rest('PATCH', '/lists/kp.example.com/config', { personalize: 'individual' });
  assert.equal(r.status, 204);
  const id = '<kill-pipelined@example.org>';
  const ours = () => sink.messages.filter((m) => m.raw.includes(id));
  const copies = () => {
    const n = new Map<string, number>();
    for (const m of ours()) for (const to of m.to) n.set(to, (n.get(to) ?? 0) + 1);
    return n;
  };
  // A tenth of a second per write: the kill falls in the middle of the roster.
  sink.delayMs = 100;
  const res = await sendLmtp(
    server.lmtpPort,
    members[1],
    ['kp@example.com'],
    makePost({ from: members[1], to: 'kp@example.com', subject: 'kill', messageId: id }),
  );
  assert.deepEqual(res.accepted, ['kp@example.com']);
  await sink.waitFor(() => ours().length >= 3 * THREADS * K, 60_000, 'deliveries under way');
  const deliveredBefore = ours().length;
  await server.killRunner('out');
  sink.delayMs = 0;
  await sink.waitFor(() => members.every((m) => copies().has(m)), 60_000, 'every member');
  await queuesIdle(server);
  const n = copies();
  const duplicates = members.reduce((d, m) => d + n.get(m)! - 1, 0);
  assert.ok(duplicates <= THREADS * K, `${duplicates} duplicates (${deliveredBefore} delivered before the kill)`);
  assert.ok(deliveredBefore < members.length, 'the kill came before the end of the roster');
  assert.ok(ours().every((m) => m.to.length === 1));
});
