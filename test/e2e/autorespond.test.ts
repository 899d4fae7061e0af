// Auto-responses against the real server: mail to -owner and posts get the list's text back
// from -bounces, once per grace period, within the daily limit, and respond_and_discard keeps
// the post from the members. What was (and was not) sent is read at the SMTP sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { LmtpSession, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';
import { plainText } from '../helpers/mime-text.js';

let sink: SmtpSink;
let server: TestServer;
let lmtp: LmtpSession;
const LIST = 'ant.example.com';
const MEMBERS = ['anne@example.org', 'bart@example.org'];
const AUTO_RESPONSE = 'Auto-response for your message to the "Ant" mailing list';

before(async () => {
  sink = await new SmtpSink().start();
  // A low daily limit, so the test can reach it.
  server = await TestServer.start({ smtpPort: sink.port, config: '[mta]\nmax_autoresponses_per_day: 2' });
  await server.createList('ant@example.com', MEMBERS);
  lmtp = await LmtpSession.open(server.lmtpPort);
});

after(async () => {
  lmtp?.close();
  await server?.cleanup();
  await sink?.close();
});

async function configure(settings: Record<string, unknown>): Promise<void> {
  const res = await server.rest('PATCH', `/lists/${LIST}/config`, settings);
  assert.equal(res.status, 204, JSON.stringify(res.body));
}

async function send(from: string, to: string, tag: string, extra: string[] = []): Promise<void> {
  const post = makePost({ from, to, subject: `Post ${tag}`, messageId: `<${tag}@example.net>`, extra });
  const res = await lmtp.send(from, [to], post);
  assert.deepEqual(res.accepted, [to]);
}

const autoResponse = (r: Received) => r.msg.get('subject') === AUTO_RESPONSE;
const copyOf = (tag: string) => (r: Received) => r.msg.messageId === `<${tag}@example.net>`;
/** Until the server has finished with everything sent so far. */
const quiet = () => barrierPost(server, sink);

test('the settings read and write over REST with their defaults', async () => {
  const config = (await server.rest('GET', `/lists/${LIST}/config`)).body;
  assert.equal(config.autorespond_owner, 'none');
  assert.equal(config.autorespond_postings, 'none');
  assert.equal(config.autorespond_requests, 'none');
  assert.equal(config.autoresponse_grace_period, '90d', "a period, in Mailman's form");
  assert.equal(config.autoresponse_owner_text, '');
  const bad = await server.rest('PATCH', `/lists/${LIST}/config`, { autorespond_owner: 'respond_loudly' });
  assert.equal(bad.status, 400);
});

test('mail to -owner is answered once per grace period, and still reaches the owners', async () => {
  await configure({
    autorespond_owner: 'respond_and_continue',
    autoresponse_owner_text: 'The owners of $display_name ($list_name) read $owneremail weekly; try $requestemail.',
  });
  const sender = 'asker@example.net';
  await send(sender, 'ant-owner@example.com', 'owner-1');
  await sink.waitFor(() => sink.copiesFor(sender, autoResponse).length === 1, 20_000, 'the auto-response');
  const [reply] = sink.copiesFor(sender, autoResponse);
  assert.match(reply.msg.get('from') ?? '', /ant-bounces@example\.com/);
  assert.equal(reply.msg.get('x-mailer'), 'The Mailman Replybot');
  assert.equal(reply.msg.get('x-ack'), 'No');
  assert.equal(
    plainText(reply.raw).trim(),
    'The owners of Ant (ant) read ant-owner@example.com weekly; try ant-request@example.com.',
  );
  // No list has owners here: -owner mail goes to the site owner.
  await sink.waitFor(() => sink.copiesFor('postmaster@example.com', copyOf('owner-1')).length === 1);

  await send(sender, 'ant-owner@example.com', 'owner-2');
  await sink.waitFor(() => sink.copiesFor('postmaster@example.com', copyOf('owner-2')).length === 1);
  await quiet();
  assert.equal(sink.copiesFor(sender, autoResponse).length, 1, 'nothing more inside the grace period');
  // X-Ack: yes asks for an answer whatever the grace period says.
  await send(sender, 'ant-owner@example.com', 'owner-3', ['X-Ack: yes']);
  await sink.waitFor(() => sink.copiesFor(sender, autoResponse).length === 2, 20_000, 'the X-Ack: yes answer');
  await configure({ autorespond_owner: 'none' });
});

