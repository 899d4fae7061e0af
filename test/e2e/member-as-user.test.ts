// A user subscribed by user id is a member as the user (subscription_mode as_user), as in
// Mailman: posts go to whatever address is the user's preferred one when they are delivered,
// the membership is found (and moderated) under that address, and giving the member an
// address of its own makes it as_address. Through the real server: REST, LMTP, the SMTP sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

let sink: SmtpSink;
let server: TestServer;
let uid: string;
const LIST = 'ant.example.com';
const HOME = 'anne@home.example.org';
const WORK = 'anne@work.example.org';
const PRE = { pre_verified: true, pre_confirmed: true, pre_approved: true, send_welcome_message: false };

async function ok(
  method: string,
  path: string,
  body?: Record<string, unknown>,
  status = [200, 201, 204],
): Promise<any> {
  const res = await server.rest(method, path, body);
  assert.ok(status.includes(res.status), `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** Posts from `from` and waits until the server is done with it; the addresses that got a copy. */
async function post(from: string, id: string): Promise<string[]> {
  const messageId = `<${id}@example.org>`;
  await sendLmtp(
    server.lmtpPort,
    from,
    [`ant@example.com`],
    makePost({ from, to: 'ant@example.com', subject: id, messageId }),
  );
  await barrierPost(server, sink);
  return sink.received
    .filter((r) => r.msg.messageId === messageId)
    .flatMap((r) => r.to)
    .sort();
}

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await ok('POST', '/domains', { mail_host: 'example.com' });
  await ok('POST', '/lists', { fqdn_listname: 'ant@example.com' });
  await ok('PATCH', `/lists/${LIST}/config`, { default_nonmember_action: 'discard' });
  await ok('POST', '/members', { list_id: LIST, subscriber: 'bart@example.org', ...PRE });
  const user = await ok('POST', '/users', { email: HOME, display_name: 'Anne' });
  uid = user.headers.get('location')!.split('/').pop()!;
  await ok('POST', `/users/${uid}/addresses`, { email: WORK });
  for (const a of [HOME, WORK]) await ok('POST', `/addresses/${a}/verify`);
  await ok('POST', `/users/${uid}/preferred_address`, { email: HOME });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('subscribed by user id: as_user, delivered to the preferred address of the moment', async () => {
  await ok('POST', '/members', { list_id: LIST, subscriber: uid, ...PRE });
  const member = (await ok('GET', `/lists/${LIST}/member/${HOME}`)).body;
  assert.equal(member.subscription_mode, 'as_user');
  assert.equal(member.email, HOME);
  assert.match(member.user, new RegExp(`/users/${uid}$`));
  // The user is a member once, whichever way it is asked again.
  assert.equal((await server.rest('POST', '/members', { list_id: LIST, subscriber: uid, ...PRE })).status, 409);
  assert.equal((await server.rest('POST', '/members', { list_id: LIST, subscriber: HOME, ...PRE })).status, 409);
  assert.deepEqual(await post('bart@example.org', 'to-home'), ['bart@example.org', HOME].sort());

  // The user now prefers the work address: the membership, its listing and delivery move with it.
  await ok('POST', `/users/${uid}/preferred_address`, { email: WORK });
  assert.deepEqual(await post('bart@example.org', 'to-work'), ['bart@example.org', WORK].sort());
  const roster = (await ok('GET', `/lists/${LIST}/roster/member`)).body.entries.map((m: any) => [
    m.email,
    m.subscription_mode,
  ]);
  assert.deepEqual(roster, [
    [WORK, 'as_user'],
    ['bart@example.org', 'as_address'],
  ]);
  assert.equal((await server.rest('GET', `/lists/${LIST}/member/${HOME}`)).status, 404);
  // A post from the preferred address is a member's post (nonmembers are discarded here), and,
  // as for any member (docs/language.md, roles), so is one from another address of the user.
  assert.deepEqual(await post(WORK, 'from-work'), ['bart@example.org', WORK].sort());
  assert.deepEqual(await post(HOME, 'from-home'), ['bart@example.org', WORK].sort());
  assert.deepEqual(await post('stranger@example.net', 'from-stranger'), []);
});

test('given an address of its own, the member is as_address and stays there', async () => {
  const member = (await ok('GET', `/lists/${LIST}/member/${WORK}`)).body;
  await ok('PATCH', `/members/${member.member_id}`, { address: HOME });
  const moved = (await ok('GET', `/members/${member.member_id}`)).body;
  assert.equal(moved.subscription_mode, 'as_address');
  assert.equal(moved.email, HOME);
  await ok('POST', `/users/${uid}/preferred_address`, { email: WORK });
  assert.deepEqual(await post('bart@example.org', 'pinned'), ['bart@example.org', HOME].sort());
  // Unsubscribed by its address, as any member.
  await ok('DELETE', `/lists/${LIST}/member/${HOME}`);
  assert.deepEqual(await post('bart@example.org', 'gone'), ['bart@example.org'].sort());
});
