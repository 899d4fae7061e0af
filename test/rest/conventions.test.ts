// Mailman's REST conventions, table by table over every resource: each collection pages with
// `count` and `page` (and refuses bad ones), each write refuses a parameter it does not know,
// each path answers under /3.0 and /3.1 and with the list named by id or by posting address,
// a wrong method is 405, and a request without the credentials is 401.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestHarness, assertEtag, assertError } from './harness.js';
import { LiveCatalog } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../src/paths.js';

let rest: RestHarness;
let site: string;
/** Ids and tokens of the fixture, as /3.1 shows them. */
const ids: Record<string, string> = {};
/** Member and user ids as /3.0 shows them. */
const ids30: Record<string, string> = {};

const hold = (listId: string, n: number) =>
  rest.services.requests.holdMessage(listId, {
    _mod_message_id: `<held-${listId}-${n}@example.com>`,
    _mod_listid: listId,
    _mod_sender: `poster${n}@example.org`,
    _mod_subject: `Held ${n}`,
    _mod_reason: 'Post by non-member to a members-only list',
    _mod_hold_date: '2026-01-02T03:04:05',
  });

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'rest-conventions-'));
  const catalog = new LiveCatalog({
    dirs: {
      builtinChains: BUILTIN_CHAIN_DIR,
      builtinPipelines: BUILTIN_PIPELINE_DIR,
      siteChains: join(site, 'chains'),
      sitePipelines: join(site, 'pipelines'),
    },
    lastGoodDir: join(site, 'cache'),
    log: false,
    registry,
  });
  rest = await RestHarness.start({ catalog });
  const ok = async (p: Promise<{ status: number; text: string }>, status = 201) => {
    const r = await p;
    assert.equal(r.status, status, r.text);
    return r;
  };
  await ok(rest.post('/domains', { mail_host: 'example.com', owner: ['dom1@example.com', 'dom2@example.com'] }));
  await ok(rest.post('/domains', { mail_host: 'example.net' }));
  for (const name of ['ant', 'bee', 'cat']) await ok(rest.post('/lists', { fqdn_listname: `${name}@example.com` }));
  for (const list of ['ant.example.com', 'bee.example.com']) {
    for (const who of ['anne', 'bart', 'cris']) {
      const flags = { pre_verified: true, pre_confirmed: true, pre_approved: true };
      await ok(rest.post('/members', { list_id: list, subscriber: `${who}@example.org`, ...flags }));
    }
  }
  const anne = await rest.get('/members/find?list_id=ant.example.com&subscriber=anne@example.org');
  ids.member = anne.body.entries[0].member_id;
  ids30.member = BigInt(`0x${ids.member}`).toString(10);
  await ok(rest.post('/users', { email: 'zed@example.org', display_name: 'Zed', is_server_owner: true }));
  await ok(rest.post('/users', { email: 'yan@example.org', is_server_owner: true }));
  const zed = await rest.get('/users/zed@example.org');
  ids.user = zed.body.user_id;
  ids30.user = BigInt(`0x${ids.user}`).toString(10);
  await ok(rest.post(`/users/${ids.user}/addresses`, { email: 'zed.work@example.org' }));
  await ok(rest.post('/addresses/zed@example.org/verify', {}), 204);
  await ok(rest.post(`/users/${ids.user}/preferred_address`, { email: 'zed@example.org' }), 204);
  for (const n of [1, 2]) await hold('ant.example.com', n);
  await ok(rest.patch('/lists/ant.example.com/config', { subscription_policy: 'confirm' }), 204);
  for (const who of ['dora', 'emil']) {
    const r = await ok(rest.post('/members', { list_id: 'ant.example.com', subscriber: `${who}@example.org` }), 202);
    ids[`token_${who}`] = JSON.parse(r.text).token;
  }
  for (const email of ['spam1@example.net', 'spam2@example.net'])
    await ok(rest.post('/lists/ant.example.com/bans', { email }));
  for (const email of ['troll1@example.net', 'troll2@example.net']) await ok(rest.post('/bans', { email }));
  for (const name of ['r1', 'r2']) await ok(rest.put(`/rules/${name}`, { source: `let ${name} = 1\n` }), 200);
  await ok(
    rest.post('/lists/ant.example.com/header-matches', {
      header: 'X-Spam',
      pattern: 'yes',
      action: 'discard',
      tag: 'junk',
    }),
  );
  await ok(
    rest.post('/lists/ant.example.com/header-matches', {
      header: 'X-Junk',
      pattern: 'yes',
      action: 'hold',
      tag: 'junk',
    }),
  );
});

