import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';
import { verifyPassword } from '../../src/services/passwords.js';

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
  assert.match(r.body.created_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.notEqual(r.body.password, 'secret');
  assert.ok(verifyPassword('secret', r.body.password));
  assert.ok(!verifyPassword('wrong', r.body.password));
  assertEtag(r.body);
  assertError(await rest.post('/users', { email: 'anne@example.com' }), 400, 'User already exists: anne@example.com');
  assertError(await rest.post('/users', { email: 'bad address' }), 400, /^Invalid Parameter "email"/);
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
  assert.match(a.body.registered_on, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
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
