import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
});
after(async () => {
  await rest.close();
});

test('an empty collection has start, total_size and an etag, but no entries', async () => {
  const r = await rest.get('/domains');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['http_etag', 'start', 'total_size']);
  assert.equal(r.body.start, 0);
  assert.equal(r.body.total_size, 0);
  assertEtag(r.body);
});

test('POST /domains creates (JSON or form), answers 201 with the Location, refuses duplicates', async () => {
  assertCreated(
    await rest.post('/domains', { mail_host: 'example.com', description: 'Examples' }),
    `${rest.root()}/domains/example.com`,
  );
  assertCreated(
    await rest.post('/domains', { mail_host: 'example.org', alias_domain: 'lists.example.org' }, { form: true }),
    `${rest.root()}/domains/example.org`,
  );
  // Postorius sends the creating user as owner; it is accepted.
  assertCreated(
    await rest.post(
      '/domains',
      { mail_host: 'example.net', owner: ['a@example.net', 'b@example.net'] },
      { form: true },
    ),
    /\/domains\/example\.net$/,
  );
  assertError(await rest.post('/domains', { mail_host: 'example.com' }), 400, 'Duplicate email host: example.com');
  assertError(await rest.post('/domains', { mail_host: 'not a domain' }), 400, 'Invalid domain name: not a domain');
  assertError(await rest.post('/domains', { description: 'no host' }), 400, 'Missing Parameter: mail_host');
  assertError(
    await rest.post('/domains', { mail_host: 'x.example', colour: 'red', size: 1 }),
    400,
    'Unexpected parameters: colour, size',
  );
  assertError(
    await rest.post('/domains', { mail_host: 'y.example', owner: 'not-an-email' }),
    400,
    /^Invalid Parameter "owner": /,
  );
});

test('GET /domains/<host> and the collection entries have Mailman fields', async () => {
  const r = await rest.get('/domains/example.com');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    ...r.body,
    mail_host: 'example.com',
    description: 'Examples',
    alias_domain: null,
    self_link: `${rest.root()}/domains/example.com`,
  });
  assert.deepEqual(Object.keys(r.body).sort(), ['alias_domain', 'description', 'http_etag', 'mail_host', 'self_link']);
  assertEtag(r.body);
  const all = await rest.get('/domains');
  assert.equal(all.body.total_size, 3);
  assert.deepEqual(
    all.body.entries.map((e: { mail_host: string }) => e.mail_host),
    ['example.com', 'example.net', 'example.org'],
  );
  for (const e of all.body.entries) assertEtag(e);
  assertEtag(all.body);
  assert.equal(all.body.entries[2].alias_domain, 'lists.example.org');
  assertError(await rest.get('/domains/nowhere.example'), 404, '404 Not Found');
});

test('paging: count and page slice the collection, total_size stays whole', async () => {
  const p1 = await rest.get('/domains?count=2&page=1');
  assert.equal(p1.body.start, 0);
  assert.equal(p1.body.total_size, 3);
  assert.equal(p1.body.entries.length, 2);
  const p2 = await rest.get('/domains?count=2&page=2');
  assert.equal(p2.body.start, 2);
  assert.deepEqual(
    p2.body.entries.map((e: { mail_host: string }) => e.mail_host),
    ['example.org'],
  );
  const p3 = await rest.get('/domains?count=2&page=3');
  assert.equal(p3.body.start, 4);
  assert.equal(p3.body.total_size, 3);
  assert.equal('entries' in p3.body, false);
  assertError(await rest.get('/domains?count=2&page=0'), 400);
  assertError(await rest.get('/domains?count=-1&page=1'), 400);
  assertError(await rest.get('/domains?count=two&page=1'), 400);
  assertError(await rest.get('/domains?page=2'), 400);
});