after(async () => {
  await rest?.close();
  rmSync(site, { recursive: true, force: true });
});

/** Every collection, with at least two entries in the fixture. */
const COLLECTIONS = () => [
  '/domains',
  '/domains/example.com/lists',
  '/domains/example.com/owners',
  '/lists',
  '/lists/find?subscriber=anne@example.org',
  '/lists/ant.example.com/roster/member',
  '/lists/ant.example.com/held',
  '/lists/ant.example.com/requests',
  '/lists/ant.example.com/bans',
  '/lists/ant.example.com/header-matches',
  '/lists/ant.example.com/header-matches/find?tag=junk',
  '/bans',
  '/members',
  '/members/find?list_id=ant.example.com',
  '/users',
  '/users/find?q=example.org',
  `/users/${ids.user}/addresses`,
  '/addresses',
  '/addresses/anne@example.org/memberships',
  '/owners',
  '/queues',
  '/chains',
  '/pipelines',
  '/rules',
];

const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;

test('every collection pages with count and page: start, total_size, and only that page', async () => {
  for (const path of COLLECTIONS()) {
    const whole = await rest.get(path);
    assert.equal(whole.status, 200, `${path}: ${whole.text}`);
    assertEtag(whole.body);
    assert.equal(whole.body.start, 0, path);
    assert.ok(whole.body.total_size >= 2, `${path} has ${whole.body.total_size} entries`);
    assert.equal(whole.body.entries.length, whole.body.total_size, path);
    for (const e of whole.body.entries) assertEtag(e);

    const second = await rest.get(withQuery(path, 'count=1&page=2'));
    assert.equal(second.status, 200, `${path}: ${second.text}`);
    assert.equal(second.body.start, 1, path);
    assert.equal(second.body.total_size, whole.body.total_size, path);
    assert.deepEqual(second.body.entries, [whole.body.entries[1]], path);
    assertEtag(second.body);

    const past = await rest.get(withQuery(path, `count=50&page=${whole.body.total_size + 1}`));
    assert.equal(past.body.total_size, whole.body.total_size, path);
    assert.equal(past.body.entries, undefined, `${path}: entries absent on an empty page`);
    const none = await rest.get(withQuery(path, 'count=0&page=1'));
    assert.deepEqual([none.body.start, none.body.total_size, none.body.entries], [0, whole.body.total_size, undefined]);
  }
});

test('a find sent as a POST pages by the count and page of its body, as mailmanclient sends them', async () => {
  for (const form of [false, true]) {
    const lists = await rest.call(
      'POST',
      '/lists/find',
      { subscriber: 'anne@example.org', count: 1, page: 2 },
      { form },
    );
    assert.deepEqual([lists.body.start, lists.body.total_size, lists.body.entries.length], [1, 2, 1]);
    assert.equal(lists.body.entries[0].list_id, 'bee.example.com');
    const members = await rest.call(
      'POST',
      '/members/find',
      { list_id: 'ant.example.com', count: 2, page: 1 },
      { form },
    );
    assert.deepEqual([members.body.start, members.body.entries.length], [0, 2]);
  }
});

