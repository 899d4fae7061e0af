import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
});
after(async () => {
  await rest.close();
});

const LIST_KEYS = [
  'advertised',
  'description',
  'display_name',
  'fqdn_listname',
  'http_etag',
  'list_id',
  'list_name',
  'mail_host',
  'member_count',
  'self_link',
  'volume',
];

test('POST /lists creates a list: 201 and Location by list id; errors are 400 with reasons', async () => {
  assertCreated(
    await rest.post('/lists', { fqdn_listname: 'ant@example.com' }),
    `${rest.root()}/lists/ant.example.com`,
  );
  assertCreated(
    await rest.post('/lists', { fqdn_listname: 'Bee@Example.com', style_name: 'legacy-announce' }, { form: true }),
    `${rest.root()}/lists/bee.example.com`,
  );
  assertCreated(
    await rest.post('/lists', { fqdn_listname: 'cat@example.com', style_name: 'private-default' }),
    /cat\.example\.com$/,
  );
  assertError(await rest.post('/lists', { fqdn_listname: 'ant@example.com' }), 400, 'Mailing list exists');
  assertError(
    await rest.post('/lists', { fqdn_listname: 'ant@nowhere.example' }),
    400,
    'Domain does not exist: nowhere.example',
  );
  assertError(await rest.post('/lists', { fqdn_listname: 'no spaces@example.com' }), 400, /^Invalid list name/);
  assertError(
    await rest.post('/lists', { fqdn_listname: 'dog@example.com', style_name: 'fancy' }),
    400,
    'Unknown list style: fancy',
  );
  assertError(await rest.post('/lists', {}), 400, 'Missing Parameter: fqdn_listname');
  assertError(
    await rest.post('/lists', { fqdn_listname: 'dog@example.com', advertised: true }),
    400,
    'Unexpected parameters: advertised',
  );
  assertError(await rest.get('/lists/dog.example.com'), 404);
});

test('styles are applied at creation and listed at /lists/styles', async () => {
  const bee = await rest.get('/lists/bee.example.com/config');
  assert.equal(bee.body.allow_list_posts, false);
  const cat = await rest.get('/lists/cat.example.com/config');
  assert.equal(cat.body.advertised, false);
  assert.equal(cat.body.archive_policy, 'private');
  assert.equal(cat.body.subscription_policy, 'confirm_then_moderate');
  const ant = await rest.get('/lists/ant.example.com/config');
  assert.equal(ant.body.allow_list_posts, true);
  assert.equal(ant.body.advertised, true);
  const styles = await rest.get('/lists/styles');
  assert.equal(styles.status, 200);
  assert.equal(styles.body.default, 'legacy-default');
  assert.deepEqual(styles.body.style_names, ['legacy-announce', 'legacy-default', 'private-default']);
  assert.equal(styles.body.styles.length, 3);
  assert.ok(styles.body.styles.every((s: { name: string; description: string }) => s.name && s.description));
  assertEtag(styles.body);
});

test('GET /lists/<id or fqdn> gives the list entry', async () => {
  const byId = await rest.get('/lists/ant.example.com');
  assert.equal(byId.status, 200);
  assert.deepEqual(Object.keys(byId.body).sort(), LIST_KEYS);
  assert.deepEqual(
    { ...byId.body, http_etag: undefined },
    {
      advertised: true,
      description: '',
      display_name: 'Ant',
      fqdn_listname: 'ant@example.com',
      list_id: 'ant.example.com',
      list_name: 'ant',
      mail_host: 'example.com',
      member_count: 0,
      self_link: `${rest.root()}/lists/ant.example.com`,
      volume: 1,
      http_etag: undefined,
    },
  );
  assertEtag(byId.body);
  const byFqdn = await rest.get('/lists/ant@example.com');
  assert.deepEqual(byFqdn.body, byId.body);
  assertError(await rest.get('/lists/nope@example.com'), 404, '404 Not Found');
});

