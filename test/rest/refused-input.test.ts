// issue 9 item 7: input that must be refused with 400 and Mailman's JSON reason, over the
// real REST API: over-long chain and pipeline names (were 500 ENAMETOOLONG), domains that
// are not DNS names, list names that are not dot-atoms, an address setting carrying a
// second header, and line breaks in every one-line text that can reach a header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestHarness, assertError } from './harness.js';
import { LiveCatalog } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../src/paths.js';

let rest: RestHarness;
let site: string;
const INJECTED = 'a@b.example\r\nBcc: thief@evil.example';

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'rest-refused-'));
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
  assert.equal((await rest.post('/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await rest.post('/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
});
after(async () => {
  await rest?.close();
  rmSync(site, { recursive: true, force: true });
});

const chainOf = (name: string) => `chain ${name} "x" {\n    accept\n}\n`;
const pipelineOf = (name: string) => `pipeline ${name} "x" {\n    to-outgoing\n}\n`;

test('a chain or pipeline name of 250-300 characters is 400, not 500; 100 is still fine', async () => {
  for (const n of [250, 256, 300]) {
    const name = `c${'x'.repeat(n - 1)}`;
    assertError(
      await rest.put(`/chains/${name}`, { source: chainOf(name) }),
      400,
      /Invalid chain name: longer than 100 characters/,
    );
    assertError(await rest.put(`/pipelines/${name}`, { source: pipelineOf(name) }), 400, /Invalid pipeline name/);
    assertError(await rest.post('/chains/validate', { source: chainOf(name) }), 400, /Invalid chain name/);
    assertError(await rest.post('/chains/validate', { source: chainOf('ok'), name }), 400, /Invalid chain name/);
    assert.equal((await rest.get(`/chains/${name}`)).status, 404);
  }
  const name = `c${'x'.repeat(99)}`;
  assert.equal((await rest.put(`/chains/${name}`, { source: chainOf(name) })).status, 200);
  assert.equal((await rest.delete(`/chains/${name}`)).status, 204);
});

test('domains: only DNS names with at least two labels; alias domains too; one-line descriptions', async () => {
  for (const host of [
    '123',
    'localhost',
    'example.123',
    '10.0.0.1',
    '-a.example',
    'a-.example',
    'a..example',
    `${'a'.repeat(64)}.example`,
    `${'a.'.repeat(127)}com`,
    'ex ample.com',
    'exa_mple.com',
  ]) {
    assertError(await rest.post('/domains', { mail_host: host }), 400, /Invalid domain name/);
  }
  assert.equal((await rest.post('/domains', { mail_host: 'Mail-1.Example.ORG' })).status, 201);
  assertError(
    await rest.post('/domains', { mail_host: 'b.example', alias_domain: '123' }),
    400,
    /Invalid alias domain/,
  );
  assertError(
    await rest.post('/domains', { mail_host: 'b.example', description: 'one\r\nX-Injected: yes' }),
    400,
    /Invalid Parameter "description"/,
  );
  assertError(
    await rest.patch('/domains/example.com', { description: 'one\ntwo' }),
    400,
    /Invalid Parameter "description"/,
  );
  assertError(await rest.patch('/domains/example.com', { alias_domain: '42' }), 400, /Invalid alias domain/);
  assert.equal(
    (await rest.patch('/domains/example.com', { description: 'Ants and friends', alias_domain: 'lists.example.com' }))
      .status,
    204,
  );
  assert.equal((await rest.get('/domains/b.example')).status, 404, 'nothing was created by a refused request');
});

test('list names: Mailman characters, no leading, trailing or doubled dot, at most 52 characters', async () => {
  for (const fqdn of [
    '.@example.com',
    '..@example.com',
    '.ant@example.com',
    'ant.@example.com',
    'a..b@example.com',
    `${'a'.repeat(53)}@example.com`,
    'ant\r\nbcc@example.com',
  ]) {
    assertError(await rest.post('/lists', { fqdn_listname: fqdn }), 400, /Invalid list (name|posting address)/);
  }
  assert.equal((await rest.post('/lists', { fqdn_listname: 'a.b-c_d@example.com' })).status, 201);
  assert.equal((await rest.post('/lists', { fqdn_listname: `${'a'.repeat(52)}@example.com` })).status, 201);
  const names = (await rest.get('/lists')).body.entries.map((l: { list_name: string }) => l.list_name);
  assert.ok(!names.some((n: string) => n.startsWith('.') || n.endsWith('.') || n.includes('..')));
});

test('reply_to_address is one address: a second header in it is 400 (JSON and form), a plain address or none is fine', async () => {
  for (const form of [false, true]) {
    assertError(
      await rest.patch('/lists/ant.example.com/config', { reply_to_address: INJECTED }, { form }),
      400,
      /Invalid Parameter "reply_to_address": Expected a valid email address/,
    );
    assertError(
      await rest.patch('/lists/ant.example.com/config/reply_to_address', { reply_to_address: INJECTED }, { form }),
      400,
      /reply_to_address/,
    );
  }
  assertError(
    await rest.patch('/lists/ant.example.com/config', { reply_to_address: 'a@b.example, c@d.example' }),
    400,
    /reply_to_address/,
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { reply_to_address: 'not an address' }),
    400,
    /reply_to_address/,
  );
  assert.equal((await rest.get('/lists/ant.example.com/config/reply_to_address')).body.reply_to_address, '');
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { reply_to_address: 'talk@example.com' })).status,
    204,
  );
  assert.equal(
    (await rest.get('/lists/ant.example.com/config/reply_to_address')).body.reply_to_address,
    'talk@example.com',
  );
  assert.equal((await rest.patch('/lists/ant.example.com/config', { reply_to_address: '' })).status, 204);
});