test('bad paging is 400 in Mailman words, on every collection', async () => {
  const bad: [string, RegExp][] = [
    ['count=x&page=1', /^The "count" parameter is invalid\. The value must be an integer\.$/],
    ['count=1&page=x', /^The "page" parameter is invalid\. The value must be an integer\.$/],
    ['count=-1&page=1', /^The "count" parameter is invalid\. count should be a positive integer\.$/],
    ['count=1&page=0', /^The "page" parameter is invalid\. page should be greater than 0\.$/],
    ['count=99999999999999999999&page=1', /"count" parameter is invalid/],
    ['page=2', /"count" parameter is invalid/],
  ];
  for (const path of COLLECTIONS()) {
    for (const [query, why] of bad) assertError(await rest.get(withQuery(path, query)), 400, why);
  }
});

test('an empty collection has no entries key', async () => {
  for (const path of [
    '/lists/cat.example.com/roster/member',
    '/lists/cat.example.com/held',
    '/lists/cat.example.com/bans',
  ]) {
    const r = await rest.get(path);
    assert.deepEqual(Object.keys(r.body).sort(), ['http_etag', 'start', 'total_size'], path);
  }
});

/** Every write, with a body it accepts; the test adds a parameter nobody knows. */
const WRITES = (): [string, string, Record<string, unknown>][] => [
  ['POST', '/domains', { mail_host: 'new.example' }],
  ['PATCH', '/domains/example.com', { description: 'x' }],
  ['PUT', '/domains/example.com', { description: 'x', alias_domain: '' }],
  ['POST', '/domains/example.com/owners', { owner: 'dom3@example.com' }],
  ['POST', '/lists', { fqdn_listname: 'new@example.com' }],
  ['POST', '/lists/find', { subscriber: 'anne@example.org' }],
  ['PUT', '/lists/ant.example.com/config/description', { description: 'x' }],
  ['DELETE', '/lists/ant.example.com/roster/member', { emails: ['nobody@example.org'] }],
  ['POST', '/lists/ant.example.com/held/1', { action: 'defer' }],
  ['POST', `/lists/ant.example.com/requests/${ids.token_dora}`, { action: 'defer' }],
  ['PATCH', '/lists/ant.example.com/archivers', {}],
  ['POST', '/lists/ant.example.com/bans', { email: 'new@example.net' }],
  ['POST', '/bans', { email: 'new@example.net' }],
  ['POST', '/lists/ant.example.com/header-matches', { header: 'X-New', pattern: 'x' }],
  ['PATCH', '/lists/ant.example.com/header-matches/0', { pattern: 'yes' }],
  ['PUT', '/lists/ant.example.com/header-matches/0', { header: 'X-Spam', pattern: 'yes' }],
  ['POST', '/lists/ant.example.com/header-matches/find', { header: 'x-spam' }],
  ['POST', '/members', { list_id: 'ant.example.com', subscriber: 'new@example.org' }],
  ['POST', '/members/find', { list_id: 'ant.example.com' }],
  ['PATCH', `/members/${ids.member}`, { delivery_mode: 'regular' }],
  ['DELETE', `/members/${ids.member}`, { pre_confirmed: true }],
  ['PATCH', `/members/${ids.member}/preferences`, { hide_address: true }],
  ['PUT', `/members/${ids.member}/preferences`, { hide_address: true }],
  ['POST', '/users', { email: 'new@example.org' }],
  ['POST', '/users/find', { q: 'zed' }],
  ['PATCH', `/users/${ids.user}`, { display_name: 'Zed' }],
  ['PUT', `/users/${ids.user}`, { display_name: 'Zed', cleartext_password: 'x', is_server_owner: true }],
  ['POST', `/users/${ids.user}/login`, { cleartext_password: 'x' }],
  ['POST', `/users/${ids.user}/addresses`, { email: 'new@example.org' }],
  ['POST', `/users/${ids.user}/preferred_address`, { email: 'zed@example.org' }],
  ['PATCH', `/users/${ids.user}/preferences`, { hide_address: true }],
  ['PATCH', '/addresses/anne@example.org', { display_name: 'Anne' }],
  ['POST', '/addresses/anne@example.org/verify', {}],
  ['POST', '/addresses/anne@example.org/unverify', {}],
  ['POST', '/addresses/anne@example.org/user', {}],
  ['PUT', '/addresses/anne@example.org/user', {}],
  ['PATCH', '/addresses/anne@example.org/preferences', { hide_address: true }],
  ['PUT', '/lists/ant.example.com/archivers', {}],
  ['POST', '/lists/ant.example.com/digest', { bump: true }],
  ['DELETE', '/lists/ant.example.com/member/anne@example.org', { pre_confirmed: true }],
  ['PUT', `/users/${ids.user}/preferences`, { hide_address: true }],
  ['PUT', '/addresses/anne@example.org/preferences', { hide_address: true }],
  ['DELETE', '/domains/example.com/owners', {}],
  ['PATCH', '/uris', {}],
  ['PUT', '/uris/list:member:regular:footer', { uri: 'http://example.com/footer' }],
  ['PATCH', '/domains/example.com/uris', {}],
  ['PATCH', '/lists/ant.example.com/uris', {}],
  ['POST', '/queues/in', { list_id: 'ant.example.com', text: 'Subject: x\n\nx\n' }],
  ['POST', '/chains/validate', { source: 'chain c "c" {\n  accept\n}\n' }],
  ['PUT', '/chains/c', { source: 'chain c "c" {\n  accept\n}\n' }],
  ['POST', '/pipelines/validate', { source: 'pipeline p "p" {\n  run to-outgoing\n}\n' }],
  ['POST', '/rules/validate', { source: 'let n = 1\n' }],
  ['PUT', '/rules/r', { source: 'let n = 1\n' }],
  ['POST', '/lists/ant.example.com/explain', { message: 'From: a@example.org\n\nx\n' }],
];

