import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
  await rest.services.lists.create('bee@example.com');
});
after(async () => {
  await rest.close();
});

const MEMBER_ID = /\/members\/([0-9a-f]{32})$/;

async function subscribe(body: Record<string, unknown>, form = false): Promise<string> {
  const loc = assertCreated(await rest.post('/members', body, { form }), MEMBER_ID);
  return MEMBER_ID.exec(loc)![1];
}

let anneId: string;

test('POST /members subscribes at once: 201 with the member Location, entry in Mailman shape', async () => {
  anneId = await subscribe({
    list_id: 'ant.example.com',
    subscriber: 'Anne@Example.com',
    display_name: 'Anne Person',
    pre_verified: true,
    pre_confirmed: true,
    pre_approved: true,
  });
  const r = await rest.get(`/members/${anneId}`);
  assert.equal(r.status, 200);
  assert.deepEqual(
    { ...r.body, http_etag: undefined },
    {
      address: `${rest.root()}/addresses/anne@example.com`,
      bounce_score: 0,
      delivery_mode: 'regular',
      display_name: 'Anne Person',
      email: 'anne@example.com',
      last_warning_sent: '0001-01-01T00:00:00',
      list_id: 'ant.example.com',
      member_id: anneId,
      role: 'member',
      self_link: `${rest.root()}/members/${anneId}`,
      subscription_mode: 'as_address',
      total_warnings_sent: 0,
      user: `${rest.root()}/users/${(await rest.services.users.userOfAddress('anne@example.com'))!.user_id}`,
      http_etag: undefined,
    },
  );
  assertEtag(r.body);
  const address = await rest.get('/addresses/anne@example.com');
  assert.equal(address.body.original_email, 'Anne@Example.com');
  assert.match(
    address.body.verified_on,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/,
    'pre_verified verifies the address',
  );
});

test('POST /members with a form body as mailmanclient sends it, roles and delivery options', async () => {
  await subscribe(
    {
      list_id: 'ant.example.com',
      subscriber: 'bart@example.com',
      send_welcome_message: 'False',
      delivery_mode: 'mime_digests',
      pre_verified: 'True',
      pre_confirmed: 'True',
      pre_approved: 'True',
    },
    true,
  );
  await subscribe(
    { list_id: 'ant.example.com', subscriber: 'owner@example.com', role: 'owner', display_name: 'The Owner' },
    true,
  );
  await subscribe({ list_id: 'ant.example.com', subscriber: 'mod@example.com', role: 'moderator' });
  await subscribe({ list_id: 'ant.example.com', subscriber: 'ant@example.com', role: 'nonmember' });
  await subscribe({ list_id: 'bee.example.com', subscriber: 'anne@example.com', pre_confirmed: true });
  const bart = (await rest.get('/lists/ant.example.com/member/bart@example.com')).body;
  assert.equal(bart.delivery_mode, 'mime_digests');
  assert.equal(bart.display_name, '');
});

test('POST /members errors: 409 duplicate member, 400 for the rest with reasons', async () => {
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'anne@example.com' }),
    409,
    'Member already subscribed',
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'owner@example.com', role: 'owner' }),
    400,
    'owner@example.com is already an owner of ant@example.com',
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'ant@example.com' }),
    400,
    'The list posting address cannot be subscribed',
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'not an email' }),
    400,
    /^Invalid Parameter "subscriber"/,
  );
  assertError(
    await rest.post('/members', { list_id: 'nope.example.com', subscriber: 'x@example.com' }),
    400,
    'No such list',
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'x@example.com', role: 'boss' }),
    400,
    'Invalid Parameter "role": Accepted Values are: member, owner, moderator, nonmember.',
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'x@example.com', delivery_mode: 'pigeon' }),
    400,
    /^Invalid Parameter "delivery_mode"/,
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'x@example.com', pre_verified: 'perhaps' }),
    400,
    /^Invalid Parameter "pre_verified"/,
  );
  assertError(await rest.post('/members', { subscriber: 'x@example.com' }), 400, 'Missing Parameter: list_id');
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'x@example.com', favourite: 'blue' }),
    400,
    'Unexpected parameters: favourite',
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: '0123456789abcdef0123456789abcdef' }),
    400,
    'No such user',
  );
  assert.equal(
    (await rest.services.members.roster('ant.example.com', 'member')).length,
    2,
    'nothing was added by the failures',
  );
});

