// The walking skeleton, end to end: REST set-up, LMTP in, chain, pipeline, SMTP out to a
// real sink, and a runner killed -9 with mail in flight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

let sink: SmtpSink;
let server: TestServer;
const MEMBERS = ['anne@example.org', 'bart@example.org', 'cris@example.net'];

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await server.rest('POST', '/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
  for (const email of MEMBERS) {
    const res = await server.rest('POST', '/members', {
      list_id: 'ant.example.com',
      subscriber: email,
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
      send_welcome_message: false,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('a member post reaches every member exactly once, with list headers and subject prefix', async () => {
  const messageId = '<first-post@example.org>';
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['ant@example.com'],
    makePost({ from: 'Anne <anne@example.org>', to: 'ant@example.com', subject: 'Hello ants', messageId }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  const isPost = (r: { msg: { messageId?: string } }) => r.msg.messageId === messageId;
  await sink.waitFor(() => MEMBERS.every((m) => sink.copiesFor(m, isPost).length >= 1), 20_000, 'three copies');
  // Count once the server has finished with the post: a duplicate would be at the sink by then.
  await barrierPost(server, sink);
  for (const m of MEMBERS) {
    const copies = sink.copiesFor(m, isPost);
    assert.equal(copies.length, 1, `${m} got ${copies.length} copies`);
    const { msg, from } = copies[0];
    assert.equal(from, 'ant-bounces@example.com');
    assert.equal(msg.get('subject'), '[Ant] Hello ants');
    assert.equal(msg.get('list-id'), '<ant.example.com>');
    assert.equal(msg.get('list-post'), '<mailto:ant@example.com>');
    assert.equal(msg.get('list-help'), '<mailto:ant-request@example.com?subject=help>');
    assert.equal(msg.get('list-subscribe'), '<mailto:ant-join@example.com>');
    assert.equal(msg.get('list-unsubscribe'), '<mailto:ant-leave@example.com>');
    assert.equal(msg.get('list-owner'), '<mailto:ant-owner@example.com>');
    assert.equal(msg.get('precedence'), 'list');
    assert.match(msg.get('x-mailman-version') ?? '', /mailman-ts/);
    assert.equal(msg.get('message-id-hash'), msg.get('x-message-id-hash'));
    // The body as posted, then the list's default footer, once.
    assert.equal(
      msg.body.toString(),
      'Hello, list.\r\n_______________________________________________\r\nAnt mailing list -- ant@example.com\r\nTo unsubscribe send an email to ant-leave@example.com\r\n',
    );
  }
});

test('a reply keeps one Re: after the prefix', async () => {
  const messageId = '<reply@example.org>';
  await sendLmtp(
    server.lmtpPort,
    'bart@example.org',
    ['ant@example.com'],
    makePost({ from: 'bart@example.org', to: 'ant@example.com', subject: 'Re: [Ant] Re: Hello ants', messageId }),
  );
  await sink.waitFor(
    () => sink.copiesFor('anne@example.org', (r) => r.msg.messageId === messageId).length === 1,
    20_000,
    'the reply',
  );
  assert.equal(
    sink.copiesFor('anne@example.org', (r) => r.msg.messageId === messageId)[0].msg.get('subject'),
    '[Ant] Re: Hello ants',
  );
});

test('a non-member post is held, not delivered, and visible as held over REST', async () => {
  const messageId = '<from-a-stranger@example.net>';
  const res = await sendLmtp(
    server.lmtpPort,
    'stranger@example.net',
    ['ant@example.com'],
    makePost({ from: 'stranger@example.net', to: 'ant@example.com', subject: 'Buy now', messageId }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  let held: any;
  await server.waitUntil(
    async () => {
      held = (await server.rest('GET', '/lists/ant.example.com/held')).body;
      return held.total_size === 1;
    },
    20_000,
    'the held message',
  );
  const entry = held.entries[0];
  assert.equal(entry.message_id, messageId);
  assert.equal(entry.sender, 'stranger@example.net');
  assert.equal(entry.subject, 'Buy now');
  assert.match(entry.reason, /not from a list member/);
  // The moderators are told, through the -owner address.
  await sink.waitFor(() => sink.copiesFor('ant-owner@example.com').length >= 1, 20_000, 'the moderator notice');
  assert.match(sink.copiesFor('ant-owner@example.com')[0].msg.get('subject') ?? '', /requires approval/);
  await barrierPost(server, sink); // had the post also gone out, its copies would be at the sink by now
  for (const m of MEMBERS) assert.equal(sink.copiesFor(m, (r) => r.msg.messageId === messageId).length, 0);
  // The stranger is now a nonmember of the list, as Mailman records them.
  const nonmembers = (await server.rest('GET', '/lists/ant.example.com/roster/nonmember')).body;
  assert.deepEqual(
    nonmembers.entries.map((e: { email: string }) => e.email),
    ['stranger@example.net'],
  );
});

test('a post to an unknown list gets 550 for that recipient only', async () => {
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['nobody@example.com', 'ant@example.com'],
    makePost({ from: 'anne@example.org', to: 'nobody@example.com', subject: 'x' }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  assert.deepEqual(res.rejected, ['nobody@example.com']);
  assert.match(res.responses['nobody@example.com'], /^550 5\.1\.1/);
});

test('a malformed message is kept in the shunt queue, not lost', async () => {
  const raw = 'this is not a header line\r\nFrom: anne@example.org\r\n\r\nbody\r\n';
  const res = await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], raw);
  assert.deepEqual(res.accepted, ['ant@example.com']);
  const shunt = join(server.varDir, 'queue', 'shunt');
  const files = readdirSync(shunt).filter((f) => f.endsWith('.qmsg'));
  assert.equal(files.length, 1);
});

test('a list setting or membership changed over REST is in force for the next post, without a restart', async () => {
  // REST and the runners are different processes: each post must see the change just made.
  const post = async (from: string, tag: string) => {
    const messageId = `<${tag}@example.org>`;
    const res = await sendLmtp(
      server.lmtpPort,
      from,
      ['ant@example.com'],
      makePost({ from, to: 'ant@example.com', subject: 'Setting', messageId }),
    );
    assert.deepEqual(res.accepted, ['ant@example.com']);
    return (r: { msg: { messageId?: string } }) => r.msg.messageId === messageId;
  };
  for (const prefix of ['[Ant v2]', '[Ant v3]']) {
    assert.equal(
      (await server.rest('PATCH', '/lists/ant.example.com/config', { subject_prefix: `${prefix} ` })).status,
      204,
    );
    const isPost = await post('anne@example.org', `prefix-${prefix.slice(5, 7)}`);
    await sink.waitFor(() => sink.copiesFor('bart@example.org', isPost).length === 1, 20_000, `post with ${prefix}`);
    assert.equal(sink.copiesFor('bart@example.org', isPost)[0].msg.get('subject'), `${prefix} Setting`);
  }
  // A sender subscribed over REST posts as a member at once (not held as a nonmember).
  assert.equal(
    (
      await server.rest('POST', '/members', {
        list_id: 'ant.example.com',
        subscriber: 'dora@example.org',
        pre_verified: true,
        pre_confirmed: true,
        pre_approved: true,
        send_welcome_message: false,
      })
    ).status,
    201,
  );
  const isPost = await post('dora@example.org', 'new-member');
  await sink.waitFor(
    () => [...MEMBERS, 'dora@example.org'].every((m) => sink.copiesFor(m, isPost).length === 1),
    20_000,
    "the new member's post",
  );
  assert.equal(
    (
      await server.rest('DELETE', '/lists/ant.example.com/member/dora@example.org', {
        pre_confirmed: true,
        pre_approved: true,
      })
    ).status,
    204,
  );
  assert.equal((await server.rest('PATCH', '/lists/ant.example.com/config', { subject_prefix: '[Ant] ' })).status, 204);
});

test('runners killed with SIGKILL while mail is queued are restarted and every message is delivered', async () => {
  sink.delayMs = 400; // keep messages in flight in the out runner
  const ids = Array.from({ length: 8 }, (_, i) => `<crash-${i}@example.org>`);
  for (const id of ids) {
    await sendLmtp(
      server.lmtpPort,
      'cris@example.net',
      ['ant@example.com'],
      makePost({ from: 'cris@example.net', to: 'ant@example.com', subject: `crash ${id}`, messageId: id }),
    );
  }
  const before = {
    out: server.runnerPid('out')!,
    pipeline: server.runnerPid('pipeline')!,
    in: server.runnerPid('in')!,
  };
  // Wait until the out runner has a message claimed (mid-SMTP), then kill the runners.
  const outDir = join(server.varDir, 'queue', 'out');
  await server.waitUntil(() => readdirSync(outDir).some((f) => f.endsWith('.bak')), 20_000, 'a delivery in flight');
  for (const pid of Object.values(before)) process.kill(pid, 'SIGKILL');
  await server.waitUntil(
    () => {
      const s = server.status();
      return ['out', 'pipeline', 'in'].every((n) => {
        const r = s.runners.find((x) => x.name === n)!;
        return r.pid !== null && r.pid !== before[n as keyof typeof before] && r.restarts >= 1;
      });
    },
    20_000,
    'the runners to be restarted',
  );
  sink.delayMs = 0;
  await sink.waitFor(
    () => ids.every((id) => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === id).length >= 1)),
    30_000,
    'every message to every member',
  );
  for (const id of ids) {
    for (const m of MEMBERS) {
      // At-least-once: a copy in the SMTP transaction being killed may go out twice, never zero times.
      const n = sink.copiesFor(m, (r) => r.msg.messageId === id).length;
      assert.ok(n >= 1 && n <= 2, `${m} got ${n} copies of ${id}`);
    }
  }
});

test('mailman status reports the runners, and stop ends the server cleanly', async () => {
  const status = await server.cli(['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /is running \(master pid: \d+\)/);
  assert.match(status.stdout, /out:0:1\s+queues:0\s+\d+ queued\s+running, pid \d+/);
  const stop = await server.cli(['stop']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(await server.stop(), 0);
  const after = await server.cli(['status']);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /not running/);
});
