// Subscription policies through REST: POST /members answers 201 when nothing needs waiting for,
// 202 with the token of whoever acts next otherwise; /lists/L/requests shows and decides the
// requests waiting for a moderator. The notices the workflow sends are read from the virgin
// queue, where the REST process leaves them for the runners.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertError } from './harness.js';
import { Message } from '../../src/email/message.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  for (const [name, policy] of [
    ['open', 'open'],
    ['conf', 'confirm'],
    ['mod', 'moderate'],
    ['ctm', 'confirm_then_moderate'],
  ]) {
    const mlist = await rest.services.lists.create(`${name}@example.com`);
    await rest.services.lists.update(mlist, { subscription_policy: policy, unsubscription_policy: policy });
  }
});
after(async () => {
  await rest.close();
});

interface Sent {
  to: string[];
  from: string;
  subject: string;
  text: string;
  headers: Message;
}

/** Takes every notice queued so far out of the virgin queue. */
async function takeNotices(): Promise<Sent[]> {
  const virgin = rest.services.queues.get('virgin');
  const out: Sent[] = [];
  for (const base of virgin.files()) {
    const { raw, msgdata } = await virgin.dequeue(base);
    await virgin.finish(base);
    const msg = new Message(raw);
    out.push({
      to: (msgdata.recipients as string[]) ?? [],
      from: msg.get('from') ?? '',
      subject: msg.get('subject') ?? '',
      text: raw.toString('utf8'),
      headers: msg,
    });
  }
  return out;
}

async function join_(list: string, email: string, extra: Record<string, unknown> = {}) {
  return rest.post('/members', { list_id: `${list}.example.com`, subscriber: email, ...extra });
}

async function isMember(list: string, email: string): Promise<boolean> {
  return (await rest.get(`/lists/${list}.example.com/member/${email}`)).status === 200;
}

test('open: a verified address joins at once and is welcomed; an unverified one confirms first', async () => {
  await takeNotices();
  assertCreated(await join_('open', 'olga@example.org', { pre_verified: true }), /\/members\/[0-9a-f]{32}$/);
  const [welcome] = await takeNotices();
  assert.deepEqual(welcome.to, ['olga@example.org']);
  assert.match(welcome.subject, /Welcome to the "Open" mailing list/);
  assert.equal(welcome.headers.get('x-no-archive'), 'yes');
  const r = await join_('open', 'oscar@example.org');
  assert.equal(r.status, 202);
  assert.equal(r.body.token_owner, 'subscriber');
  assert.equal(await isMember('open', 'oscar@example.org'), false);
  const [confirm] = await takeNotices();
  assert.equal(confirm.subject, `confirm ${r.body.token}`);
});

