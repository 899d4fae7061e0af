import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertEtag, assertError } from './harness.js';
import { LIST_SETTINGS } from '../../src/model/list-settings.js';

let rest: RestHarness;
const chains = new Set(['default-posting-chain', 'default-owner-chain', 'strict-chain']);
const pipelines = new Set(['default-posting-pipeline', 'default-owner-pipeline']);

before(async () => {
  rest = await RestHarness.start({ chainExists: (n) => chains.has(n), pipelineExists: (n) => pipelines.has(n) });
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
});
after(async () => {
  await rest.close();
});

const config = async () => (await rest.get('/lists/ant.example.com/config')).body;

test('GET config has every setting of LIST_SETTINGS plus the derived addresses', async () => {
  const r = await rest.get('/lists/ant.example.com/config');
  assert.equal(r.status, 200);
  // All but list_id, which Mailman's configuration does not have (the list resource shows it).
  for (const s of LIST_SETTINGS) assert.equal(s.name in r.body, s.name !== 'list_id', `config has ${s.name}`);
  assert.equal(r.body.fqdn_listname, 'ant@example.com');
  assert.equal(r.body.posting_address, 'ant@example.com');
  assert.equal(r.body.owner_address, 'ant-owner@example.com');
  assert.equal(r.body.request_address, 'ant-request@example.com');
  assert.equal(r.body.bounces_address, 'ant-bounces@example.com');
  assert.equal(r.body.join_address, 'ant-join@example.com');
  assert.equal(r.body.leave_address, 'ant-leave@example.com');
  assert.equal(r.body.no_reply_address, 'noreply@example.com');
  assert.deepEqual(r.body.acceptable_aliases, []);
  assert.equal(r.body.display_name, 'Ant');
  assert.equal(r.body.subject_prefix, '[Ant] ');
  assert.equal(r.body.advertised, true);
  assert.equal(r.body.max_message_size, 40);
  assert.equal(r.body.default_member_action, 'defer');
  assert.equal(r.body.posting_chain, 'default-posting-chain');
  assert.equal(r.body.last_post_at, null);
  // Mailman's datetimes: ISO 8601 without a zone, with microseconds.
  assert.match(r.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal(r.body.self_link, undefined);
  assertEtag(r.body);
  assertError(await rest.get('/lists/nope.example.com/config'), 404);
});

test('PATCH changes only the given settings, from JSON or a form with Python-style booleans', async () => {
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { display_name: 'Ants', max_message_size: 100 })).status,
    204,
  );
  assert.equal(
    (
      await rest.patch(
        '/lists/ant.example.com/config',
        { advertised: 'False', emergency: 'yes', reply_goes_to_list: 'point_to_list' },
        { form: true },
      )
    ).status,
    204,
  );
  const c = await config();
  assert.equal(c.display_name, 'Ants');
  assert.equal(c.max_message_size, 100);
  assert.equal(c.advertised, false);
  assert.equal(c.emergency, true);
  assert.equal(c.reply_goes_to_list, 'point_to_list');
  assert.equal(c.subject_prefix, '[Ant] ');
  // The change is in the database, not just in the answer.
  const stored = (await rest.services.lists.get('ant.example.com'))!;
  assert.equal(stored.display_name, 'Ants');
  assert.equal(stored.advertised, false);
  for (const [v, expected] of [
    ['1', true],
    ['0', false],
    ['TRUE', true],
    ['no', false],
    [true, true],
  ] as const) {
    assert.equal((await rest.patch('/lists/ant.example.com/config', { anonymous_list: v })).status, 204);
    assert.equal((await config()).anonymous_list, expected);
  }
});

