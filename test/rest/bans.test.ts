// Bans and header matches over REST, in the shapes mailmanclient reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertError } from './harness.js';

let rest: RestHarness;

before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
  await rest.services.lists.create('bee@example.com');
});

after(async () => {
  await rest?.close();
});

test('list and global bans: add, read, refuse twice, block subscription, lift', async () => {
  let r = await rest.call('POST', '/lists/ant.example.com/bans', { email: 'Spam@Example.NET' }, { form: true });
  assert.equal(r.status, 201);
  // Mailman's links: an address as it is, a pattern quoted as Python's quote_plus quotes it.
  assert.equal(r.headers.get('location'), `${rest.root()}/lists/ant.example.com/bans/spam@example.net`);
  r = await rest.call('POST', '/bans', { email: '^.*@evil\\.example$' });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('location'), `${rest.root()}/bans/%5E.%2A%40evil%5C.example%24`);
  assertError(
    await rest.call('POST', '/lists/ant.example.com/bans', { email: 'spam@example.net' }),
    400,
    /already banned/,
  );

  r = await rest.call('GET', '/lists/ant.example.com/bans');
  assert.deepEqual(
    r.body.entries.map((e: { email: string; list_id: string }) => [e.email, e.list_id]),
    [['spam@example.net', 'ant.example.com']],
  );
  r = await rest.call('GET', '/bans');
  // A global ban has no list_id at all, as in Mailman.
  assert.deepEqual(r.body.entries, [
    {
      email: '^.*@evil\\.example$',
      self_link: `${rest.root()}/bans/%5E.%2A%40evil%5C.example%24`,
      http_etag: r.body.entries[0].http_etag,
    },
  ]);
  r = await rest.call('GET', `/bans/${encodeURIComponent('^.*@evil\\.example$')}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.self_link, `${rest.root()}/bans/%5E.%2A%40evil%5C.example%24`);
  assertError(await rest.call('GET', '/bans/nobody@example.org'), 404, 'Email is not banned: nobody@example.org');
  assertError(await rest.call('POST', '/bans', { email: 'not an address' }), 400, /Expected a valid email address/);

  // A list ban stops that list only; a global pattern stops every list.
  const sub = (list: string, subscriber: string) =>
    rest.call('POST', '/members', {
      list_id: list,
      subscriber,
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
    });
  assertError(await sub('ant.example.com', 'spam@example.net'), 400, /banned/);
  assert.equal((await sub('bee.example.com', 'spam@example.net')).status, 201);
  assertError(await sub('bee.example.com', 'mallory@evil.example'), 400, /banned/);

  assert.equal((await rest.call('DELETE', '/lists/ant.example.com/bans/spam%40example.net')).status, 204);
  assertError(await rest.call('DELETE', '/lists/ant.example.com/bans/spam%40example.net'), 404);
  assert.equal((await sub('ant.example.com', 'spam@example.net')).status, 201);
});

test("a list's bans are its own, but an address there is banned by the site's rules too, as in Mailman", async () => {
  assert.equal((await rest.call('POST', '/bans', { email: 'troll@example.org' })).status, 201);
  assert.equal((await rest.call('POST', '/lists/bee.example.com/bans', { email: 'b@example.org' })).status, 201);
  assert.equal((await rest.call('POST', '/lists/bee.example.com/bans', { email: 'a@example.org' })).status, 201);
  const r = await rest.call('GET', '/lists/bee.example.com/bans');
  // By email, the list's own only.
  assert.deepEqual(
    r.body.entries.map((e: { email: string; list_id: string }) => [e.email, e.list_id]),
    [
      ['a@example.org', 'bee.example.com'],
      ['b@example.org', 'bee.example.com'],
    ],
  );
  // The site's exact ban and its pattern answer under the list as well.
  const troll = await rest.call('GET', '/lists/bee.example.com/bans/troll@example.org');
  assert.equal(troll.status, 200);
  assert.deepEqual([troll.body.email, troll.body.list_id], ['troll@example.org', 'bee.example.com']);
  assert.equal((await rest.call('GET', '/lists/bee.example.com/bans/eve@evil.example')).status, 200);
  assert.equal((await rest.call('GET', '/bans/eve@evil.example')).status, 200);
  assertError(await rest.call('POST', '/lists/bee.example.com/bans', { email: 'troll@example.org' }), 400);
  // Lifting it under the list leaves the site's ban in force.
  assert.equal((await rest.call('DELETE', '/lists/bee.example.com/bans/troll@example.org')).status, 204);
  assert.equal((await rest.call('GET', '/bans/troll@example.org')).status, 200);
  const page = await rest.call('GET', '/lists/bee.example.com/bans?count=1&page=2');
  assert.deepEqual([page.body.start, page.body.total_size, page.body.entries.length], [1, 2, 1]);
  assert.equal(page.body.entries[0].email, 'b@example.org');
});

test('header matches: ordered rows with actions, find, move, change, delete', async () => {
  const base = '/lists/ant.example.com/header-matches';
  let r = await rest.call('POST', base, { header: 'X-Spam-Flag', pattern: 'YES', action: 'discard' }, { form: true });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('location'), `${rest.root()}${base}/0`);
  assert.equal(
    (await rest.call('POST', base, { header: 'X-Urgent', pattern: 'true', action: 'hold', tag: 'urgent' })).status,
    201,
  );
  assert.equal((await rest.call('POST', base, { header: 'Subject', pattern: 'viagra' })).status, 201);
  assertError(await rest.call('POST', base, { header: 'x-spam-flag', pattern: 'YES' }), 400, /already exists/);
  assertError(await rest.call('POST', base, { header: 'X-Bad', pattern: '(' }), 400, /pattern/);
  assertError(await rest.call('POST', base, { header: 'X-Bad', pattern: 'x', action: 'explode' }), 400, /action/);

  r = await rest.call('GET', base);
  assert.deepEqual(
    r.body.entries.map((e: Record<string, unknown>) => [e.position, e.header, e.pattern, e.action, e.tag]),
    [
      // Absent, as in Mailman, when the row has no action or no tag.
      [0, 'x-spam-flag', 'YES', 'discard', undefined],
      [1, 'x-urgent', 'true', 'hold', 'urgent'],
      [2, 'subject', 'viagra', undefined, undefined],
    ],
  );
  r = await rest.call('GET', `${base}/find?tag=urgent`);
  assert.deepEqual(
    r.body.entries.map((e: { header: string }) => e.header),
    ['x-urgent'],
  );
  assertError(await rest.call('GET', `${base}/find?tag=none`), 404);

  // Move the last row to the top, then change its action.
  assert.equal((await rest.call('PATCH', `${base}/2`, { position: 0 })).status, 204);
  assert.equal((await rest.call('PATCH', `${base}/0`, { action: 'reject' })).status, 204);
  r = await rest.call('GET', base);
  assert.deepEqual(
    r.body.entries.map((e: { header: string; action: string | null }) => [e.header, e.action]),
    [
      ['subject', 'reject'],
      ['x-spam-flag', 'discard'],
      ['x-urgent', 'hold'],
    ],
  );

  assert.equal((await rest.call('DELETE', `${base}/1`)).status, 204);
  r = await rest.call('GET', base);
  assert.deepEqual(
    r.body.entries.map((e: { header: string; position: number }) => [e.position, e.header]),
    [
      [0, 'subject'],
      [1, 'x-urgent'],
    ],
  );
  assertError(await rest.call('GET', `${base}/7`), 404);
  assert.equal((await rest.call('DELETE', base)).status, 204);
  assert.equal((await rest.call('GET', base)).body.total_size, 0);
  // Another list's rows are its own.
  assert.equal((await rest.call('GET', '/lists/bee.example.com/header-matches')).body.total_size, 0);
});