test('every write refuses a parameter it does not know, JSON or form, and nothing is done', async () => {
  const before = (await rest.get('/lists/ant.example.com/roster/member')).body.total_size;
  for (const [method, path, body] of WRITES()) {
    for (const form of [false, true]) {
      const r = await rest.call(method, path, { ...body, bogus: '1' }, { form });
      assert.equal(r.status, 400, `${method} ${path}: ${r.status} ${r.text}`);
      assertError(r, 400, 'Unexpected parameters: bogus');
    }
  }
  assert.equal((await rest.get('/lists/ant.example.com/roster/member')).body.total_size, before);
  assert.equal((await rest.get('/domains/new.example')).status, 404);
  assert.equal((await rest.get('/chains/c')).status, 404);
  assert.equal((await rest.get('/rules/r')).status, 404);
});

test('config refuses what Mailman refuses: unknown attribute, read-only one, two at once', async () => {
  const base = '/lists/ant.example.com/config';
  assertError(await rest.patch(base, { bogus: 1 }), 400, 'Unknown attribute: bogus');
  assertError(await rest.patch(base, { mail_host: 'x' }), 400, 'Read-only attribute: mail_host');
  assertError(await rest.get(`${base}/bogus`), 404, 'Unknown attribute: bogus');
  assertError(await rest.put(`${base}/bogus`, { bogus: 1 }), 404, 'Unknown attribute: bogus');
  assertError(await rest.patch(`${base}/bogus`, { bogus: 1 }), 404, 'Unknown attribute: bogus');
  assertError(await rest.put(`${base}/mail_host`, { mail_host: 'x' }), 400, 'Read-only attribute: mail_host');
  assertError(await rest.patch(`${base}/mail_host`, { mail_host: 'x' }), 400, 'Read-only attribute: mail_host');
  // list_id is on the list itself, not among its settings, as in Mailman.
  assertError(await rest.get(`${base}/list_id`), 404, 'Unknown attribute: list_id');
  assertError(
    await rest.patch(`${base}/description`, { description: 'x', info: 'y' }),
    400,
    'Expected 1 attribute, got 2',
  );
  assertError(await rest.patch(`${base}/description`, { info: 'y' }), 400, 'Unknown attribute: info');
  const whole = (await rest.get(base)).body;
  const { http_etag: _etag, ...all } = whole;
  assertError(await rest.put(base, { ...all, bogus: 1 }), 400, /^Unexpected parameters: /);
  assert.equal((await rest.patch(`${base}/description`, { description: 'Ants' })).status, 204);
  assert.equal((await rest.get(`${base}/description`)).body.description, 'Ants');
});

