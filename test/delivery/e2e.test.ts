// The posting pipeline and decoration through the real server: LMTP in, every handler of
// Mailman's default pipeline, SMTP out to a real sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

let sink: SmtpSink;
let server: TestServer;
const MEMBERS = ['anne@example.org', 'bart@example.org', 'cris@example.net'];
const FOOTER =
  '_______________________________________________\r\nAnt mailing list -- ant@example.com\r\nTo unsubscribe send an email to ant-leave@example.com\r\n';

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  for (const list of ['ant', 'bee']) {
    assert.equal((await server.rest('POST', '/lists', { fqdn_listname: `${list}@example.com` })).status, 201);
    for (const email of MEMBERS) {
      const res = await server.rest('POST', '/members', {
        list_id: `${list}.example.com`,
        subscriber: email,
        display_name: email.slice(0, 4).replace(/^./, (c) => c.toUpperCase()),
        pre_verified: true,
        pre_confirmed: true,
        pre_approved: true,
        send_welcome_message: false,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  }
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

/** PATCHes one layer's preferences over REST: `path` is /members/ID, /addresses/EMAIL or /users/ID-or-EMAIL. */
async function setPrefs(path: string, prefs: Record<string, unknown>): Promise<void> {
  const res = await server.rest('PATCH', `${path}/preferences`, prefs);
  assert.equal(res.status, 204, JSON.stringify(res.body));
}

async function memberPath(list: string, email: string): Promise<string> {
  const res = await server.rest('GET', `/lists/${list}/member/${email}`);
  assert.equal(res.status, 200, `${email} is a member of ${list}`);
  return `/members/${(res.body as { member_id: string }).member_id}`;
}

/** Posts, then waits for the copies and a barrier post: a duplicate would be at the sink by then. */
async function deliver(
  raw: string,
  messageId: string,
  expect: string[],
  from = 'anne@example.org',
  list = 'ant@example.com',
): Promise<Map<string, Received[]>> {
  const res = await sendLmtp(server.lmtpPort, from, [list], raw);
  assert.deepEqual(res.accepted, [list]);
  const isPost = (r: Received) => r.msg.messageId === messageId;
  await sink.waitFor(
    () => expect.every((m) => sink.copiesFor(m, isPost).length >= 1),
    20_000,
    `copies of ${messageId}`,
  );
  await barrierPost(server, sink);
  return new Map(MEMBERS.map((m) => [m, sink.copiesFor(m, isPost)]));
}

test('a plain-text member post reaches every member once, with the headers, prefix and footer once', async () => {
  const messageId = '<plain@example.org>';
  const raw = makePost({
    from: 'Anne <anne@example.org>',
    to: 'ant@example.com',
    subject: 'Hello ants',
    messageId,
    extra: ['Approved: not-the-password', 'Disposition-Notification-To: anne@example.org'],
  });
  const copies = await deliver(raw, messageId, MEMBERS);
  for (const m of MEMBERS) {
    assert.equal(copies.get(m)!.length, 1, m);
    const { msg, from } = copies.get(m)![0];
    assert.equal(from, 'ant-bounces@example.com');
    assert.equal(msg.get('subject'), '[Ant] Hello ants');
    assert.equal(msg.get('from'), 'Anne <anne@example.org>');
    assert.equal(msg.get('list-id'), '<ant.example.com>');
    assert.equal(msg.get('list-post'), '<mailto:ant@example.com>');
    assert.equal(msg.get('list-unsubscribe'), '<mailto:ant-leave@example.com>');
    assert.equal(msg.get('precedence'), 'list');
    assert.match(msg.get('x-mailman-version') ?? '', /mailman-ts/);
    // cleanse: the password and the receipt request never reach the members.
    assert.equal(msg.has('approved'), false);
    assert.equal(msg.has('disposition-notification-to'), false);
    assert.equal(msg.has('x-mailman-copy'), false);
    assert.equal(msg.body.toString(), `Hello, list.\r\n${FOOTER}`);
  }
});

test('a multipart post gets the footer as its last part', async () => {
  const messageId = '<multipart@example.org>';
  const raw = [
    'From: Anne <anne@example.org>',
    'To: ant@example.com',
    'Subject: with attachment',
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'See attached.',
    '--b1',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    'AAECAw==',
    '--b1--',
    '',
  ].join('\r\n');
  const copies = await deliver(raw, messageId, MEMBERS);
  const { msg } = copies.get('bart@example.org')![0];
  assert.equal(msg.get('content-type'), 'multipart/mixed; boundary="b1"');
  const parts = msg.body.toString().split(/\r\n--b1/);
  assert.equal(parts.length, 4);
  assert.equal(parts[0], '--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee attached.');
  assert.match(parts[1], /application\/octet-stream[\s\S]*AAECAw==$/);
  const partHead = [
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    'Content-Disposition: inline',
  ].join('\r\n');
  assert.equal(parts[2], `\r\n${partHead}\r\n\r\n${FOOTER.replace(/\r\n$/, '')}`);
  assert.equal(parts[3], '--\r\n');
  assert.equal(msg.body.toString().split(FOOTER.split('\r\n')[1]).length, 2, 'the footer once');
});

test('a member whose user turned acknowledge_posts on gets a post acknowledgement', async () => {
  await setPrefs('/users/cris@example.net', { acknowledge_posts: true });
  const messageId = '<ack-me@example.net>';
  await deliver(
    makePost({ from: 'cris@example.net', to: 'ant@example.com', subject: 'Please confirm', messageId }),
    messageId,
    MEMBERS,
    'cris@example.net',
  );
  const isAck = (r: Received) => r.msg.get('subject') === 'Ant post acknowledgment';
  await sink.waitFor(() => sink.copiesFor('cris@example.net', isAck).length >= 1, 20_000, 'the acknowledgement');
  const acks = sink.copiesFor('cris@example.net', isAck);
  assert.equal(acks.length, 1);
  assert.equal(acks[0].msg.get('from'), 'ant-bounces@example.com');
  assert.match(acks[0].msg.body.toString(), /Please confirm[\s\S]*has reached the Ant mailing list/);
  // A notice is not a post: no footer.
  assert.doesNotMatch(acks[0].msg.body.toString(), /To unsubscribe send an email/);
  for (const m of ['anne@example.org', 'bart@example.org']) assert.equal(sink.copiesFor(m, isAck).length, 0);
});

test('avoid-duplicates: a member in Cc who wants no list copy gets none; the others do', async () => {
  await setPrefs(await memberPath('ant.example.com', 'bart@example.org'), { receive_list_copy: false });
  const messageId = '<cc-bart@example.org>';
  const copies = await deliver(
    makePost({
      from: 'anne@example.org',
      to: 'ant@example.com',
      subject: 'cc',
      messageId,
      extra: ['Cc: Bart <bart@example.org>, cris@example.net'],
    }),
    messageId,
    ['anne@example.org', 'cris@example.net'],
  );
  assert.equal(copies.get('bart@example.org')!.length, 0);
  assert.equal(copies.get('anne@example.org')!.length, 1);
  assert.equal(copies.get('cris@example.net')!.length, 1);
  // Bart is dropped from the Cc the list sends; cris, who wants both copies, stays.
  assert.equal(copies.get('cris@example.net')![0].msg.get('cc'), 'cris@example.net');
});

test('personalised delivery: one copy per member with their own footer, To and X-Mailman-Copy', async () => {
  const res = await server.rest('PATCH', '/lists/bee.example.com/config', {
    personalize: 'full',
    member_regular_footer: '-- \n$display_name, sent to ${user_email} (${user_name})\n',
  });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  const messageId = '<personal@example.org>';
  const copies = await deliver(
    makePost({
      from: 'anne@example.org',
      to: 'bee@example.com',
      subject: 'for you',
      messageId,
      extra: ['Cc: cris@example.net'],
    }),
    messageId,
    MEMBERS,
    'anne@example.org',
    'bee@example.com',
  );
  for (const m of MEMBERS) {
    const got = copies.get(m)!;
    assert.equal(got.length, 1, m);
    assert.deepEqual(got[0].to, [m], 'one SMTP transaction per copy');
    const name = m.slice(0, 4).replace(/^./, (c) => c.toUpperCase());
    assert.equal(got[0].msg.get('to'), `${name} <${m}>`);
    assert.equal(got[0].msg.body.toString(), `Hello, list.\r\n-- \r\nBee, sent to ${m} (${name})\r\n`);
    assert.equal(got[0].msg.get('x-mailman-copy'), m === 'cris@example.net' ? 'yes' : undefined, m);
  }
});

test('the preference cascade decides who gets a post: the user, the address, and the member over both', async () => {
  const cris = await memberPath('ant.example.com', 'cris@example.net');
  // Bart's user stopped delivery; Anne's address wants no copy of her own posts; Cris's
  // address asked for digests, but the membership says regular and wins.
  await setPrefs('/users/bart@example.org', { delivery_status: 'by_user' });
  await setPrefs('/addresses/anne@example.org', { receive_own_postings: false });
  await setPrefs('/addresses/cris@example.net', { delivery_mode: 'mime_digests' });
  await setPrefs(cris, { delivery_mode: 'regular' });
  try {
    const messageId = '<cascade@example.org>';
    const copies = await deliver(
      makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'cascade', messageId }),
      messageId,
      ['cris@example.net'],
    );
    assert.equal(copies.get('cris@example.net')!.length, 1);
    assert.equal(copies.get('bart@example.org')!.length, 0, "the user's delivery_status");
    assert.equal(copies.get('anne@example.org')!.length, 0, "the address's receive_own_postings");
  } finally {
    for (const path of ['/users/bart@example.org', '/addresses/anne@example.org', '/addresses/cris@example.net', cris])
      assert.equal((await server.rest('DELETE', `${path}/preferences`)).status, 204);
  }
  // Cleared, every layer falls through to the system: everyone gets the next post.
  const messageId = '<cascade-cleared@example.org>';
  const copies = await deliver(
    makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'cleared', messageId }),
    messageId,
    MEMBERS,
  );
  for (const m of MEMBERS) assert.equal(copies.get(m)!.length, 1, m);
});
