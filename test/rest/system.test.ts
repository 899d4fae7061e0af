import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertEtag, assertError } from './harness.js';
import { VERSION } from '../../src/version.js';
import { shownValue } from '../../src/config/schema.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start({
    conf: '[mailman]\nsite_owner: boss@example.com\n[mta]\nsmtp_user: relay\nsmtp_pass: s3cret-relay',
  });
});
after(async () => {
  await rest.close();
});

test('GET /system/versions answers Mailman shape with an etag and an absolute self_link', async () => {
  const r = await rest.get('/system/versions');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(r.body).sort(), [
    'api_version',
    'http_etag',
    'mailman_version',
    'python_version',
    'self_link',
  ]);
  // The Mailman version whose API this is first, as clients parse and show it, then our own.
  assert.equal(r.body.mailman_version, `GNU Mailman 3.3.8 (compatible; mailman-ts ${VERSION})`);
  assert.equal(r.body.api_version, '3.1');
  assert.equal(r.body.self_link, `${rest.root()}/system/versions`);
  assert.match(r.body.python_version, /Node/);
  assertEtag(r.body);
});

test('GET /system is the same resource, and /3.0 reports its own version and links', async () => {
  const r = await rest.get('/system');
  assert.equal(r.body.self_link, `${rest.root()}/system/versions`);
  const old = await rest.get('/system/versions', { version: '3.0' });
  assert.equal(old.status, 200);
  assert.equal(old.body.api_version, '3.0');
  assert.equal(old.body.self_link, `${rest.root('3.0')}/system/versions`);
  assertEtag(old.body);
});

test('configuration: section names, one section with effective values, 404 for an unknown one', async () => {
  const all = await rest.get('/system/configuration');
  assert.equal(all.status, 200);
  assert.ok(all.body.sections.includes('mailman'));
  assert.ok(all.body.sections.includes('webservice'));
  assert.deepEqual(all.body.sections, [...all.body.sections].sort());
  assertEtag(all.body);
  const mailman = await rest.get('/system/configuration/mailman');
  assert.equal(mailman.status, 200);
  assert.equal(mailman.body.site_owner, 'boss@example.com');
  assert.equal(mailman.body.default_language, 'en');
  assertEtag(mailman.body);
  const ws = await rest.get('/system/configuration/webservice');
  assert.equal(ws.body.port, '0');
  assertError(await rest.get('/system/configuration/nonesuch'), 404, 'No such configuration section: nonesuch');
  assertError(await rest.get('/system/configuration/constructor'), 404);
});

test('configuration never shows a password: set ones are masked, URLs keep all but theirs', async () => {
  const mta = await rest.get('/system/configuration/mta');
  assert.equal(mta.body.smtp_user, 'relay');
  assert.equal(mta.body.smtp_pass, '********');
  const ws = await rest.get('/system/configuration/webservice');
  assert.equal(ws.body.admin_user, 'restadmin');
  assert.equal(ws.body.admin_pass, '********');
  for (const section of (await rest.get('/system/configuration')).body.sections as string[]) {
    const text = (await rest.get(`/system/configuration/${section}`)).text;
    assert.ok(!text.includes('s3cret-relay') && !text.includes('restpass'), section);
  }
  assert.equal(
    shownValue('database', 'url', 'postgres://mailman:hunter2@db.example/mailman'),
    'postgres://mailman:********@db.example/mailman',
  );
  assert.equal(
    shownValue('database', 'url', 'sqlite:////var/lib/mailman/data/mailman.db'),
    'sqlite:////var/lib/mailman/data/mailman.db',
  );
  assert.equal(shownValue('mta', 'smtp_pass', ''), '');
  assert.equal(shownValue('mta', 'smtp_user', 'relay'), 'relay');
});

test('GET /system/preferences gives the system defaults', async () => {
  const r = await rest.get('/system/preferences');
  assert.equal(r.status, 200);
  assert.equal(r.body.delivery_mode, 'regular');
  assert.equal(r.body.receive_own_postings, true);
  assert.equal(r.body.preferred_language, 'en');
  assert.equal(r.body.self_link, `${rest.root()}/system/preferences`);
  assertEtag(r.body);
});

test('no or wrong credentials: 401 with the Basic challenge, on every path', async () => {
  for (const auth of [null, { user: 'restadmin', pass: 'wrong' }, { user: 'someone', pass: 'restpass' }]) {
    const r = await rest.get('/system/versions', { auth });
    assertError(r, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="mailman3-rest"');
  }
  assertError(await rest.get('/no/such/path', { auth: null }), 401);
  const malformed = await fetch(`${rest.root()}/system`, { headers: { authorization: 'Bearer xyz' } });
  assert.equal(malformed.status, 401);
});

test('unknown paths and roots are 404 with a JSON body; a wrong method is 405', async () => {
  // Mailman's body for a path nothing answers (and for a wrong method): a title alone.
  assert.deepEqual((await rest.get('/no/such/thing')).body, { title: '404 Not Found' });
  assertError(await rest.get(`http://127.0.0.1:${rest.server.port}/3.2/system`), 404);
  assertError(await rest.get(`http://127.0.0.1:${rest.server.port}/system`), 404);
  const wrong = await rest.delete('/system/versions');
  assert.deepEqual(wrong.body, { title: '405 Method Not Allowed' });
  assert.equal(wrong.headers.get('allow'), 'HEAD, GET');
  assertError(await rest.post('/system/versions', { a: 1 }), 405);
  assertError(await rest.put('/lists/some.example.com/config/x/y', {}), 404);
  assertError(await rest.call('PROPFIND', '/domains'), 501);
});

test('a malformed JSON body is a 400, not a crash', async () => {
  const r = await fetch(`${rest.root()}/domains`, {
    method: 'POST',
    headers: {
      authorization: 'Basic ' + Buffer.from('restadmin:restpass').toString('base64'),
      'content-type': 'application/json',
    },
    body: '{"mail_host": ',
  });
  assert.equal(r.status, 400);
  const body = (await r.json()) as { title: string };
  assert.equal(body.title, '400 Bad Request');
});

test('DELETE /reserved/uids/orphans succeeds (no user id outlives its user here); nothing else is reserved', async () => {
  assert.equal((await rest.delete('/reserved/uids/orphans')).status, 204);
  assert.equal((await rest.delete('/reserved/uids/orphans', undefined, { version: '3.0' })).status, 204);
  assertError(await rest.delete('/reserved/uids/assigned'), 404);
  assertError(await rest.get('/reserved/uids/orphans'), 405);
});