test('PATCH refuses unknown, read-only and badly typed values, changing nothing', async () => {
  const before = await config();
  assertError(await rest.patch('/lists/ant.example.com/config', { colour: 'red' }), 400, 'Unknown attribute: colour');
  assertError(await rest.patch('/lists/ant.example.com/config', { volume: 5 }), 400, 'Read-only attribute: volume');
  assertError(
    await rest.patch('/lists/ant.example.com/config', { posting_address: 'x@example.com' }),
    400,
    'Read-only attribute: posting_address',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { display_name: 'Changed', list_name: 'bee' }),
    400,
    'Read-only attribute: list_name',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { archive_policy: 'sometimes' }),
    400,
    'Invalid Parameter "archive_policy": Accepted Values are: never, private, public.',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { emergency: 'maybe' }),
    400,
    'Invalid Parameter "emergency": Invalid boolean value: maybe.',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { max_num_recipients: -3 }),
    400,
    /^Invalid Parameter "max_num_recipients"/,
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { max_num_recipients: 'ten' }),
    400,
    /^Invalid Parameter "max_num_recipients"/,
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { display_name: 'Changed', personalize: 'all' }),
    400,
    /^Invalid Parameter "personalize"/,
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { acceptable_aliases: ['alias@example.com', 5] }),
    400,
    /^Invalid Parameter "acceptable_aliases"/,
  );
  assert.deepEqual(await config(), before);
  // The empty list (or '', Mailman's form encoding of it) is accepted.
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { acceptable_aliases: '' }, { form: true })).status,
    204,
  );
});

test('chain and pipeline settings must name one that exists', async () => {
  assert.equal((await rest.patch('/lists/ant.example.com/config', { posting_chain: 'strict-chain' })).status, 204);
  assert.equal((await config()).posting_chain, 'strict-chain');
  assertError(
    await rest.patch('/lists/ant.example.com/config', { owner_chain: 'no-such-chain' }),
    400,
    'Invalid Parameter "owner_chain": Unknown chain: no-such-chain.',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { posting_pipeline: 'no-such-pipeline' }),
    400,
    'Invalid Parameter "posting_pipeline": Unknown pipeline: no-such-pipeline.',
  );
  assert.equal((await config()).posting_pipeline, 'default-posting-pipeline');
});

test('PUT needs every writable attribute', async () => {
  const current = await config();
  const writable = Object.fromEntries(
    Object.entries(current).filter(
      ([k]) =>
        ![
          'http_etag',
          'fqdn_listname',
          'posting_address',
          'owner_address',
          'request_address',
          'bounces_address',
          'join_address',
          'leave_address',
          'no_reply_address',
        ].includes(k) && !LIST_SETTINGS.find((s) => s.name === k)?.readonly,
    ),
  );
  const { description: _dropped, ...partial } = writable;
  assertError(await rest.put('/lists/ant.example.com/config', partial), 400, 'Missing Parameter: description');
  assertError(
    await rest.put('/lists/ant.example.com/config', { ...writable, volume: 2 }),
    400,
    // Mailman's validator for PUT knows the writable attributes only.
    'Unexpected parameters: volume',
  );
  assertError(
    await rest.put('/lists/ant.example.com/config', { ...writable, bogus: 1 }),
    400,
    'Unexpected parameters: bogus',
  );
  assert.equal(
    (await rest.put('/lists/ant.example.com/config', { ...writable, description: 'All of it', info: 'About' })).status,
    204,
  );
  const after = await config();
  assert.equal(after.description, 'All of it');
  assert.equal(after.info, 'About');
});