test('one-line list settings refuse CR, LF and control characters; multi-line texts keep their lines', async () => {
  for (const key of ['display_name', 'description', 'subject_prefix', 'preferred_language', 'linked_newsgroup']) {
    for (const bad of ['x\r\nBcc: thief@evil.example', 'x\nX-Injected: 1', 'x\rY', 'x\u0000y']) {
      assertError(
        await rest.patch('/lists/ant.example.com/config', { [key]: bad }),
        400,
        new RegExp(`Invalid Parameter "${key}": Expected one line of text`),
      );
    }
  }
  const config = (await rest.get('/lists/ant.example.com/config')).body;
  assert.equal(config.display_name, 'Ant');
  assert.equal(config.subject_prefix, '[Ant] ');
  assert.equal(
    (
      await rest.patch('/lists/ant.example.com/config', {
        info: 'Line one\nLine two',
        member_regular_footer: 'Bye\n-- \nThe ants',
        description: 'Tab\tseparated is fine',
      })
    ).status,
    204,
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { info: 'bell\u0007' }),
    400,
    /Invalid Parameter "info"/,
  );
  assert.equal((await rest.get('/lists/ant.example.com/config/info')).body.info, 'Line one\nLine two');
});

test('users, members and held-message forwards: display names on one line, forward addresses valid', async () => {
  assertError(
    await rest.post('/users', { email: 'anne@example.org', display_name: 'Anne\r\nBcc: thief@evil.example' }),
    400,
    /Invalid Parameter "display_name"/,
  );
  assertError(await rest.post('/users', { email: INJECTED }), 400, /^Invalid email address /);
  assertError(
    await rest.post('/members', {
      list_id: 'ant.example.com',
      subscriber: 'anne@example.org',
      display_name: 'Anne\nBcc: thief@evil.example',
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
    }),
    400,
    /Invalid Parameter "display_name"/,
  );
  assertError(
    await rest.post('/members', { list_id: 'ant.example.com', subscriber: INJECTED }),
    400,
    /Invalid Parameter "subscriber"/,
  );
  assert.equal(
    (await rest.get('/lists/ant.example.com/roster/member')).body.total_size,
    0,
    'no member was added by a refused request',
  );
  assertError(
    await rest.post('/lists/ant.example.com/held/1', { action: 'accept', forward: [INJECTED] }),
    400,
    /Invalid Parameter "forward"/,
  );
});

test('numbers past what an integer column holds: 404 for a row in the path, 400 for a value, never 500 (PostgreSQL refuses them)', async () => {
  const huge = '99999999999999999999';
  for (const path of [
    `/lists/ant.example.com/header-matches/${huge}`,
    '/lists/ant.example.com/header-matches/2147483648',
    `/lists/ant.example.com/held/${huge}`,
    '/lists/ant.example.com/held/9007199254740991',
  ]) {
    assertError(await rest.call('GET', path), 404);
  }
  assertError(
    await rest.call('PUT', `/lists/ant.example.com/header-matches/${huge}`, { header: 'x-spam', pattern: 'yes' }),
    404,
  );
  assertError(await rest.call('POST', `/lists/ant.example.com/held/${huge}`, { action: 'discard' }), 404);
  assertError(
    await rest.call('PATCH', '/lists/ant.example.com/config', { max_message_size: '2147483648' }),
    400,
    /no larger than 2147483647/,
  );
  assert.equal(
    (await rest.call('PATCH', '/lists/ant.example.com/config', { max_message_size: '2147483647' })).status,
    204,
  );
  assertError(
    await rest.call('POST', '/lists/ant.example.com/header-matches', {
      header: 'x-spam',
      pattern: 'yes',
      position: huge,
    }),
    400,
  );
});