test('rosters by role, sorted by email; empty rosters have no entries', async () => {
  const members = await rest.get('/lists/ant.example.com/roster/member');
  assert.equal(members.status, 200);
  assert.equal(members.body.total_size, 2);
  assert.deepEqual(
    members.body.entries.map((e: { email: string }) => e.email),
    ['anne@example.com', 'bart@example.com'],
  );
  for (const e of members.body.entries) assertEtag(e);
  assertEtag(members.body);
  const owners = await rest.get('/lists/ant@example.com/roster/owner');
  assert.deepEqual(
    owners.body.entries.map((e: { email: string; role: string }) => [e.email, e.role]),
    [['owner@example.com', 'owner']],
  );
  assert.equal((await rest.get('/lists/ant.example.com/roster/nonmember')).body.total_size, 1);
  const none = await rest.get('/lists/bee.example.com/roster/owner');
  assert.equal(none.body.total_size, 0);
  assert.equal('entries' in none.body, false);
  assertError(await rest.get('/lists/ant.example.com/roster/boss'), 404);
  assertError(await rest.get('/lists/nope.example.com/roster/member'), 404);
  const paged = await rest.get('/lists/ant.example.com/roster/member?count=1&page=2');
  assert.equal(paged.body.start, 1);
  assert.equal(paged.body.total_size, 2);
  assert.deepEqual(
    paged.body.entries.map((e: { email: string }) => e.email),
    ['bart@example.com'],
  );
  const fields = await rest.get('/lists/ant.example.com/roster/member?fields=email&fields=self_link');
  assert.deepEqual(Object.keys(fields.body.entries[0]).sort(), ['email', 'http_etag', 'self_link']);
});

test('GET /members lists the memberships as Mailman: by list, then owners, moderators, members', async () => {
  const all = await rest.get('/members');
  assert.equal(all.body.total_size, 5, 'nonmembers are left out');
  assert.deepEqual(
    all.body.entries.map((e: { list_id: string; role: string; email: string }) => `${e.list_id} ${e.role} ${e.email}`),
    [
      'ant.example.com owner owner@example.com',
      'ant.example.com moderator mod@example.com',
      'ant.example.com member anne@example.com',
      'ant.example.com member bart@example.com',
      'bee.example.com member anne@example.com',
    ],
  );
});

test('/members/find by list, role and subscriber (exact email, part of one, or user id)', async () => {
  const anne = await rest.get('/members/find?subscriber=anne@example.com');
  assert.deepEqual(
    anne.body.entries.map((e: { list_id: string }) => e.list_id),
    ['ant.example.com', 'bee.example.com'],
  );
  const post = await rest.post('/members/find', { list_id: 'ant.example.com', role: 'member' }, { form: true });
  assert.equal(post.status, 200);
  assert.equal(post.body.total_size, 2);
  // mailmanclient puts part of the query in the URL and the rest in the form body.
  const mixed = await rest.post(
    '/members/find?list_id=ant.example.com',
    { subscriber: 'owner@example.com' },
    { form: true },
  );
  assert.deepEqual(
    mixed.body.entries.map((e: { role: string }) => e.role),
    ['owner'],
  );
  // A whole address matches exactly (nn@example.com is not anne@example.com), a fragment matches inside.
  assert.equal((await rest.get('/members/find?subscriber=nne@example.com')).body.total_size, 0);
  assert.equal((await rest.get('/members/find?subscriber=ANNE')).body.total_size, 2);
  assert.equal((await rest.get('/members/find?subscriber=example.com&role=moderator')).body.total_size, 1);
  assert.equal(
    (await rest.get('/members/find?list_id=ant@example.com&role=member&count=1&page=1')).body.entries.length,
    1,
  );
  // Subscribing gave anne's address a user, as Mailman's workflow does.
  const user = (await rest.services.users.userOfAddress('anne@example.com'))!;
  const byUser = await rest.get(`/members/find?subscriber=${user.user_id}`);
  assert.equal(byUser.body.total_size, 2);
  assert.equal(byUser.body.entries[0].user, `${rest.root()}/users/${user.user_id}`);
  assertError(await rest.get('/members/find?role=boss'), 400, /^Invalid Parameter "role"/);
  assertError(await rest.get('/members/find?colour=red'), 400, 'Unexpected parameters: colour');
  const none = await rest.get('/members/find?subscriber=nobody@example.com');
  assert.equal(none.status, 200);
  assert.equal('entries' in none.body, false);
});

