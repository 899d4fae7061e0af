// Large and hostile LMTP sessions against the real server: SIZE is advertised and enforced
// (552 at MAIL FROM and during DATA, nothing queued), a list named in many RCPTs gets one
// copy per member, clients, recipients and idle time are capped, and a large message within
// the limit arrives whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { RawLmtp } from '../helpers/raw-lmtp.js';

const LIMIT = 22_000_000;
const MEMBERS = ['anne@example.org', 'bart@example.org'];
let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: [
      '[mta]',
      `lmtp_max_message_size: ${LIMIT}`,
      'lmtp_max_clients: 4',
      'lmtp_max_recipients: 10',
      'lmtp_timeout: 8s',
    ].join('\n'),
  });
  await server.createList('ant@example.com', MEMBERS);
  // The list's own size rule (40 KB) would hold the large post; the LMTP limit is what is tested.
  assert.equal((await server.rest('PATCH', '/lists/ant.example.com/config', { max_message_size: 0 })).status, 204);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

/** Every file in the queues and the LMTP spool (names only), to show nothing was written. */
function queuedFiles(): string[] {
  const root = join(server.varDir, 'queue');
  return readdirSync(root).flatMap((q) =>
    existsSync(join(root, q)) ? readdirSync(join(root, q)).map((f) => `${q}/${f}`) : [],
  );
}

/** A post of about `bytes` bytes whose every line is numbered, so a cut or a gap shows. */
function bigPost(bytes: number, messageId: string): Buffer {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `line ${String(i).padStart(9, '0')} ${'x'.repeat(60)}`;
    lines.push(line);
    n += line.length + 2;
  }
  return Buffer.from(
    makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'big', messageId, body: lines.join('\r\n') }),
  );
}

async function hello(port: number): Promise<{ client: RawLmtp; lhlo: string }> {
  const client = await RawLmtp.open(port);
  assert.equal(client.greeting.code, 220);
  const lhlo = await client.command('LHLO test.example');
  assert.equal(lhlo.code, 250);
  return { client, lhlo: lhlo.text };
}

test('SIZE is advertised in the LHLO reply and a MAIL FROM SIZE= over it gets 552', async () => {
  const { client, lhlo } = await hello(server.lmtpPort);
  try {
    assert.match(lhlo, new RegExp(`^250[- ]SIZE ${LIMIT}$`, 'm'));
    const over = await client.command(`MAIL FROM:<anne@example.org> SIZE=${LIMIT + 1}`);
    assert.equal(over.code, 552, over.text);
    const within = await client.command(`MAIL FROM:<anne@example.org> SIZE=${LIMIT}`);
    assert.equal(within.code, 250, within.text);
  } finally {
    client.close();
  }
});

test('a message over the limit during DATA gets one 552 per RCPT, nothing is queued, and the session goes on', async () => {
  const before = queuedFiles();
  // Built before the session opens: on a loaded machine building it can outlast lmtp_timeout.
  const tooBig = bigPost(LIMIT + 500_000, '<too-big@example.org>');
  const { client } = await hello(server.lmtpPort);
  try {
    assert.equal((await client.command('MAIL FROM:<anne@example.org>')).code, 250);
    assert.equal((await client.command('RCPT TO:<ant@example.com>')).code, 250);
    assert.equal((await client.command('RCPT TO:<ant@example.com>')).code, 250);
    const { go, replies } = await client.data(tooBig, 2);
    assert.equal(go.code, 354);
    assert.deepEqual(
      replies.map((r) => r.code),
      [552, 552],
      replies.map((r) => r.text).join('\n'),
    );
    assert.deepEqual(queuedFiles(), before, 'nothing queued, nothing left in the spool');
    // The connection is still in step: a small message right after is taken.
    assert.equal((await client.command('MAIL FROM:<anne@example.org>')).code, 250);
    assert.equal((await client.command('RCPT TO:<ant@example.com>')).code, 250);
    const ok = await client.data(
      Buffer.from(
        makePost({
          from: 'anne@example.org',
          to: 'ant@example.com',
          subject: 'after',
          messageId: '<after-552@example.org>',
        }),
      ),
      1,
    );
    assert.equal(ok.replies[0].code, 250, ok.replies[0].text);
  } finally {
    client.close();
  }
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === '<after-552@example.org>').length === 1),
    20_000,
    'the post after the 552',
  );
  assert.equal(sink.received.filter((r) => r.msg.messageId === '<too-big@example.org>').length, 0);
});