test('confirm: 202, a confirmation from -confirm+TOKEN, then membership and a welcome on confirming', async () => {
  await takeNotices();
  const r = await join_('conf', 'carla@example.org', { display_name: 'Carla' });
  assert.equal(r.status, 202);
  assert.match(r.body.token, /^[0-9a-f]{40}$/);
  assert.equal(r.body.token_owner, 'subscriber');
  assert.ok(r.body.http_etag);
  const [confirm] = await takeNotices();
  assert.deepEqual(confirm.to, ['carla@example.org']);
  assert.equal(confirm.from, `conf-confirm+${r.body.token}@example.com`);
  assert.equal(confirm.subject, `confirm ${r.body.token}`);
  assert.equal(confirm.headers.get('auto-submitted'), 'auto-generated');
  assert.equal(confirm.headers.has('precedence'), false, 'a confirmation is not bulk mail');
  assert.match(confirm.text, /confirm [0-9a-f]{40}/);
  // The subscriber's request shows (with its owner), the address exists unverified.
  const pending = await rest.get('/lists/conf.example.com/requests');
  assert.equal(pending.body.total_size, 1);
  assert.equal(pending.body.entries[0].token_owner, 'subscriber');
  assert.equal(pending.body.entries[0].email, 'carla@example.org');
  assert.equal(pending.body.entries[0].type, 'subscription');
  assert.match(pending.body.entries[0].when, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.equal('verified_on' in (await rest.get('/addresses/carla@example.org')).body, false);
  assertError(await join_('conf', 'carla@example.org'), 409, 'Subscription request already pending');
  // A moderator cannot accept what waits for the subscriber.
  assertError(await rest.post(`/lists/conf.example.com/requests/${r.body.token}`, { action: 'accept' }), 409);

  const outcome = await rest.services.workflows.confirm(r.body.token, (id) => rest.services.lists.get(id));
  assert.ok(outcome?.member);
  assert.equal(await isMember('conf', 'carla@example.org'), true);
  assert.match((await rest.get('/addresses/carla@example.org')).body.verified_on, /^\d{4}/);
  const [welcome] = await takeNotices();
  assert.deepEqual(welcome.to, ['carla@example.org']);
  assert.equal(welcome.from, 'conf-request@example.com');
  assert.equal(
    await rest.services.workflows.confirm(r.body.token, (id) => rest.services.lists.get(id)),
    undefined,
    'a token works once',
  );
  assertError(await join_('conf', 'carla@example.org'), 409, 'Member already subscribed');
});

test('confirm with pre_confirmed (and a verified address) is 201 at once; send_welcome_message false is quiet', async () => {
  await takeNotices();
  assertCreated(
    await join_('conf', 'cecil@example.org', { pre_verified: true, pre_confirmed: true, send_welcome_message: false }),
    /\/members\//,
  );
  assert.deepEqual(await takeNotices(), []);
});

test('moderate: a pending request for the moderator, the owners told, accept subscribes', async () => {
  await rest.post('/members', { list_id: 'mod.example.com', subscriber: 'boss@example.org', role: 'owner' });
  await takeNotices();
  const r = await join_('mod', 'maria@example.org', { pre_verified: true });
  assert.equal(r.status, 202);
  assert.equal(r.body.token_owner, 'moderator');
  const [notice] = await takeNotices();
  assert.deepEqual(notice.to, ['boss@example.org']);
  assert.equal(notice.from, 'mod-owner@example.com');
  assert.match(notice.subject, /New subscription request to Mod from maria@example.org/);
  assert.match(notice.text, new RegExp(r.body.token));

  const count = await rest.get('/lists/mod.example.com/requests/count?token_owner=moderator');
  assert.equal(count.body.count, 1);
  assert.equal((await rest.get('/lists/mod@example.com/requests?request_type=subscription')).body.total_size, 1);
  assert.equal((await rest.get('/lists/mod.example.com/requests?request_type=unsubscription')).body.total_size, 0);
  const one = await rest.get(`/lists/mod.example.com/requests/${r.body.token}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.token, r.body.token);
  assert.equal(one.body.token_owner, 'moderator');
  assertError(await rest.get('/lists/mod.example.com/requests?token_owner=boss'), 400);
  assertError(await rest.post(`/lists/mod.example.com/requests/${r.body.token}`, { action: 'approve' }), 400);
  assertError(await rest.post(`/lists/mod.example.com/requests/${'0'.repeat(40)}`, { action: 'accept' }), 404);
  // Another list's token is not this list's request.
  assertError(await rest.post(`/lists/conf.example.com/requests/${r.body.token}`, { action: 'accept' }), 404);

  const defer = await rest.post(`/lists/mod.example.com/requests/${r.body.token}`, { action: 'defer' });
  assert.equal(defer.status, 204);
  assert.equal(await isMember('mod', 'maria@example.org'), false);
  const accept = await rest.post(
    `/lists/mod.example.com/requests/${r.body.token}`,
    { action: 'accept' },
    { form: true },
  );
  assert.equal(accept.status, 204);
  assert.equal(await isMember('mod', 'maria@example.org'), true);
  assert.equal((await rest.get('/lists/mod.example.com/requests')).body.total_size, 0);
  const welcome = (await takeNotices()).find((n) => n.to.includes('maria@example.org'));
  assert.ok(welcome, 'the accepted member is welcomed');
});

test('moderate: reject tells the subscriber with the reason; discard is silent', async () => {
  await takeNotices();
  const r1 = await join_('mod', 'rex@example.org', { pre_verified: true });
  const r2 = await join_('mod', 'dina@example.org', { pre_verified: true });
  await takeNotices();
  assert.equal(
    (await rest.post(`/lists/mod.example.com/requests/${r1.body.token}`, { action: 'reject', reason: 'No spam' }))
      .status,
    204,
  );
  const [refusal] = await takeNotices();
  assert.deepEqual(refusal.to, ['rex@example.org']);
  assert.match(refusal.subject, /rejected/);
  assert.equal(
    (await rest.post(`/lists/mod.example.com/requests/${r2.body.token}`, { action: 'discard' })).status,
    204,
  );
  assert.deepEqual(await takeNotices(), []);
  assert.equal(await isMember('mod', 'rex@example.org'), false);
  assert.equal(await isMember('mod', 'dina@example.org'), false);
  assert.equal((await rest.get('/lists/mod.example.com/requests')).body.total_size, 0);
});

test('confirm_then_moderate: the subscriber confirms, then a new token waits for the moderator', async () => {
  await takeNotices();
  const r = await join_('ctm', 'tina@example.org');
  assert.equal(r.body.token_owner, 'subscriber');
  const outcome = await rest.services.workflows.confirm(r.body.token, (id) => rest.services.lists.get(id));
  assert.equal(outcome?.tokenOwner, 'moderator');
  assert.ok(outcome?.token && outcome.token !== r.body.token, 'each step has its own token');
  assert.equal(await isMember('ctm', 'tina@example.org'), false);
  const waiting = await rest.get('/lists/ctm.example.com/requests?token_owner=moderator');
  assert.deepEqual(
    waiting.body.entries.map((e: { email: string; token: string }) => [e.email, e.token]),
    [['tina@example.org', outcome!.token]],
  );
  // The subscriber's token is spent; the moderator's cannot be confirmed by the subscriber.
  assert.equal(await rest.services.workflows.confirm(outcome!.token!, (id) => rest.services.lists.get(id)), undefined);
  assert.equal(
    (await rest.post(`/lists/ctm.example.com/requests/${outcome!.token}`, { action: 'accept' })).status,
    204,
  );
  assert.equal(await isMember('ctm', 'tina@example.org'), true);
});

test('unsubscription policies: confirm waits for the member, moderate for a moderator, pre flags skip both', async () => {
  for (const list of ['conf', 'mod']) {
    assertCreated(
      await join_(list, 'ursula@example.org', { pre_verified: true, pre_confirmed: true, pre_approved: true }),
      /members/,
    );
  }
  await takeNotices();
  const conf = await rest.get('/lists/conf.example.com/member/ursula@example.org');
  const leave = await rest.delete(`/members/${conf.body.member_id}`, { pre_confirmed: false });
  assert.equal(leave.status, 202);
  assert.equal(leave.body.token_owner, 'subscriber');
  const [ask] = await takeNotices();
  assert.equal(ask.subject, `confirm ${leave.body.token}`);
  assert.equal(ask.from, `conf-confirm+${leave.body.token}@example.com`);
  await rest.services.workflows.confirm(leave.body.token, (id) => rest.services.lists.get(id));
  assert.equal(await isMember('conf', 'ursula@example.org'), false);
  const [goodbye] = await takeNotices();
  assert.deepEqual(goodbye.to, ['ursula@example.org']);

  const mod = await rest.get('/lists/mod.example.com/member/ursula@example.org');
  const asked = await rest.delete(`/members/${mod.body.member_id}`);
  assert.equal(asked.status, 202);
  assert.equal(asked.body.token_owner, 'moderator');
  const req = (await rest.get('/lists/mod.example.com/requests?request_type=unsubscription')).body.entries[0];
  assert.equal(req.type, 'unsubscription');
  await rest.post(`/lists/mod.example.com/requests/${asked.body.token}`, { action: 'accept' });
  assert.equal(await isMember('mod', 'ursula@example.org'), false);

  assertCreated(await join_('mod', 'ursula@example.org', { pre_verified: true, pre_approved: true }), /members/);
  const again = await rest.get('/lists/mod.example.com/member/ursula@example.org');
  assert.equal((await rest.delete(`/members/${again.body.member_id}`, { pre_approved: true })).status, 204);
});

test('an invitation asks the invitee; accepting it subscribes without a moderator', async () => {
  await takeNotices();
  const r = await join_('mod', 'ivan@example.org', { invitation: true });
  assert.equal(r.status, 202);
  assert.equal(r.body.token_owner, 'subscriber');
  const [invite] = await takeNotices();
  assert.match(invite.text, /invited/);
  const outcome = await rest.services.workflows.confirm(r.body.token, (id) => rest.services.lists.get(id));
  assert.ok(outcome?.member);
  assert.equal(await isMember('mod', 'ivan@example.org'), true);
});

test('an expired token is unknown: it neither confirms nor shows', async () => {
  const r = await join_('conf', 'eve@example.org');
  await rest.services.pendings.repo.update({ token: r.body.token }, { expires_at: new Date(Date.now() - 1000) });
  assert.equal((await rest.get('/lists/conf.example.com/requests')).body.total_size ?? 0, 0);
  assert.equal(await rest.services.workflows.confirm(r.body.token, (id) => rest.services.lists.get(id)), undefined);
  assert.equal(await isMember('conf', 'eve@example.org'), false);
  // With the stale request gone, the address may ask again.
  assert.equal((await join_('conf', 'eve@example.org')).status, 202);
});

test('refusals: banned, the posting address, a bad address', async () => {
  await rest.post('/lists/conf.example.com/bans', { email: 'banned@example.org' });
  assertError(await join_('conf', 'banned@example.org'), 400, 'Membership is banned');
  assertError(await join_('conf', 'conf@example.com'), 400, 'The list posting address cannot be subscribed');
  assertError(await join_('conf', 'not an address'), 400, /^Invalid Parameter "subscriber"/);
  for (const own of ['conf-request@example.com', 'conf-owner@example.com', 'conf-confirm+abc@example.com'])
    assertError(await join_('conf', own, { pre_verified: true }), 400, `${own} is an address of the list itself`);
  // Another list's -request address is an address like any other.
  assert.equal((await join_('conf', 'mod-request@example.com', { pre_verified: true })).status, 202);
});
