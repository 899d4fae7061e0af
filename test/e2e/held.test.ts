// A moderator's work on held messages, through REST and the CLI, against the real server:
// what each decision sends (or does not) is read at the SMTP sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { LmtpSession, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

let sink: SmtpSink;
let server: TestServer;
let lmtp: LmtpSession;
const LIST = 'ant.example.com';
const MEMBERS = ['anne@example.org', 'bart@example.org'];

before(async () => {
  sink = await new SmtpSink().start();
  // A low auto-response limit, so the test can reach it.
  server = await TestServer.start({ smtpPort: sink.port, config: '[mta]\nmax_autoresponses_per_day: 2' });
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await server.rest('POST', '/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
  for (const email of MEMBERS) {
    const res = await server.rest('POST', '/members', {
      list_id: LIST,
      subscriber: email,
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
      send_welcome_message: false,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  lmtp = await LmtpSession.open(server.lmtpPort);
});

after(async () => {
  await lmtp?.close();
  await server?.cleanup();
  await sink?.close();
});

/** Sends a non-member post and returns its held-message request id. */
async function hold(from: string, tag: string): Promise<number> {
  const messageId = `<${tag}@example.net>`;
  const res = await lmtp.send(
    from,
    ['ant@example.com'],
    makePost({ from, to: 'ant@example.com', subject: `Post ${tag}`, messageId }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  let id: number | undefined;
  await server.waitUntil(
    async () => {
      const held = (await server.rest('GET', `/lists/${LIST}/held`)).body;
      id = held.entries?.find((e: { message_id: string }) => e.message_id === messageId)?.request_id;
      return id !== undefined;
    },
    20_000,
    `${tag} to be held`,
  );
  return id!;
}

const copiesOf = (tag: string) => (r: Received) => r.msg.messageId === `<${tag}@example.net>`;
/** Until the server has finished with every decision so far: what it sends is at the sink. */
const quiet = () => barrierPost(server, sink);

test('accept: the held post reaches every member once, approved, without re-running the chain', async () => {
  const id = await hold('stranger@example.net', 'accept-me');
  const res = await server.rest('POST', `/lists/${LIST}/held/${id}`, { action: 'accept' });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, copiesOf('accept-me')).length >= 1),
    20_000,
    'member copies',
  );
  await quiet();
  for (const m of MEMBERS) {
    const copies = sink.copiesFor(m, copiesOf('accept-me'));
    assert.equal(copies.length, 1);
    assert.equal(copies[0].msg.get('subject'), '[Ant] Post accept-me');
    assert.match(copies[0].msg.get('x-mailman-approved-at') ?? '', /\d{4} \d\d:\d\d:\d\d \+0000$/);
    // The hold's rule record stays on the message, as Mailman leaves it.
    assert.match(copies[0].msg.get('x-mailman-rule-hits') ?? '', /nonmember-moderation/);
  }
  assert.equal((await server.rest('GET', `/lists/${LIST}/held/${id}`)).status, 404);
});

test('reject: the poster is told the reason, members get nothing', async () => {
  const id = await hold('pest@example.net', 'reject-me');
  const res = await server.rest('POST', `/lists/${LIST}/held/${id}`, {
    action: 'reject',
    comment: 'Off topic for this list',
  });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  const refusal = (r: Received) => /rejected/.test(r.msg.get('subject') ?? '');
  await sink.waitFor(() => sink.copiesFor('pest@example.net', refusal).length === 1, 20_000, 'the refusal');
  const notice = sink.copiesFor('pest@example.net', refusal)[0];
  assert.equal(notice.msg.get('subject'), 'Request to mailing list Ant rejected');
  assert.match(notice.raw.toString(), /Off topic for this list/);
  await quiet();
  for (const m of MEMBERS) assert.equal(sink.copiesFor(m, copiesOf('reject-me')).length, 0);
  assert.equal((await server.rest('GET', `/lists/${LIST}/held/${id}`)).status, 404);
});

test('discard drops the message silently; defer keeps it; forward sends a copy', async () => {
  const gone = await hold('spammer@example.net', 'discard-me');
  const kept = await hold('slow@example.net', 'defer-me');
  assert.equal((await server.rest('POST', `/lists/${LIST}/held/${gone}`, { action: 'discard' })).status, 204);
  assert.equal(
    (await server.rest('POST', `/lists/${LIST}/held/${kept}`, { action: 'defer', forward: ['reviewer@example.org'] }))
      .status,
    204,
  );
  await sink.waitFor(() => sink.copiesFor('reviewer@example.org').length === 1, 20_000, 'the forwarded copy');
  const fwd = sink.copiesFor('reviewer@example.org')[0];
  assert.equal(fwd.msg.get('subject'), 'Forward of moderated message');
  assert.match(fwd.raw.toString(), /Message-ID: <defer-me@example\.net>/i);
  await quiet();
  // Neither post reached the members, and the discarded poster heard nothing beyond the hold notice.
  for (const m of MEMBERS)
    assert.equal(sink.copiesFor(m, (r) => copiesOf('discard-me')(r) || copiesOf('defer-me')(r)).length, 0);
  assert.deepEqual(
    sink.copiesFor('spammer@example.net').map((r) => r.msg.get('subject')),
    ['Your message to ant@example.com awaits moderator approval'],
  );
  assert.equal((await server.rest('GET', `/lists/${LIST}/held/${gone}`)).status, 404);
  assert.equal((await server.rest('GET', `/lists/${LIST}/held/${kept}`)).status, 200);
});

test('bad requests: unknown action is a 400, unknown id a 404, and nothing changes', async () => {
  const id = await hold('unsure@example.net', 'bad-request');
  const bad = await server.rest('POST', `/lists/${LIST}/held/${id}`, { action: 'approve' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.description, /action/);
  assert.equal((await server.rest('POST', `/lists/${LIST}/held/${id}`, {})).status, 400);
  assert.equal((await server.rest('POST', `/lists/${LIST}/held/999999`, { action: 'discard' })).status, 404);
  assert.equal((await server.rest('GET', `/lists/${LIST}/held/${id}`)).status, 200);
});

test('the CLI lists held messages and accepts one; held messages survive a restart', async () => {
  const id = await hold('cli@example.net', 'cli-accept');
  await server.stop();
  await server.boot();
  await lmtp.close();
  lmtp = await LmtpSession.open(server.lmtpPort);
  const listing = await server.cli(['held', LIST]);
  assert.equal(listing.code, 0, listing.stderr);
  assert.match(listing.stdout, new RegExp(`^${id}\\t.*cli@example\\.net\\tPost cli-accept\\t`, 'm'));
  const accepted = await server.cli(['held', LIST, 'accept', String(id)]);
  assert.equal(accepted.code, 0, accepted.stderr);
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, copiesOf('cli-accept')).length === 1),
    20_000,
    'member copies',
  );
  const missing = await server.cli(['held', LIST, 'discard', String(id)]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No held message/);
  assert.equal((await server.cli(['held', LIST, 'approve', '1'])).code, 2);
});

test('hold notices to one poster stop at the daily auto-response limit, after one last notice', async () => {
  const poster = 'chatty@example.net';
  for (const n of [1, 2, 3, 4]) await hold(poster, `chatty-${n}`);
  const awaits = (r: Received) => /awaits moderator approval/.test(r.msg.get('subject') ?? '');
  const last = (r: Received) => r.msg.get('subject') === 'Last autoresponse notification for today';
  await sink.waitFor(() => sink.copiesFor(poster, last).length === 1, 20_000, 'the last notice');
  await quiet();
  assert.equal(sink.copiesFor(poster, awaits).length, 2);
  assert.equal(sink.copiesFor(poster, last).length, 1);
});
