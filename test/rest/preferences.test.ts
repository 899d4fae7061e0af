// The preference resources over REST: a member's, an address's and a user's own preferences
// (GET, PATCH, PUT, DELETE), a member's effective ones through the cascade, and the system's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';

let rest: RestHarness;
let anneId: string;
let anneUser: string;

const MEMBER_ID = /\/members\/([0-9a-f]{32})$/;

before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
  const loc = assertCreated(
    await rest.post('/members', {
      list_id: 'ant.example.com',
      subscriber: 'anne@example.com',
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
    }),
    MEMBER_ID,
  );
  anneId = MEMBER_ID.exec(loc)![1];
  const user = (await rest.get(`/members/${anneId}`)).body.user as string;
  anneUser = user.slice(user.lastIndexOf('/') + 1);
});
after(async () => {
  await rest?.close();
});

/** The keys a preferences resource shows, less its etag (checked on its own). */
async function shown(path: string): Promise<Record<string, unknown>> {
  const r = await rest.get(path);
  assert.equal(r.status, 200, r.text);
  assertEtag(r.body);
  const { http_etag, ...rest_ } = r.body;
  assert.ok(http_etag);
  return rest_;
}

test('a new member, address and user set no preference: only self_link shows', async () => {
  for (const base of [`members/${anneId}`, 'addresses/anne@example.com', `users/${anneUser}`])
    assert.deepEqual(await shown(`/${base}/preferences`), { self_link: `${rest.root()}/${base}/preferences` });
  assert.deepEqual(await shown(`/members/${anneId}/all/preferences`), {
    acknowledge_posts: false,
    delivery_mode: 'regular',
    delivery_status: 'enabled',
    // No hide_address: Mailman's combined view leaves it out.
    preferred_language: 'en',
    receive_list_copy: true,
    receive_own_postings: true,
    self_link: `${rest.root()}/members/${anneId}/all/preferences`,
  });
});

test('the cascade over REST: user, then address, then member decide; the member entry follows', async () => {
  const all = () => shown(`/members/${anneId}/all/preferences`);
  const entry = async () => (await rest.get(`/members/${anneId}`)).body;
  assert.equal(
    (await rest.patch(`/users/${anneUser}/preferences`, { delivery_mode: 'mime_digests', preferred_language: 'de' }))
      .status,
    204,
  );
  assert.deepEqual(await shown(`/users/${anneUser}/preferences`), {
    delivery_mode: 'mime_digests',
    preferred_language: 'de',
    self_link: `${rest.root()}/users/${anneUser}/preferences`,
  });
  assert.equal((await all()).delivery_mode, 'mime_digests');
  assert.equal((await all()).preferred_language, 'de');
  assert.equal((await entry()).delivery_mode, 'mime_digests', 'the member entry shows what the member gets');

  assert.equal(
    (await rest.patch('/addresses/anne@example.com/preferences', { delivery_mode: 'summary_digests' })).status,
    204,
  );
  assert.equal((await all()).delivery_mode, 'summary_digests');

  assert.equal((await rest.patch(`/members/${anneId}/preferences`, { delivery_mode: 'regular' })).status, 204);
  assert.equal((await all()).delivery_mode, 'regular');
  assert.equal((await entry()).delivery_mode, 'regular');

  // The member's own PATCH writes the same layer.
  assert.equal((await rest.patch(`/members/${anneId}`, { delivery_status: 'by_user' })).status, 204);
  assert.deepEqual(await shown(`/members/${anneId}/preferences`), {
    delivery_mode: 'regular',
    delivery_status: 'by_user',
    self_link: `${rest.root()}/members/${anneId}/preferences`,
  });
  const found = await rest.get('/members/find?list_id=ant.example.com&delivery_status=by_user');
  assert.equal(found.body.total_size, 1);

  // Cleared, the member falls back to the address, and so on down.
  assert.equal((await rest.delete(`/members/${anneId}/preferences`)).status, 204);
  assert.equal((await all()).delivery_mode, 'summary_digests');
  assert.equal((await rest.delete('/addresses/anne@example.com/preferences')).status, 204);
  assert.equal((await all()).delivery_mode, 'mime_digests');
  assert.equal((await rest.delete(`/users/${anneUser}/preferences`)).status, 204);
  assert.equal((await all()).delivery_mode, 'regular');
  assert.equal((await all()).preferred_language, 'en');
  assert.equal((await rest.get('/members/find?list_id=ant.example.com&delivery_status=by_user')).body.total_size, 0);
});