test('GET /lists: all lists sorted by id, ?advertised=true only the advertised ones, paging', async () => {
  const all = await rest.get('/lists');
  assert.equal(all.body.total_size, 3);
  assert.deepEqual(
    all.body.entries.map((e: { list_id: string }) => e.list_id),
    ['ant.example.com', 'bee.example.com', 'cat.example.com'],
  );
  for (const e of all.body.entries) {
    assert.deepEqual(Object.keys(e).sort(), LIST_KEYS);
    assertEtag(e);
  }
  const adv = await rest.get('/lists?advertised=true');
  assert.deepEqual(
    adv.body.entries.map((e: { list_id: string }) => e.list_id),
    ['ant.example.com', 'bee.example.com'],
  );
  const advFalse = await rest.get('/lists?advertised=False');
  assert.equal(advFalse.body.total_size, 3);
  assertError(await rest.get('/lists?advertised=perhaps'), 400);
  const page = await rest.get('/lists?count=1&page=2');
  assert.equal(page.body.start, 1);
  assert.equal(page.body.total_size, 3);
  assert.deepEqual(
    page.body.entries.map((e: { list_id: string }) => e.list_id),
    ['bee.example.com'],
  );
});

test('member_count counts regular members only', async () => {
  const ant = (await rest.services.lists.get('ant.example.com'))!;
  await rest.services.members.subscribe(ant, 'one@example.com');
  await rest.services.members.subscribe(ant, 'two@example.com');
  await rest.services.members.subscribe(ant, 'boss@example.com', { role: 'owner' });
  assert.equal((await rest.get('/lists/ant.example.com')).body.member_count, 2);
  const all = await rest.get('/lists');
  assert.deepEqual(
    all.body.entries.map((e: { member_count: number }) => e.member_count),
    [2, 0, 0],
  );
});

test('GET/POST /lists/find: the lists a subscriber is on; 404 when none', async () => {
  const r = await rest.get('/lists/find?subscriber=boss@example.com');
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.body.entries.map((e: { list_id: string }) => e.list_id),
    ['ant.example.com'],
  );
  const member = await rest.post('/lists/find', { subscriber: 'boss@example.com', role: 'member' }, { form: true });
  assertError(member, 404);
  assertError(await rest.get('/lists/find'), 400, 'Missing Parameter: subscriber');
});

test('DELETE /lists/<list> removes the list, its memberships and its waiting requests', async () => {
  const pending = await rest.post('/members', { list_id: 'ant.example.com', subscriber: 'waiting@example.org' });
  assert.equal(pending.status, 202);
  const del = await rest.delete('/lists/ant@example.com');
  assert.equal(del.status, 204);
  assertError(await rest.get('/lists/ant.example.com'), 404);
  assert.equal((await rest.services.members.roster('ant.example.com')).length, 0);
  assert.equal(await rest.services.pendings.get(pending.body.token), undefined);
  assertError(await rest.delete('/lists/ant.example.com'), 404);
});

test('[styles] default names the style a list gets when none is asked for, in the row it is created with', async () => {
  const other = await RestHarness.start({ conf: '[styles]\ndefault: private-default' });
  try {
    await other.services.domains.create('example.org');
    const made = await other.services.lists.create('quiet@example.org');
    // The style is in the row as created: nothing was updated afterwards.
    assert.equal(made.subscription_policy, 'confirm_then_moderate');
    assert.equal(made.advertised, false);
    assert.equal((await other.get('/lists/styles')).body.default, 'private-default');
    assertCreated(
      await other.post('/lists', { fqdn_listname: 'loud@example.org', style_name: 'legacy-announce' }),
      /\/lists\/loud\.example\.org$/,
    );
    assert.equal((await other.get('/lists/loud.example.org/config')).body.allow_list_posts, false);
    assertError(await other.post('/lists', { fqdn_listname: 'odd@example.org', style_name: 'odd' }), 400);
    assert.equal((await other.get('/lists/odd.example.org')).status, 404, 'nothing made for an unknown style');
  } finally {
    await other.close();
  }
});
