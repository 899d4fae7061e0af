import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertEtag, assertError } from './harness.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start({
    conf: '[archiver.prototype]\nenable: yes\n[archiver.mhonarc]\nenable: yes\n[archiver.mail_archive]\nenable: no',
  });
  await rest.post('/domains', { mail_host: 'example.com' });
  await rest.post('/lists', { fqdn_listname: 'ant@example.com' });
  await rest.post('/lists', { fqdn_listname: 'bee@example.com' });
});
after(async () => {
  await rest.close();
});

test('GET archivers: every site-enabled archiver, on by default, by list id or posting address', async () => {
  for (const spec of ['ant.example.com', 'ant@example.com']) {
    const r = await rest.get(`/lists/${spec}/archivers`);
    assert.equal(r.status, 200);
    assert.deepEqual({ ...r.body, http_etag: undefined }, { mhonarc: true, prototype: true, http_etag: undefined });
    assertEtag(r.body);
  }
  assertError(await rest.get('/lists/nope.example.com/archivers'), 404);
});

test('PATCH and PUT switch archivers per list; unknown names, bad booleans and missing names are 400', async () => {
  assert.equal((await rest.patch('/lists/ant@example.com/archivers', { prototype: 'no' })).status, 204);
  assert.deepEqual(
    { ...(await rest.get('/lists/ant.example.com/archivers')).body, http_etag: 0 },
    { mhonarc: true, prototype: false, http_etag: 0 },
  );
  // The other list keeps its own switches.
  assert.equal((await rest.get('/lists/bee.example.com/archivers')).body.prototype, true);

  assert.equal((await rest.put('/lists/ant.example.com/archivers', { prototype: true, mhonarc: false })).status, 204);
  const after = (await rest.get('/lists/ant.example.com/archivers')).body;
  assert.equal(after.prototype, true);
  assert.equal(after.mhonarc, false);

  assertError(await rest.patch('/lists/ant.example.com/archivers', { pipermail: true }), 400, /Unexpected.*pipermail/);
  // Disabled site-wide: not a switch a list has.
  assertError(await rest.patch('/lists/ant.example.com/archivers', { mail_archive: true }), 400, /mail_archive/);
  assertError(await rest.patch('/lists/ant.example.com/archivers', { prototype: 'maybe' }), 400, /"prototype"/);
  assertError(await rest.put('/lists/ant.example.com/archivers', { prototype: true }), 400, /Missing.*mhonarc/);
  assertError(await rest.patch('/lists/nope.example.com/archivers', { prototype: true }), 404);
  // Nothing of a refused request was applied.
  assert.equal((await rest.get('/lists/ant.example.com/archivers')).body.prototype, true);
});

test('deleting a list drops its switches: a new list of the same name starts with all on', async () => {
  assert.equal((await rest.patch('/lists/bee.example.com/archivers', { mhonarc: false })).status, 204);
  assert.equal((await rest.delete('/lists/bee.example.com')).status, 204);
  await rest.post('/lists', { fqdn_listname: 'bee@example.com' });
  assert.equal((await rest.get('/lists/bee.example.com/archivers')).body.mhonarc, true);
});