test('PATCH and PUT change a domain; DELETE removes it with its lists', async () => {
  assert.equal((await rest.patch('/domains/example.com', { description: 'Changed' })).status, 204);
  assert.equal((await rest.get('/domains/example.com')).body.description, 'Changed');
  assertError(
    await rest.put('/domains/example.com', { description: 'Only this' }),
    400,
    'Missing Parameter: alias_domain',
  );
  assert.equal(
    (await rest.put('/domains/example.com', { description: 'Both', alias_domain: 'alias.example.com' })).status,
    204,
  );
  assert.equal((await rest.get('/domains/example.com')).body.alias_domain, 'alias.example.com');

  assertCreated(await rest.post('/lists', { fqdn_listname: 'ant@example.com' }), /ant\.example\.com$/);
  const lists = await rest.get('/domains/example.com/lists');
  assert.equal(lists.body.total_size, 1);
  assert.equal(lists.body.entries[0].list_id, 'ant.example.com');
  assertEtag(lists.body.entries[0]);
  const none = await rest.get('/domains/example.org/lists');
  assert.equal(none.body.total_size, 0);
  assert.equal('entries' in none.body, false);
  assertError(await rest.get('/domains/nowhere.example/lists'), 404);

  const del = await rest.delete('/domains/example.com');
  assert.equal(del.status, 204);
  assert.equal(del.text, '');
  assertError(await rest.get('/domains/example.com'), 404);
  assertError(await rest.get('/lists/ant.example.com'), 404);
  assertError(await rest.delete('/domains/example.com'), 404);
});

test('domain owners: stored from POST /domains, listed as users, added, cleared, gone with the domain', async () => {
  assertCreated(await rest.post('/domains', { mail_host: 'owned.example', owner: 'anne@example.org' }), /owned/);
  const first = await rest.get('/domains/owned.example/owners');
  assert.equal(first.status, 200);
  assert.equal(first.body.total_size, 1);
  const anne = first.body.entries[0];
  // The owner is rendered as /users renders a user, and is that user.
  assert.deepEqual(Object.keys(anne).sort(), ['created_on', 'http_etag', 'is_server_owner', 'self_link', 'user_id']);
  assert.equal((await rest.get(anne.self_link)).body.user_id, anne.user_id);
  assert.equal((await rest.get('/users/anne@example.org')).body.user_id, anne.user_id);

  // An existing user is found by email, not made again; an owner twice stays one owner.
  assert.equal((await rest.post('/users', { email: 'bart@example.org' })).status, 201);
  const bart = (await rest.get('/users/bart@example.org')).body;
  const added = await rest.post('/domains/owned.example/owners', { owner: ['bart@example.org', 'anne@example.org'] });
  assert.equal(added.status, 204);
  assert.equal((await rest.patch('/domains/owned.example', { owner: 'cris@example.org' })).status, 204);
  const all = await rest.get('/domains/owned.example/owners');
  assert.deepEqual(
    all.body.entries.map((u: { user_id: string }) => u.user_id),
    [anne.user_id, bart.user_id, (await rest.get('/users/cris@example.org')).body.user_id],
  );
  assert.equal((await rest.get('/domains/owned.example/owners?count=1&page=2')).body.entries[0].user_id, bart.user_id);
  // Another domain's owners are its own.
  assertCreated(await rest.post('/domains', { mail_host: 'unowned.example' }), /unowned/);
  assert.equal((await rest.get('/domains/unowned.example/owners')).body.total_size, 0);

  assertError(await rest.post('/domains/owned.example/owners', {}), 400, 'Missing Parameter: owner');
  assertError(await rest.post('/domains/owned.example/owners', { owner: 'nobody' }), 400, /^Invalid Parameter "owner"/);
  assertError(await rest.post('/domains/owned.example/owners', { owner: 'a@b.example', x: 1 }), 400, /Unexpected/);
  assertError(await rest.get('/domains/nowhere.example/owners'), 404);
  assertError(await rest.post('/domains/nowhere.example/owners', { owner: 'a@b.example' }), 404);
  assertError(await rest.delete('/domains/nowhere.example/owners'), 404);

  assert.equal((await rest.delete('/domains/owned.example/owners')).status, 204);
  assert.equal((await rest.get('/domains/owned.example/owners')).body.total_size, 0);
  // The users stay; only the links go.
  assert.equal((await rest.get(`/users/${anne.user_id}`)).status, 200);

  // A domain made again under the same name does not inherit the old one's owners.
  assert.equal((await rest.post('/domains/owned.example/owners', { owner: 'anne@example.org' })).status, 204);
  assert.equal((await rest.delete('/domains/owned.example')).status, 204);
  assertCreated(await rest.post('/domains', { mail_host: 'owned.example' }), /owned/);
  assert.equal((await rest.get('/domains/owned.example/owners')).body.total_size, 0);
});