test('posts are answered up to the daily limit, then one last notice, then nothing', async () => {
  await configure({
    autorespond_postings: 'respond_and_continue',
    autoresponse_postings_text: 'Thanks for writing to $listname.',
    autoresponse_grace_period: 0,
  });
  const poster = MEMBERS[0];
  const last = (r: Received) => r.msg.get('subject') === 'Last autoresponse notification for today';
  for (const tag of ['daily-1', 'daily-2', 'daily-3', 'daily-4']) await send(poster, 'ant@example.com', tag);
  await sink.waitFor(() => sink.copiesFor(MEMBERS[1], copyOf('daily-4')).length === 1, 20_000, 'the fourth post');
  await quiet();
  const replies = sink.copiesFor(poster, autoResponse);
  assert.equal(replies.length, 2, 'max_autoresponses_per_day is 2');
  assert.equal(plainText(replies[0].raw).trim(), 'Thanks for writing to ant@example.com.');
  assert.equal(sink.copiesFor(poster, last).length, 1);
  assert.match(
    plainText(sink.copiesFor(poster, last)[0].raw),
    /no more automatic replies from the list until tomorrow/,
  );
  // respond_and_continue: every post still reached the members.
  for (const tag of ['daily-1', 'daily-2', 'daily-3', 'daily-4'])
    assert.equal(sink.copiesFor(MEMBERS[1], copyOf(tag)).length, 1, tag);
});

test('bulk and X-Ack: no mail gets no answer', async () => {
  const poster = MEMBERS[1];
  await send(poster, 'ant@example.com', 'bulk', ['Precedence: bulk']);
  await send(poster, 'ant@example.com', 'no-ack', ['X-Ack: no']);
  await sink.waitFor(() => sink.copiesFor(MEMBERS[0], copyOf('no-ack')).length === 1, 20_000, 'the posts');
  await quiet();
  assert.equal(sink.copiesFor(poster, autoResponse).length, 0);
});

test('respond_and_discard answers the poster and keeps the post from the members', async () => {
  await configure({
    autorespond_postings: 'respond_and_discard',
    autoresponse_postings_text: 'This list is closed.',
  });
  const poster = 'carl@example.org';
  assert.equal(
    (
      await server.rest('POST', '/members', {
        list_id: LIST,
        subscriber: poster,
        pre_verified: true,
        pre_confirmed: true,
        pre_approved: true,
      })
    ).status,
    201,
  );
  await send(poster, 'ant@example.com', 'closed');
  await sink.waitFor(() => sink.copiesFor(poster, autoResponse).length === 1, 20_000, 'the auto-response');
  assert.equal(plainText(sink.copiesFor(poster, autoResponse)[0].raw).trim(), 'This list is closed.');
  await quiet();
  for (const member of MEMBERS) assert.equal(sink.copiesFor(member, copyOf('closed')).length, 0, member);
});

test('mail to -request: the auto-response before the commands; respond_and_discard runs none', async () => {
  const asker = 'requester@example.net';
  const results = (r: Received) => r.msg.get('subject') === 'The results of your email commands';
  await configure({
    autorespond_requests: 'respond_and_continue',
    autoresponse_request_text: 'Requests to $listname are read by a robot.',
    autoresponse_grace_period: 0,
  });
  await lmtp.send(
    asker,
    ['ant-request@example.com'],
    makePost({ from: asker, to: 'ant-request@example.com', subject: 'echo one', messageId: '<req-1@example.net>' }),
  );
  await sink.waitFor(() => sink.copiesFor(asker, results).length === 1, 20_000, 'the results of the command');
  await sink.waitFor(() => sink.copiesFor(asker, autoResponse).length === 1, 20_000, 'the auto-response');
  assert.equal(
    plainText(sink.copiesFor(asker, autoResponse)[0].raw).trim(),
    'Requests to ant@example.com are read by a robot.',
  );

  await configure({ autorespond_requests: 'respond_and_discard' });
  await lmtp.send(
    asker,
    ['ant-request@example.com'],
    makePost({ from: asker, to: 'ant-request@example.com', subject: 'echo two', messageId: '<req-2@example.net>' }),
  );
  await sink.waitFor(() => sink.copiesFor(asker, autoResponse).length === 2, 20_000, 'the second auto-response');
  await quiet();
  assert.equal(sink.copiesFor(asker, results).length, 1, 'the discarded request ran no command');
  await configure({ autorespond_requests: 'none' });
});

test('the auto-response comes before moderation, as in Mailman: a post held for a moderator is answered too', async () => {
  await configure({
    autorespond_postings: 'respond_and_continue',
    autoresponse_postings_text: 'Thanks for writing to $listname.',
    autoresponse_grace_period: 0,
  });
  const stranger = 'stranger@example.net';
  await send(stranger, 'ant@example.com', 'held-1');
  await sink.waitFor(() => sink.copiesFor(stranger, autoResponse).length === 1, 20_000, 'the auto-response');
  // And the post waits for a moderator.
  await server.waitUntil(
    async () =>
      ((await server.rest('GET', `/lists/${LIST}/held`)).body.entries ?? []).some(
        (e: { message_id: string }) => e.message_id === '<held-1@example.net>',
      ),
    20_000,
    'the held post',
  );
  await configure({ autorespond_postings: 'none' });
});
