// Several transactions per write ([mta] max_pipelined_transactions): each reply must go to its
// own transaction, so a refusal in one (of some RCPTs, or of MAIL FROM and so the whole
// transaction) touches no other, permanent refusals are final and temporary ones retried, and
// every accepted recipient has exactly one copy. Against a real smtp-server (no CHUNKING:
// DATA waits for 354, one transaction at a time) and against the lean sink (CHUNKING: whole
// BDAT transactions in one write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { Config } from '../../src/config/config.js';
import { SmtpDelivery } from '../../src/mta/smtp-delivery.js';
import { LeanSink } from '../helpers/lean-sink.js';

const N = 40;
const members = Array.from({ length: N }, (_, i) => `m${i}@example.org`);
const verp = (r: string) => `ant-bounces+${r.replace('@', '=')}@example.com`;
/** m3, m13, …: 550 at RCPT; m7, m17, …: 451 at RCPT; m20: its transaction's MAIL FROM refused with 550. */
const rcptRefusal = (r: string) => (/^m\d*3@/.test(r) ? 550 : /^m\d*7@/.test(r) ? 451 : undefined);
const MAIL_REFUSED = 'm20@example.org';

const delivery = (port: number) =>
  new SmtpDelivery(
    Config.load({
      overrides: {
        mta: {
          smtp_host: '127.0.0.1',
          smtp_port: String(port),
          max_delivery_threads: '2',
          max_pipelined_transactions: '8',
        },
      },
    }),
  );

/** One personalised copy per member, each with its own VERP envelope and body line. */
async function deliverAll(port: number, onDecided: (r: string[]) => Promise<void>) {
  const out = delivery(port);
  try {
    return await out.deliverEach(
      members.map((recipient) => ({
        recipient,
        raw: async () => Buffer.from(`Subject: hi\r\n\r\nfor ${recipient}\r\n`),
        from: verp(recipient),
      })),
      'ant-bounces@example.com',
      onDecided,
    );
  } finally {
    out.close();
  }
}

/** What the outcome must be, and that each accepted member got exactly its own copy, once. */
function check(
  result: Awaited<ReturnType<typeof deliverAll>>,
  decided: string[],
  stored: { from: string; to: string[]; body: string }[],
) {
  const permanent = members.filter((m) => m === MAIL_REFUSED || rcptRefusal(m) === 550);
  const temporary = members.filter((m) => m !== MAIL_REFUSED && rcptRefusal(m) === 451);
  const delivered = members.filter((m) => !permanent.includes(m) && !temporary.includes(m));
  assert.deepEqual([...result.delivered].sort(), [...delivered].sort());
  assert.deepEqual(result.permanent.map((p) => p.recipient).sort(), [...permanent].sort());
  assert.deepEqual(
    result.permanent.find((p) => p.recipient === MAIL_REFUSED)?.code,
    550,
    'the MAIL refusal is the transaction',
  );
  assert.deepEqual(result.temporary.map((p) => [p.recipient, p.code]).sort(), temporary.map((m) => [m, 451]).sort());
  // Progress: delivered and permanently refused are recorded, once each; temporary ones are not.
  assert.deepEqual([...decided].sort(), [...delivered, ...permanent].sort());
  assert.equal(stored.length, delivered.length, 'one transaction stored per delivered member');
  for (const m of delivered) {
    const copies = stored.filter((s) => s.to.includes(m));
    assert.equal(copies.length, 1, m);
    assert.deepEqual(copies[0].to, [m]);
    assert.equal(copies[0].from, verp(m));
    assert.match(copies[0].body, new RegExp(`for ${m.replace('.', '\\.')}\\r?\\n`));
  }
}

test('smtp-server (PIPELINING, no CHUNKING): refusals mid-batch stay with their transaction, one copy each', async () => {
  const stored: { from: string; to: string[]; body: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom: (addr, _session, cb) => {
      if (addr.address.toLowerCase() === verp(MAIL_REFUSED)) {
        const err = new Error('sender refused') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onRcptTo: (addr, _session, cb) => {
      const code = rcptRefusal(addr.address.toLowerCase());
      if (!code) return cb();
      const err = new Error('refused') as Error & { responseCode: number };
      err.responseCode = code;
      cb(err);
    },
    onData: (stream, session, cb) => {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        stored.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(parts).toString('latin1'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.server.address() as { port: number }).port;
    const decided: string[] = [];
    const result = await deliverAll(port, async (r) => void decided.push(...r));
    check(result, decided, stored);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('CHUNKING: whole BDAT transactions per write, refusals mid-batch stay with their transaction, one copy each', async () => {
  const sink = await new LeanSink({
    keep: true,
    rcptReply: (a) => {
      const code = rcptRefusal(a);
      return code ? `${code} ${code === 550 ? '5.1.1 no such user' : '4.2.2 try later'}` : undefined;
    },
    mailReply: (a) => (a === verp(MAIL_REFUSED) ? '550 5.7.1 sender refused' : undefined),
  }).start();
  try {
    const decided: string[] = [];
    const batches: number[] = [];
    const result = await deliverAll(sink.port, async (r) => {
      batches.push(r.length);
      decided.push(...r);
    });
    check(
      result,
      decided,
      sink.messages.map((m) => ({ from: m.from, to: m.to, body: m.raw.toString('latin1') })),
    );
    assert.ok(
      sink.messages.every((m) => m.via === 'BDAT'),
      'sent with BDAT',
    );
    // Progress is one record per batch: fewer records than transactions, none above the batch size.
    assert.ok(batches.length < N / 2, `${batches.length} progress records for ${N} transactions`);
    assert.ok(Math.max(...batches) <= 8, `a batch of ${Math.max(...batches)}`);
  } finally {
    await sink.close();
  }
});

test('max_delivery_threads bounds the connections of all the messages a runner delivers at once, kept between them', async () => {
  const sink = await new LeanSink({ keep: true }).start();
  const out = delivery(sink.port); // max_delivery_threads: 2
  try {
    // As the out runner does with [runner.out] concurrency 4: four posts at once, each wanting
    // two connections of its own; then a fifth after them.
    const post = (n: number) =>
      out.deliverEach(
        members.map((recipient) => ({
          recipient,
          raw: () => Buffer.from(`Subject: ${n}\r\n\r\nfor ${recipient}\r\n`),
        })),
        'ant-bounces@example.com',
      );
    const results = [...(await Promise.all([1, 2, 3, 4].map(post))), await post(5)];
    for (const r of results) assert.deepEqual([...r.delivered].sort(), [...members].sort());
    assert.equal(sink.messages.length, 5 * N);
    assert.equal(sink.peakConnections, 2, 'never more than max_delivery_threads open');
    assert.equal(sink.connections, 2, 'the two connections served every post');
  } finally {
    out.close();
    await sink.close();
  }
});