test('booleans: true/false, yes/no, 1/0 in any case, in JSON and form bodies; anything else is 400', async () => {
  const path = `/users/${ids.user}/preferences`;
  for (const [text, value] of [
    ['true', true],
    ['False', false],
    ['YES', true],
    ['no', false],
    ['1', true],
    ['0', false],
  ] as const) {
    for (const form of [false, true]) {
      assert.equal((await rest.call('PATCH', path, { hide_address: text }, { form })).status, 204);
      assert.equal((await rest.get(path)).body.hide_address, value, `${text} (form: ${form})`);
    }
  }
  assert.equal((await rest.patch(path, { hide_address: true })).status, 204);
  assertError(await rest.patch(path, { hide_address: 'maybe' }), 400, /^Invalid Parameter "hide_address": /);
});

/** Paths to GET: each must answer 200 under both API versions. */
const READABLE = (v: Record<string, string>) => [
  '/system/versions',
  '/system/configuration',
  '/system/configuration/mailman',
  '/system/preferences',
  '/system/pipelines',
  '/system/chains',
  '/rules/r1',
  '/queues',
  '/queues/in',
  '/domains/example.com',
  '/lists/styles',
  `/members/${v.member}`,
  `/members/${v.member}/preferences`,
  `/members/${v.member}/all/preferences`,
  `/users/${v.user}`,
  `/users/${v.user}/preferences`,
  `/users/${v.user}/preferred_address`,
  '/addresses/anne@example.org',
  '/addresses/anne@example.org/preferences',
  '/addresses/zed@example.org/user',
  '/owners',
  '/bans/troll1@example.net',
];

/** Paths of a list: each must answer 200 with the list named by id and by posting address. */
const OF_LIST = [
  '',
  '/config',
  '/config/display_name',
  '/roster/member',
  '/roster/owner',
  '/member/anne@example.org',
  '/held',
  '/held/count',
  '/held/1',
  '/requests',
  '/requests/count',
  '/bans',
  '/bans/spam1@example.net',
  '/header-matches',
  '/header-matches/0',
  '/header-matches/find?header=x-spam',
  '/archivers',
  '/digest',
  '/uris',
];

test('every resource answers under /3.0 (integer ids) and /3.1 (hex ids)', async () => {
  for (const [version, v] of [
    ['3.1', ids],
    ['3.0', ids30],
  ] as const) {
    for (const path of READABLE(v)) {
      const r = await rest.get(path, { version });
      assert.equal(r.status, 200, `/${version}${path}: ${r.text}`);
      assertEtag(r.body);
      if (typeof r.body.self_link === 'string') assert.ok(r.body.self_link.startsWith(rest.root(version)), path);
    }
    // Template URIs are new in 3.1, as in Mailman.
    for (const tail of OF_LIST.filter((t) => version === '3.1' || t !== '/uris')) {
      const r = await rest.get(`/lists/ant.example.com${tail}`, { version });
      assert.equal(r.status, 200, `/${version}/lists/ant.example.com${tail}: ${r.text}`);
    }
  }
  // A hex id under 3.0, or an integer one under 3.1, names nobody.
  assertError(await rest.get(`/members/${ids.member}`, { version: '3.0' }), 404);
  assertError(await rest.get(`/users/${ids30.user}`), 404);
  assertError(await rest.get('/lists/ant.example.com/uris', { version: '3.0' }), 404);
  // Plugins too, and mailman-ts has none: an empty collection.
  assert.deepEqual(Object.keys((await rest.get('/plugins')).body).sort(), ['http_etag', 'start', 'total_size']);
  assertError(await rest.get('/plugins', { version: '3.0' }), 404);
  assertError(await rest.get('/plugins/nonesuch/anything'), 404);
});