test('PATCH /members/<id>: moderation_action set and cleared, delivery_mode, address', async () => {
  assert.equal((await rest.patch(`/members/${anneId}`, { moderation_action: 'hold' })).status, 204);
  assert.equal((await rest.get(`/members/${anneId}`)).body.moderation_action, 'hold');
  assert.equal((await rest.patch(`/members/${anneId}`, { moderation_action: '' }, { form: true })).status, 204);
  assert.equal('moderation_action' in (await rest.get(`/members/${anneId}`)).body, false);
  assert.equal((await rest.patch(`/members/${anneId}`, { delivery_mode: 'plaintext_digests' })).status, 204);
  assert.equal((await rest.get(`/members/${anneId}`)).body.delivery_mode, 'plaintext_digests');
  assertError(
    await rest.patch(`/members/${anneId}`, { moderation_action: 'shout' }),
    400,
    /^Invalid Parameter "moderation_action"/,
  );
  assertError(await rest.patch(`/members/${anneId}`, { role: 'owner' }), 400, 'Unexpected parameters: role');
  assertError(
    await rest.patch(`/members/${anneId}`, { address: 'unknown@example.com' }),
    400,
    'Address not registered',
  );
  assertError(await rest.patch(`/members/${anneId}`, { address: 'bart@example.com' }), 400, /already a member/);
  await rest.services.users.createAddress('anne.other@example.com');
  assert.equal((await rest.patch(`/members/${anneId}`, { address: 'anne.other@example.com' })).status, 204);
  assert.equal((await rest.get(`/members/${anneId}`)).body.email, 'anne.other@example.com');
  assertError(await rest.patch('/members/00000000000000000000000000000000', { delivery_mode: 'regular' }), 404);
});

test('one membership by list, role and email; DELETE unsubscribes (also by member id)', async () => {
  const m = await rest.get('/lists/ant.example.com/moderator/mod@example.com');
  assert.equal(m.status, 200);
  assert.equal(m.body.role, 'moderator');
  assertEtag(m.body);
  assertError(await rest.get('/lists/ant.example.com/owner/mod@example.com'), 404);
  assertError(await rest.get('/lists/ant.example.com/boss/mod@example.com'), 404);
  // mailmanclient quotes the email in the path.
  assert.equal((await rest.get('/lists/ant.example.com/moderator/mod%40example.com')).status, 200);
  assert.equal(
    (await rest.delete('/lists/ant.example.com/moderator/mod%40example.com', { pre_confirmed: 'True' }, { form: true }))
      .status,
    204,
  );
  assertError(await rest.get('/lists/ant.example.com/moderator/mod@example.com'), 404);
  // A member leaves through the unsubscription workflow: asked not to count as confirmed, it waits for them.
  const pending = await rest.delete(`/members/${anneId}`, { pre_confirmed: false });
  assert.equal(pending.status, 202);
  assert.equal(pending.body.token_owner, 'subscriber');
  assert.match(pending.body.token, /^[0-9a-f]{40}$/);
  assert.equal((await rest.get(`/members/${anneId}`)).status, 200, 'still a member until confirmed');
  assert.equal((await rest.delete(`/members/${anneId}`, { pre_confirmed: true })).status, 409, 'already pending');
  await rest.services.pendings.remove(pending.body.token);
  // Without the flag an administrator's DELETE counts as confirmed (Mailman's default).
  assert.equal((await rest.delete(`/members/${anneId}`)).status, 204);
  assertError(await rest.get(`/members/${anneId}`), 404);
  assertError(await rest.delete(`/members/${anneId}`), 404);
  assertError(await rest.get('/members/not-a-uuid'), 404);
});