test('100 RCPT TO of one list (and two spellings of it) give every member exactly one copy, with one reply per RCPT', async () => {
  const { client } = await hello(server.lmtpPort);
  const rcpts = [...Array.from({ length: 100 }, () => 'ant@example.com'), 'ANT@example.com', 'ant+x@example.com'];
  try {
    assert.equal((await client.command('MAIL FROM:<anne@example.org>')).code, 250);
    for (const r of rcpts) assert.equal((await client.command(`RCPT TO:<${r}>`)).code, 250, r);
    const { replies } = await client.data(
      Buffer.from(
        makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'dup', messageId: '<dup@example.org>' }),
      ),
      rcpts.length,
    );
    assert.equal(replies.length, rcpts.length);
    assert.ok(
      replies.every((r) => r.code === 250),
      replies.find((r) => r.code !== 250)?.text,
    );
    // A later post (queues are taken oldest first) marks the point where any copy would be out.
    assert.equal((await client.command('MAIL FROM:<anne@example.org>')).code, 250);
    assert.equal((await client.command('RCPT TO:<ant@example.com>')).code, 250);
    assert.equal(
      (
        await client.data(
          Buffer.from(
            makePost({
              from: 'anne@example.org',
              to: 'ant@example.com',
              subject: 'marker',
              messageId: '<dup-marker@example.org>',
            }),
          ),
          1,
        )
      ).replies[0].code,
      250,
    );
  } finally {
    client.close();
  }
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === '<dup-marker@example.org>').length === 1),
    20_000,
    'the marker post',
  );
  for (const m of MEMBERS) assert.equal(sink.copiesFor(m, (r) => r.msg.messageId === '<dup@example.org>').length, 1, m);
});

test('recipients past lmtp_max_recipients get 452, the others are taken', async () => {
  const { client } = await hello(server.lmtpPort);
  try {
    assert.equal((await client.command('MAIL FROM:<anne@example.org>')).code, 250);
    const codes: number[] = [];
    for (let i = 1; i <= 11; i++) codes.push((await client.command(`RCPT TO:<ant+${i}@example.com>`)).code);
    assert.deepEqual(codes, [...Array(10).fill(250), 452]);
  } finally {
    client.close();
  }
});

test('a client past lmtp_max_clients is told 421; once one leaves, a new one is served', async () => {
  const held: RawLmtp[] = [];
  try {
    for (let i = 0; i < 4; i++) held.push((await hello(server.lmtpPort)).client);
    const extra = await RawLmtp.open(server.lmtpPort);
    assert.equal(extra.greeting.code, 421, extra.greeting.text);
    await extra.closed;
    held.shift()!.close();
    await server.waitUntil(
      async () => {
        const c = await RawLmtp.open(server.lmtpPort).catch(() => undefined);
        c?.close();
        return c?.greeting.code === 220;
      },
      10_000,
      'a free client slot',
    );
  } finally {
    held.forEach((c) => c.close());
  }
});

test('an idle connection is closed with 421 after lmtp_timeout', async () => {
  // The previous test's clients may still be counted for a moment.
  let client: RawLmtp | undefined;
  await server.waitUntil(
    async () => {
      const c = await RawLmtp.open(server.lmtpPort);
      if (c.greeting.code === 220) client = c;
      else c.close();
      return !!client;
    },
    10_000,
    'a free client slot',
  );
  const reply = await client!.next();
  assert.equal(reply.code, 421, reply.text);
  await client!.closed;
});

test('a 20 MB message within the limit arrives whole at every member', async () => {
  const raw = bigPost(20_000_000, '<big@example.org>');
  const res = await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], raw);
  assert.deepEqual(res.accepted, ['ant@example.com']);
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === '<big@example.org>').length === 1),
    60_000,
    'the big post',
  );
  const sent = raw.subarray(raw.indexOf('\r\n\r\n') + 4).toString('latin1');
  for (const m of MEMBERS) {
    const got = sink.copiesFor(m, (r) => r.msg.messageId === '<big@example.org>')[0];
    assert.ok(got.msg.body.toString('latin1').includes(sent), `${m} got the body whole`);
  }
  assert.equal(readdirSync(join(server.varDir, 'queue', '.spool')).length, 0, 'the spool is emptied');
});

test('every new connection is greeted with the LMTP banner and can post at once', async () => {
  // The greeting is sent without the library's early-talker wait; what is checked here is
  // only that it arrives, whole, on each of several connections opened one after another.
  for (let i = 0; i < 3; i++) {
    const { client } = await hello(server.lmtpPort);
    assert.match(client.greeting.text, /^220 \S+ LMTP /);
    client.close();
  }
  const id = `<greeted-${Date.now()}@example.org>`;
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['ant@example.com'],
    makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'greeted', messageId: id }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === id).length === 1),
    20_000,
    'greeted post',
  );
});
