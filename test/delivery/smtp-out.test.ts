// The out runner against a real SMTP sink: several transactions in flight, refusals per
// recipient sorted into permanent and temporary, a connection cut with the outcome unknown,
// and a crash of the out runner's process mid-delivery re-sending only what was not done.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

const BATCH = 10;
const THREADS = 3;
let sink: SmtpSink;
let server: TestServer;
const members = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.org`);

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: `[mta]\nmax_recipients: ${BATCH}\nmax_delivery_threads: ${THREADS}\n`,
  });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

/** A post from a member (a nonmember's would be held). */
async function post(list: string, from: string, messageId: string): Promise<void> {
  const res = await sendLmtp(
    server.lmtpPort,
    from,
    [list],
    makePost({ from, to: list, subject: messageId, messageId }),
  );
  assert.deepEqual(res.accepted, [list]);
}

const copies = (email: string, id: string) => sink.copiesFor(email, (r) => r.msg.messageId === id).length;

test('refusals per recipient with several transactions in flight: 5xx dropped, 4xx and 552 retried, the rest delivered once', async () => {
  const list = members('ref', 60);
  await server.createList('refusals@example.com', list);
  const refusal = (email: string) => {
    const i = Number(email.match(/\d+/)![0]);
    return i % 7 === 0
      ? { code: 550, message: 'no such user' }
      : i % 7 === 3
        ? { code: 451, message: 'try later' }
        : i % 11 === 5
          ? { code: 552, message: 'mailbox full' }
          : undefined;
  };
  sink.maxInFlight = 0;
  sink.delayMs = 200;
  sink.rcptReplyFor = refusal;
  const id = '<refusals@example.org>';
  await post('refusals@example.com', list[1], id);
  const accepted = list.filter((m) => !refusal(m));
  await sink.waitFor(() => accepted.every((m) => copies(m, id) >= 1), 30_000, 'the accepted recipients');
  assert.ok(sink.maxInFlight >= 2, `transactions in flight at once: ${sink.maxInFlight}`);
  // The refusals are over: the retry runner gives the temporary ones back to out.
  sink.rcptReplyFor = undefined;
  sink.delayMs = 0;
  const temporary = list.filter((m) => refusal(m) && refusal(m)!.code !== 550);
  await sink.waitFor(() => temporary.every((m) => copies(m, id) >= 1), 30_000, 'the retried recipients');
  // Once the retry queue is empty too, a permanent failure wrongly retried would be at the sink.
  await barrierPost(server, sink);
  for (const m of list) assert.equal(copies(m, id), refusal(m)?.code === 550 ? 0 : 1, m);
});

test('a connection cut after the message, before the reply: those recipients are retried, nobody is lost', async () => {
  const list = members('cut', 50);
  await server.createList('cut@example.com', list);
  sink.dropped = 0;
  sink.dropNext = 2;
  const id = '<cut@example.org>';
  await post('cut@example.com', list[1], id);
  await sink.waitFor(() => list.every((m) => copies(m, id) >= 1), 30_000, 'every member');
  assert.equal(sink.dropped, 2);
  await barrierPost(server, sink);
  for (const m of list) assert.equal(copies(m, id), 1, m);
});

test('the out runner killed mid-delivery of a large list: after restart only what was not yet delivered goes out', async () => {
  const list = members('big', 400);
  await server.createList('big@example.com', list);
  sink.delayMs = 100; // about ten transactions a second: plenty to kill in the middle
  const id = '<big@example.org>';
  const transactions = () => sink.received.filter((r) => r.msg.messageId === id).length;
  await post('big@example.com', list[1], id);
  await sink.waitFor(() => transactions() >= 8, 30_000, 'deliveries under way');
  const deliveredBefore = transactions() * BATCH;
  await server.killRunner('out');
  sink.delayMs = 0;
  await sink.waitFor(() => list.every((m) => copies(m, id) >= 1), 60_000, 'every member');
  await barrierPost(server, sink);
  const duplicates = list.reduce((n, m) => n + copies(m, id) - 1, 0);
  // Only the transactions in flight when the process died can go out twice.
  assert.ok(duplicates <= THREADS * BATCH, `${duplicates} duplicates (${deliveredBefore} delivered before the kill)`);
  assert.ok(
    deliveredBefore > THREADS * BATCH,
    'the kill came after more than the in-flight transactions were delivered',
  );
});