test('mass unsubscription: DELETE roster/member {emails} answers which were removed', async () => {
  await subscribe({
    list_id: 'bee.example.com',
    subscriber: 'carl@example.com',
    pre_verified: true,
    pre_confirmed: true,
  });
  const r = await rest.delete(
    '/lists/bee.example.com/roster/member',
    { emails: ['carl@example.com', 'nobody@example.com'] },
    { form: true },
  );
  assert.equal(r.status, 200);
  assert.equal(r.body['carl@example.com'], true);
  assert.equal(r.body['nobody@example.com'], false);
  assertEtag(r.body);
  assert.deepEqual(
    (await rest.services.members.roster('bee.example.com', 'member')).map((v) => v.address.email),
    ['anne@example.com'],
  );
});

test('API 3.0 shows member and user ids as integers and accepts them back', async () => {
  const r = await rest.get('/lists/bee.example.com/roster/member', { version: '3.0' });
  const entry = r.body.entries[0];
  assert.match(entry.member_id, /^\d+$/);
  assert.equal(entry.self_link, `${rest.root('3.0')}/members/${entry.member_id}`);
  assert.match(entry.user, new RegExp(`^${rest.root('3.0')}/users/\\d+$`));
  const hex = BigInt(entry.member_id).toString(16).padStart(32, '0');
  assert.equal((await rest.get(`/members/${hex}`)).body.email, 'anne@example.com');
  const again = await rest.get(`/members/${entry.member_id}`, { version: '3.0' });
  assert.equal(again.status, 200);
  assert.equal(again.body.member_id, entry.member_id);
  const created = assertCreated(
    await rest.post(
      '/members',
      { list_id: 'bee.example.com', subscriber: 'dan@example.com', pre_verified: true, pre_confirmed: true },
      { version: '3.0' },
    ),
    /\/3\.0\/members\/\d+$/,
  );
  assert.equal((await rest.get(created)).body.email, 'dan@example.com');
  // A 3.0 integer is not a 3.1 id (unless it happens to be 32 digits long, which reads as hex).
  if (entry.member_id.length !== 32) assertError(await rest.get(`/members/${entry.member_id}`), 404);
});

test('an owner added as Postorius adds one: a known address keeps its name, delivery regular', async () => {
  await rest.services.lists.create('cat@example.com');
  // mailmanclient's add_owner sends display_name=None form-encoded: the string "None".
  const known = await subscribe(
    { list_id: 'cat.example.com', subscriber: 'anne@example.com', role: 'owner', display_name: 'None' },
    true,
  );
  const owner = (await rest.get(`/members/${known}`)).body;
  assert.equal(owner.display_name, 'Anne Person');
  assert.equal((await rest.get(`/members/${known}/preferences`)).body.delivery_mode, 'regular');
  const fresh = await subscribe(
    { list_id: 'cat.example.com', subscriber: 'olga@example.com', role: 'moderator', display_name: 'Olga' },
    true,
  );
  assert.equal((await rest.get(`/members/${fresh}`)).body.display_name, 'Olga');
  assert.equal((await rest.get('/addresses/olga@example.com')).body.display_name, 'Olga');
});