test("Mailman's forms: periods as Nd, content-filter entries as lists, a float threshold", async () => {
  const path = '/lists/ant.example.com/config';
  const before = await config();
  assert.equal(before.bounce_info_stale_after, '7d');
  assert.deepEqual(before.filter_types, []);
  assert.equal(before.digest_size_threshold, 30);
  assert.equal(before.usenet_watermark, null);
  const form = { form: true };
  assert.equal(
    (
      await rest.patch(
        path,
        { bounce_info_stale_after: '2w', autoresponse_grace_period: '30d', filter_types: ['image/gif', 'text/html'] },
        form,
      )
    ).status,
    204,
  );
  assert.equal(
    (await rest.patch(path, { digest_size_threshold: '12.5', bounce_you_are_disabled_warnings_interval: 3 })).status,
    204,
  );
  const after = await config();
  assert.equal(after.bounce_info_stale_after, '14d');
  assert.equal(after.autoresponse_grace_period, '30d');
  assert.equal(after.bounce_you_are_disabled_warnings_interval, '3d');
  assert.deepEqual(after.filter_types, ['image/gif', 'text/html']);
  assert.equal(after.digest_size_threshold, 12.5);
  // The content filter reads one entry per line, as it always has.
  assert.equal((await rest.services.lists.require('ant.example.com')).filter_types, 'image/gif\ntext/html');
  assert.equal((await rest.patch(path, { filter_types: '' }, form)).status, 204);
  assert.deepEqual((await config()).filter_types, []);

  assertError(
    await rest.patch(path, { bounce_info_stale_after: 'soon' }),
    400,
    'Invalid Parameter "bounce_info_stale_after": .',
  );
  assertError(await rest.patch(path, { bounce_info_stale_after: '5h' }), 400, /bounce_info_stale_after/);
  assertError(await rest.patch(path, { digest_size_threshold: 'lots' }), 400, /digest_size_threshold/);
  assertError(await rest.patch(path, { usenet_watermark: 3 }), 400, 'Read-only attribute: usenet_watermark');
  assertError(await rest.patch(path, { list_id: 'x.example.com' }), 400, 'Unknown attribute: list_id');
  assertError(
    await rest.patch(path, { max_message_size: 'big' }),
    400,
    'Invalid Parameter "max_message_size": invalid literal for int() with base 10: \'big\'.',
  );
  assertError(
    await rest.patch(path, { max_message_size: -1 }),
    400,
    'Invalid Parameter "max_message_size": Expected a non-negative integer: -1.',
  );
});

test("a PUT may leave out this server's own settings (chains, pipelines, topics), not Mailman's", async () => {
  const current = await config();
  const ours = LIST_SETTINGS.filter((s) => s.extension).map((s) => s.name);
  assert.ok(ours.includes('posting_chain') && ours.includes('owner_pipeline'));
  const mailmans = Object.fromEntries(
    Object.entries(current).filter(
      ([k]) =>
        !ours.includes(k) &&
        !['http_etag', 'fqdn_listname', 'posting_address', 'owner_address', 'request_address'].includes(k) &&
        !['bounces_address', 'join_address', 'leave_address', 'no_reply_address'].includes(k) &&
        !LIST_SETTINGS.find((s) => s.name === k)?.readonly,
    ),
  );
  const r = await rest.put('/lists/ant.example.com/config', { ...mailmans, display_name: 'Ant Put' });
  assert.equal(r.status, 204, r.text);
  assert.equal((await config()).display_name, 'Ant Put');
  assert.equal((await config()).posting_chain, current.posting_chain, 'left as it was');
});

test('one attribute: GET, PATCH and PUT on config/<attr>; 404 for an unknown one', async () => {
  const r = await rest.get('/lists/ant.example.com/config/subject_prefix');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['http_etag', 'subject_prefix']);
  assertEtag(r.body);
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config/subject_prefix', { subject_prefix: '[ants] ' })).status,
    204,
  );
  assert.equal((await rest.get('/lists/ant.example.com/config/subject_prefix')).body.subject_prefix, '[ants] ');
  assert.equal(
    (await rest.put('/lists/ant.example.com/config/digests_enabled', { digests_enabled: 'false' }, { form: true }))
      .status,
    204,
  );
  assert.equal((await rest.get('/lists/ant.example.com/config/digests_enabled')).body.digests_enabled, false);
  assert.equal((await rest.get('/lists/ant.example.com/config/fqdn_listname')).body.fqdn_listname, 'ant@example.com');
  assertError(await rest.get('/lists/ant.example.com/config/colour'), 404, 'Unknown attribute: colour');
  assertError(
    await rest.patch('/lists/ant.example.com/config/colour', { colour: 'red' }),
    404,
    'Unknown attribute: colour',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config/post_id', { post_id: 7 }),
    400,
    'Read-only attribute: post_id',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config/info', { info: 'a', description: 'b' }),
    400,
    'Expected 1 attribute, got 2',
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config/info', { description: 'b' }),
    400,
    'Unknown attribute: description',
  );
  assertError(await rest.put('/lists/ant.example.com/config/info', {}), 400, 'Missing Parameter: info');
  assertError(
    await rest.put('/lists/ant.example.com/config/emergency', { emergency: 'sometimes' }),
    400,
    /^Invalid Parameter "emergency"/,
  );
});