test('PATCH sets what it names, PUT replaces the whole layer, both from form bodies too', async () => {
  const path = '/addresses/anne@example.com/preferences';
  const self_link = `${rest.root()}${path}`;
  await rest.patch(path, { acknowledge_posts: 'True', hide_address: 'no' }, { form: true });
  await rest.patch(path, { receive_own_postings: false });
  assert.deepEqual(await shown(path), {
    acknowledge_posts: true,
    hide_address: false,
    receive_own_postings: false,
    self_link,
  });
  assert.equal((await rest.put(path, { delivery_status: 'by_moderator', preferred_language: 'pt_BR' })).status, 204);
  assert.deepEqual(await shown(path), { delivery_status: 'by_moderator', preferred_language: 'pt_BR', self_link });
  assert.equal((await rest.put(path, {})).status, 204);
  assert.deepEqual(await shown(path), { self_link });
});

test('unknown keys and bad values are 400 and change nothing; unknown owners are 404', async () => {
  const path = `/users/${anneUser}/preferences`;
  await rest.patch(path, { receive_list_copy: false });
  assertError(
    await rest.patch(path, { colour: 'blue', receive_list_copy: true }),
    400,
    'Unexpected parameters: colour',
  );
  assertError(await rest.put(path, { delivery_mode: 'pigeon' }), 400, /^Invalid Parameter "delivery_mode"/);
  assertError(await rest.patch(path, { delivery_status: 'sleeping' }), 400, /^Invalid Parameter "delivery_status"/);
  assertError(await rest.patch(path, { acknowledge_posts: 'maybe' }), 400, /^Invalid Parameter "acknowledge_posts"/);
  assertError(await rest.patch(path, { hide_address: null }), 400, /^Invalid Parameter "hide_address"/);
  for (const language of ['../../etc', 'english', '', 'de\nBcc: x'])
    assertError(
      await rest.patch(path, { preferred_language: language }),
      400,
      /^Invalid Parameter "preferred_language"/,
    );
  assert.deepEqual(await shown(path), { receive_list_copy: false, self_link: `${rest.root()}${path}` });
  await rest.delete(path);

  assertError(await rest.get('/members/00000000000000000000000000000000/preferences'), 404);
  assertError(await rest.patch('/members/not-an-id/preferences', { hide_address: true }), 404);
  assertError(await rest.get('/members/00000000000000000000000000000000/all/preferences'), 404);
  assertError(await rest.put('/addresses/nobody@example.com/preferences', {}), 404);
  assertError(await rest.delete('/users/00000000000000000000000000000000/preferences'), 404);
});

test('the system preferences are read-only; the effective view is too', async () => {
  assert.deepEqual(await shown('/system/preferences'), {
    acknowledge_posts: false,
    delivery_mode: 'regular',
    delivery_status: 'enabled',
    hide_address: true,
    preferred_language: 'en',
    receive_list_copy: true,
    receive_own_postings: true,
    self_link: `${rest.root()}/system/preferences`,
  });
  assertError(await rest.patch('/system/preferences', { hide_address: false }), 405);
  assertError(await rest.put('/system/preferences', {}), 405);
  assertError(await rest.delete('/system/preferences'), 405);
  assertError(await rest.patch(`/members/${anneId}/all/preferences`, { hide_address: false }), 405);
});

test('API 3.0 names members and users by integer ids, in the path and the self_link', async () => {
  const memberInt = BigInt(`0x${anneId}`).toString(10);
  const userInt = BigInt(`0x${anneUser}`).toString(10);
  assert.equal(
    (await rest.patch(`/users/${userInt}/preferences`, { acknowledge_posts: true }, { version: '3.0' })).status,
    204,
  );
  const r = await rest.get(`/members/${memberInt}/all/preferences`, { version: '3.0' });
  assert.equal(r.status, 200);
  assert.equal(r.body.acknowledge_posts, true);
  assert.equal(r.body.self_link, `${rest.root('3.0')}/members/${memberInt}/all/preferences`);
  const own = await rest.get(`/users/${userInt}/preferences`, { version: '3.0' });
  assert.deepEqual(own.body.self_link, `${rest.root('3.0')}/users/${userInt}/preferences`);
  await rest.delete(`/users/${anneUser}/preferences`);
});
