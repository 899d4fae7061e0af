// Bounces through the real server: reports arrive over LMTP at LIST-bounces (a DSN, a VERP'd
// address, a refusal at SMTP time, an autoreply, something unrecognisable) and what they do is
// read back over REST (the member's bounce score and delivery status) and at the SMTP sink
// (the owners' notices, the member's warning).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';

const MEMBERS = ['anne@example.org', 'bart@example.org', 'cris@example.org', 'dave@example.org', 'erin@example.org'];
let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('ant@example.com', MEMBERS);
  const owner = await server.rest('POST', '/members', {
    list_id: 'ant.example.com',
    subscriber: 'owner@example.com',
    role: 'owner',
  });
  assert.equal(owner.status, 201);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

const corpus = (name: string) =>
  readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'bounces', `${name}.eml`), 'latin1');
const score = async (email: string) => (await server.rest('GET', `/lists/ant.example.com/member/${email}`)).body;
async function deliveryStatus(email: string): Promise<string> {
  const self = String((await score(email)).self_link);
  const prefs = await server.rest('GET', `${self.slice(self.indexOf('/members/'))}/preferences`);
  return String(prefs.body.delivery_status ?? 'enabled');
}
const toBounces = (raw: string, rcpt = 'ant-bounces@example.com') =>
  sendLmtp(server.lmtpPort, '', [rcpt], Buffer.from(raw, 'latin1'));
const noticeTo = (to: string, subject: RegExp) => (r: Received) =>
  r.to.includes(to) && subject.test(String(r.msg.get('subject')));

test('a DSN naming a member raises their bounce score', async () => {
  const res = await toBounces(corpus('postfix-dsn').replace(/gone@example\.net/g, 'anne@example.org'));
  assert.equal(res.accepted.length, 1);
  await waitFor(async () => (await score('anne@example.org')).bounce_score === 1, 'anne scored');
  assert.match(String((await score('anne@example.org')).last_bounce_received), /^\d{4}-\d\d-\d\dT/);
  assert.equal(await deliveryStatus('anne@example.org'), 'enabled', 'one bounce is below the threshold of 5');
});

test('VERP: the address in LIST-bounces+… decides, whatever the report names', async () => {
  await toBounces(corpus('dsn-forwarded'), 'ant-bounces+bart=example.org@example.com');
  await waitFor(async () => (await score('bart@example.org')).bounce_score === 1, 'bart scored');
});

test('an autoreply to a VERP address scores nothing and goes to the owners', async () => {
  const reply = makePost({
    from: 'dave@example.org',
    to: 'ant-bounces+dave=example.org@example.com',
    subject: 'Out of office',
    messageId: '<ooo@example.org>',
    body: 'I am away until Monday.\n',
  });
  await toBounces(reply, 'ant-bounces+dave=example.org@example.com');
  await sink.waitFor(() => sink.received.some(noticeTo('owner@example.com', /Uncaught bounce/)), 20_000, 'forward');
  const forwarded = sink.received.find(noticeTo('owner@example.com', /Uncaught bounce/))!;
  assert.match(forwarded.raw.toString(), /Content-Type: message\/rfc822[\s\S]*Out of office/);
  assert.equal((await score('dave@example.org')).bounce_score, 0);
});

test('a temporary failure scores nothing', async () => {
  await toBounces(corpus('postfix-dsn-delayed').replace(/slow@example\.net/g, 'dave@example.org'));
  // The next bounce is processed after this one by the same runner: once it is scored, this one was seen.
  await toBounces(corpus('qmail').replace('nobody@example.net', 'cris@example.org'));
  await waitFor(async () => (await score('cris@example.org')).bounce_score === 1, 'cris scored');
  assert.equal((await score('dave@example.org')).bounce_score, 0);
});

test('a refusal at SMTP time counts as a bounce', async () => {
  sink.rcptReplyFor = (a) => (a === 'erin@example.org' ? { code: 550, message: '5.1.1 No such user' } : undefined);
  try {
    const post = makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'hi', messageId: '<p1@x>' });
    await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], post);
    await waitFor(async () => (await score('erin@example.org')).bounce_score === 1, 'erin scored from the 550');
  } finally {
    sink.rcptReplyFor = undefined;
  }
});

test('at the threshold delivery is disabled: the owners are told, the member is warned', async () => {
  assert.equal(
    (await server.rest('PATCH', '/lists/ant.example.com/config', { bounce_score_threshold: 1 })).status,
    204,
  );
  // bart scored today already: a new day is needed for a second count, so a fresh member goes over.
  await toBounces(corpus('exim-classic').replace('absent@example.net', 'dave@example.org'));
  await waitFor(async () => (await deliveryStatus('dave@example.org')) === 'by_bounces', 'dave disabled');
  await sink.waitFor(
    () =>
      sink.received.some(noticeTo('owner@example.com', /dave@example\.org's subscription disabled/)) &&
      sink.received.some(noticeTo('dave@example.org', /has been disabled/)),
    20_000,
    'the disable notice and the warning',
  );
});

test('a bounce nothing can read goes to the owners', async () => {
  const before = sink.received.filter(noticeTo('owner@example.com', /Uncaught bounce/)).length;
  await toBounces(corpus('not-a-bounce'));
  await sink.waitFor(
    () => sink.received.filter(noticeTo('owner@example.com', /Uncaught bounce/)).length === before + 1,
    20_000,
    'the unrecognised bounce forwarded',
  );
});
