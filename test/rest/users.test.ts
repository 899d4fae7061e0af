import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';
import { verifyPassword } from '../../src/services/passwords.js';
import { newUuid } from '../../src/services/users.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
});
after(async () => {
  await rest.close();
});

const USER = /\/users\/([0-9a-f]{32})$/;
let userId: string;

test('POST /users creates a user with an address; the password is stored hashed', async () => {
  const loc = assertCreated(
    await rest.post('/users', { email: 'Anne@example.com', display_name: 'Anne', password: 'secret' }, { form: true }),
    USER,
  );
  userId = USER.exec(loc)![1];
  const r = await rest.get(`/users/${userId}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.user_id, userId);
  assert.equal(r.body.display_name, 'Anne');
  assert.equal(r.body.is_server_owner, false);
  assert.equal(r.body.self_link, `${rest.root()}/users/${userId}`);
  assert.match(r.body.created_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.notEqual(r.body.password, 'secret');
  assert.ok(verifyPassword('secret', r.body.password));
  assert.ok(!verifyPassword('wrong', r.body.password));
  assertEtag(r.body);
  assertError(await rest.post('/users', { email: 'anne@example.com' }), 400, 'User already exists: anne@example.com');
  assertError(await rest.post('/users', { email: 'bad address' }), 400, 'Invalid email address bad address');
  assertError(await rest.post('/users', { is_server_owner: 'sometimes' }), 400, /^Invalid Parameter "is_server_owner"/);
  assertCreated(await rest.post('/users', { is_server_owner: true }), USER);
  assert.equal(await rest.services.users.users.count(), 2, 'the refused requests created no user');
});

test('GET /users/<email> finds the owner of the address; GET /users lists all', async () => {
  const byEmail = await rest.get('/users/anne@example.com');
  assert.equal(byEmail.body.user_id, userId);
  assertError(await rest.get('/users/nobody@example.com'), 404);
  assertError(await rest.get('/users/00000000000000000000000000000000'), 404);
  const all = await rest.get('/users');
  assert.equal(all.body.total_size, 2);
  assert.equal(all.body.entries[1].is_server_owner, true);
  assert.equal('display_name' in all.body.entries[1], false);
  for (const e of all.body.entries) assertEtag(e);
  const old = await rest.get(`/users/${BigInt('0x' + userId).toString()}`, { version: '3.0' });
  assert.equal(old.status, 200);
  assert.equal(old.body.user_id, BigInt('0x' + userId).toString());
});

test("addresses: one, all, a user's, and their memberships", async () => {
  const a = await rest.get('/addresses/anne@example.com');
  assert.equal(a.status, 200);
  assert.equal(a.body.email, 'anne@example.com');
  assert.equal(a.body.original_email, 'Anne@example.com');
  assert.equal(a.body.display_name, 'Anne');
  assert.equal(a.body.user, `${rest.root()}/users/${userId}`);
  assert.match(a.body.registered_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal('verified_on' in a.body, false);
  assert.equal(a.body.self_link, `${rest.root()}/addresses/anne@example.com`);
  assertEtag(a.body);
  assertError(await rest.get('/addresses/nobody@example.com'), 404);

  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: userId }),
    400,
    'User has no preferred address',
  );
  const user = (await rest.services.users.getUserByUid(userId))!;
  const address = (await rest.services.users.getAddress('anne@example.com'))!;
  user.preferred_address_id = address.id;
  await rest.services.users.users.save(user);
  assertCreated(
    await rest.post('/members', {
      list_id: 'ant.example.com',
      subscriber: userId,
      pre_verified: true,
      pre_confirmed: true,
    }),
    /\/members\/[0-9a-f]{32}$/,
  );
  const memberships = await rest.get('/addresses/anne@example.com/memberships');
  assert.equal(memberships.status, 200);
  assert.equal(memberships.body.total_size, 1);
  assert.equal(memberships.body.entries[0].list_id, 'ant.example.com');
  assert.equal(memberships.body.entries[0].user, `${rest.root()}/users/${userId}`);

  const mine = await rest.get(`/users/${userId}/addresses`);
  assert.deepEqual(
    mine.body.entries.map((e: { email: string }) => e.email),
    ['anne@example.com'],
  );
  const everyone = await rest.get('/addresses');
  assert.deepEqual(
    everyone.body.entries.map((e: { email: string }) => e.email),
    ['anne@example.com'],
  );
  assertError(await rest.get('/users/nobody@example.com/addresses'), 404);
});

test('PATCH and PUT /users/<id> change the user; the password is stored hashed, never shown as sent', async () => {
  const path = `/users/${userId}`;
  assert.equal((await rest.patch(path, { display_name: 'Anne B' })).status, 204);
  assert.equal((await rest.patch(path, { cleartext_password: 'new secret' }, { form: true })).status, 204);
  let r = await rest.get(path);
  assert.equal(r.body.display_name, 'Anne B');
  assert.notEqual(r.body.password, 'new secret');
  assert.ok(verifyPassword('new secret', r.body.password));
  assertError(await rest.patch(path, { colour: 'blue' }), 400, 'Unexpected parameters: colour');
  assertError(await rest.patch(path, { display_name: 'a\r\nBcc: x@example.com' }), 400, /^Invalid Parameter/);
  assertError(await rest.patch(path, { display_name: 'x'.repeat(2000) }), 400, /^Invalid Parameter/);
  assertError(await rest.put(path, { display_name: 'Anne' }), 400, /^Missing Parameter/);
  const put = await rest.put(path, { display_name: 'Anne C', password: 'third', is_server_owner: 'yes' });
  assert.equal(put.status, 204);
  r = await rest.get(path);
  assert.equal(r.body.display_name, 'Anne C');
  assert.equal(r.body.is_server_owner, true);
  assert.ok(verifyPassword('third', r.body.password));
  assertError(await rest.patch('/users/nobody@example.com', { display_name: 'x' }), 404);
});

test('POST /users/<id>/login: 204 on the right password, 403 otherwise', async () => {
  assert.equal((await rest.post(`/users/${userId}/login`, { cleartext_password: 'third' })).status, 204);
  assertError(await rest.post(`/users/${userId}/login`, { cleartext_password: 'wrong' }), 403);
  assertError(await rest.post(`/users/${userId}/login`, {}), 400, 'Missing Parameter: cleartext_password');
});

test('/owners lists the server owners; /users/find searches emails and display names', async () => {
  const owners = await rest.get('/owners');
  assert.equal(owners.status, 200);
  assert.equal(owners.body.total_size, 2);
  assert.ok(owners.body.entries.some((e: { user_id: string }) => e.user_id === userId));
  const byName = await rest.get('/users/find?q=ANNE%20c');
  assert.equal(byName.body.total_size, 1);
  assert.equal(byName.body.entries[0].user_id, userId);
  const byEmail = await rest.post('/users/find', { q: 'e@EXAMPLE' }, { form: true });
  assert.equal(byEmail.body.total_size, 1);
  const paged = await rest.get('/users/find?q=&count=1&page=2');
  assert.equal(paged.body.total_size, 2);
  assert.equal(paged.body.entries.length, 1);
  assert.equal(paged.body.start, 1);
  assertError(await rest.get('/users/find?q=x&colour=blue'), 400, 'Unexpected parameters: colour');
  const none = await rest.get('/users/find?q=%25');
  assert.equal(none.body.total_size, 0, 'a % is searched for, not a wildcard');
  assert.equal('entries' in none.body, false);
});

test('POST /users/<id>/addresses adds an address; one of another user moves only with absorb_existing', async () => {
  const loc = assertCreated(
    await rest.post(`/users/${userId}/addresses`, { email: 'Anne2@example.com', display_name: 'Work' }),
    `${rest.root()}/addresses/anne2@example.com`,
  );
  assert.equal((await rest.get(loc)).body.user, `${rest.root()}/users/${userId}`);
  const other = USER.exec(assertCreated(await rest.post('/users', { email: 'bob@example.com' }), USER))![1];
  assert.equal((await rest.post(`/users/${other}/addresses`, { email: 'bob2@example.com' })).status, 201);
  assert.equal((await rest.patch(`/users/${other}/preferences`, { receive_list_copy: false })).status, 204);
  assertError(
    await rest.post(`/users/${userId}/addresses`, { email: 'bob@example.com' }),
    400,
    'Address belongs to other user',
  );
  assertError(await rest.post(`/users/${userId}/addresses`, { email: 'not an address' }), 400, /^Invalid Parameter/);
  assertCreated(
    await rest.post(`/users/${userId}/addresses`, { email: 'bob@example.com', absorb_existing: 1 }, { form: true }),
    `${rest.root()}/addresses/bob@example.com`,
  );
  assert.equal((await rest.get('/addresses/bob@example.com')).body.user, `${rest.root()}/users/${userId}`);
  // Absorbing merges the whole other user, as Mailman does: its other addresses and its
  // preferences come along, and the user itself is gone.
  assert.equal((await rest.get(`/users/${other}`)).status, 404);
  assert.equal((await rest.get('/addresses/bob2@example.com')).body.user, `${rest.root()}/users/${userId}`);
  assert.equal((await rest.get(`/users/${userId}/preferences`)).body.receive_list_copy, false);
});

test('preferred_address: only a verified address of the user, shown, cleared', async () => {
  const path = `/users/${userId}/preferred_address`;
  assertError(await rest.post(path, { email: 'anne2@example.com' }), 400, /Unverified/);
  assert.equal((await rest.post('/addresses/anne2@example.com/verify', {})).status, 204);
  const verified = await rest.get('/addresses/anne2@example.com');
  assert.match(verified.body.verified_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal((await rest.post(path, { email: 'anne2@example.com' })).status, 204);
  const shown = await rest.get(path);
  assert.equal(shown.status, 200);
  assert.equal(shown.body.email, 'anne2@example.com');
  assert.equal(shown.body.self_link, `${rest.root()}/addresses/anne2@example.com`);
  assertError(await rest.post(path, { email: 'nobody@example.com' }), 400, /not linked/);

  // Unverifying the preferred address leaves the user without one.
  assert.equal((await rest.post('/addresses/anne2@example.com/unverify', {})).status, 204);
  assert.equal('verified_on' in (await rest.get('/addresses/anne2@example.com')).body, false);
  assertError(await rest.get(path), 404);
  await rest.post('/addresses/anne2@example.com/verify', {});
  assert.equal((await rest.put(path, { email: 'anne2@example.com' })).status, 204);
  // The same resource under 3.0, where the user's id is an integer.
  const old = await rest.get(`/users/${BigInt('0x' + userId)}/preferred_address`, { version: '3.0' });
  assert.equal(old.status, 200);
  assert.equal(old.body.user, `${rest.root('3.0')}/users/${BigInt('0x' + userId)}`);
  assert.equal((await rest.delete(path)).status, 204);
  assertError(await rest.get(path), 404);
  assertError(await rest.post('/addresses/nobody@example.com/verify', {}), 404);
});

test('/addresses/<email>/user links, relinks and unlinks; PATCH and DELETE of an address', async () => {
  await rest.services.users.createAddress('carol@example.com', 'Carol');
  const path = '/addresses/carol@example.com/user';
  assertError(await rest.get(path), 404);
  const loc = assertCreated(await rest.post(path, { auto_create: true }), USER);
  const carol = USER.exec(loc)![1];
  assert.equal((await rest.get(path)).body.user_id, carol);
  assert.equal((await rest.get(`/users/${carol}`)).body.display_name, 'Carol');
  assertError(await rest.post(path, { user_id: userId }), 409);

  assert.equal((await rest.put(path, { user_id: userId })).status, 200);
  assert.equal((await rest.get(path)).body.user_id, userId);
  assert.equal((await rest.delete(path)).status, 204);
  assertError(await rest.get(path), 404);
  assertError(await rest.post(path, { user_id: '0'.repeat(32) }), 400, `No user with ID ${'0'.repeat(32)}`);
  assertError(await rest.post(path, { auto_create: false }), 403);
  assert.equal((await rest.post(path, { user_id: carol })).status, 200);
  assert.equal((await rest.get(path)).body.user_id, carol);
  assertError(await rest.put(path, { user_id: '0'.repeat(32) }), 404);
  assert.equal((await rest.get(path)).body.user_id, carol, 'a refused relink leaves the link');
  const fresh = USER.exec(assertCreated(await rest.put(path, { display_name: 'New' }), USER))![1];
  assert.equal((await rest.get(path)).body.user_id, fresh);
  assert.equal((await rest.get(`/users/${fresh}`)).body.display_name, 'New');
  assert.equal((await rest.put(path, { user_id: carol })).status, 200);

  assert.equal((await rest.patch('/addresses/carol@example.com', { display_name: 'Carol D' })).status, 204);
  assert.equal((await rest.get('/addresses/carol@example.com')).body.display_name, 'Carol D');
  assertError(await rest.patch('/addresses/carol@example.com', { email: 'x@example.com' }), 400, /Unexpected/);

  // The address's membership goes with it.
  const mlist = (await rest.services.lists.get('ant@example.com'))!;
  await rest.services.members.subscribe(mlist, 'carol@example.com');
  assert.equal((await rest.get('/addresses/carol@example.com/memberships')).body.total_size, 1);
  assert.equal((await rest.delete('/addresses/carol@example.com')).status, 204);
  assertError(await rest.get('/addresses/carol@example.com'), 404);
  // Anne is a member as her user (subscribed by user id), whose preferred address was cleared
  // above: a membership with no address to list or deliver to.
  assert.equal((await rest.get('/lists/ant.example.com/roster/member')).body.total_size, 0, "carol's went");
  assert.equal(await rest.services.members.repo.countBy({ list_id: 'ant.example.com', role: 'member' }), 1);
});

test('DELETE /users/<id>: as in Mailman, its addresses go with it, and every membership of either', async () => {
  const user = (await rest.services.users.getUserByUid(userId))!;
  const members = rest.services.members.repo;
  const asUser = (await members.findOneBy({ list_id: 'ant.example.com', role: 'member' }))!;
  assert.equal(asUser.user_id, user.id, 'subscribed by user id: held by the user');
  // One more held by the user, and one held by one of their addresses.
  const { id: _id, ...copy } = asUser;
  await members.save({ ...copy, member_id: newUuid(), role: 'owner' });
  const address = (await rest.services.users.getAddress('anne@example.com'))!;
  await members.save({ ...copy, member_id: newUuid(), role: 'moderator', address_id: address.id, user_id: null });
  assert.equal(await members.countBy({ user_id: user.id }), 2);
  assert.equal(await members.countBy({ address_id: address.id }), 1);

  assert.equal((await rest.delete(`/users/${userId}`)).status, 204);
  assertError(await rest.get(`/users/${userId}`), 404);
  assert.equal(await members.countBy({ user_id: user.id }), 0);
  assert.equal(await members.countBy({ address_id: address.id }), 0);
  assertError(await rest.get('/addresses/anne@example.com'), 404);
  assert.equal(
    (await rest.get('/lists/ant.example.com/roster/member')).body.total_size,
    0,
    "the address's membership goes too",
  );
  assertError(await rest.delete(`/users/${userId}`), 404);
});