test('a list is found by its id and by its posting address, on every path', async () => {
  for (const tail of OF_LIST) {
    const byId = await rest.get(`/lists/ant.example.com${tail}`);
    const byAddress = await rest.get(`/lists/ant@example.com${tail}`);
    assert.equal(byAddress.status, 200, `ant@example.com${tail}: ${byAddress.text}`);
    assert.deepEqual(byAddress.body, byId.body, tail);
  }
  assert.equal(
    (await rest.get('/members/find?list_id=ant@example.com')).body.total_size,
    (await rest.get('/members/find?list_id=ant.example.com')).body.total_size,
  );
  assert.equal((await rest.patch('/lists/ant@example.com/config', { info: 'by address' })).status, 204);
  assert.equal((await rest.get('/lists/ant.example.com/config/info')).body.info, 'by address');
});

test('a wrong method on a path that exists is 405 with Allow and the error body', async () => {
  const wrong: [string, string][] = [
    ['PUT', '/system/versions'],
    ['POST', '/system/configuration'],
    ['PATCH', '/system/preferences'],
    ['DELETE', '/queues'],
    ['PATCH', '/domains'],
    ['PUT', '/lists'],
    ['DELETE', '/lists/styles'],
    ['POST', '/lists/ant.example.com/held/count'],
    ['POST', '/lists/ant.example.com/requests/count'],
    ['PUT', '/lists/ant.example.com/header-matches/find'],
    ['PUT', '/lists/ant.example.com/requests'],
    ['DELETE', '/lists/ant.example.com/held'],
    ['PATCH', '/members'],
    ['POST', `/members/${ids.member}`],
    ['POST', `/users/${ids.user}`],
    ['PUT', '/addresses'],
    ['DELETE', '/owners'],
    ['PATCH', '/bans'],
    ['POST', '/chains'],
    ['POST', '/rules'],
    ['PATCH', '/rules/r1'],
  ];
  for (const [method, path] of wrong) {
    const r = await rest.call(method, path, {});
    assert.equal(r.status, 405, `${method} ${path}: ${r.text}`);
    // As Falcon answers it: a title and no description.
    assert.deepEqual(Object.keys(r.body).sort(), ['title']);
    assertError(r, 405);
    assert.ok(r.headers.get('allow'), `${method} ${path} names the methods allowed`);
    assert.ok(!r.headers.get('allow')!.split(/,\s*/).includes(method), `${method} ${path}`);
  }
});

test('without the credentials every path is 401 with the Basic challenge; unknown paths are 404 bodies', async () => {
  for (const path of ['/lists', '/queues', '/chains', `/users/${ids.user}`]) {
    for (const auth of [null, { user: 'restadmin', pass: 'wrong' }]) {
      const r = await rest.get(path, { auth });
      assertError(r, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="mailman3-rest"');
    }
  }
  assertError(await rest.get('/lists/ant.example.com/nonesuch/deeper/still'), 404);
  const unknown = await rest.get('/nonesuch');
  assertError(unknown, 404);
  assert.deepEqual(unknown.body, { title: '404 Not Found' });
});

test('mass unsubscription answers for each string given, an address or not, whether it was removed', async () => {
  const emails = ['cris@example.org', 'nobody@example.org', 'not an address', 'cris@example.org'];
  const r = await rest.call('DELETE', '/lists/bee@example.com/roster/member', { emails }, { form: true });
  assert.equal(r.status, 200, r.text);
  assertEtag(r.body);
  const { http_etag: _etag, ...removed } = r.body;
  assert.deepEqual(removed, { 'cris@example.org': true, 'nobody@example.org': false, 'not an address': false });
  assert.equal((await rest.get('/lists/bee.example.com/member/cris@example.org')).status, 404);
});
