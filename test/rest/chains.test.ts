// /chains, /pipelines and /system/chains|pipelines on the REST harness, with a real live
// catalog over temporary site directories and the real registry; plus the live catalog's
// own promises (stale versions, last good kept across a restart, snapshots that do not
// change under a running message).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestHarness, assertEtag, assertError } from './harness.js';
import { LiveCatalog } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../src/paths.js';

let rest: RestHarness;
let live: LiveCatalog;
let site: string;
const chainsDir = () => join(site, 'chains');
const pipelinesDir = () => join(site, 'pipelines');
const lastGoodDir = () => join(site, 'cache');

function newCatalog(): LiveCatalog {
  return new LiveCatalog({
    dirs: {
      builtinChains: BUILTIN_CHAIN_DIR,
      builtinPipelines: BUILTIN_PIPELINE_DIR,
      siteChains: chainsDir(),
      sitePipelines: pipelinesDir(),
    },
    lastGoodDir: lastGoodDir(),
    log: false,
    registry,
  });
}

const marker = (name: string, reason: string) =>
  `chain ${name} "Hold marked mail" {\n    if header "X-Mark" exists then hold "${reason}"\n    jump default-posting-chain\n}\n`;

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'rest-chains-'));
  live = newCatalog();
  rest = await RestHarness.start({ catalog: live });
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
});
after(async () => {
  await rest.close();
  rmSync(site, { recursive: true, force: true });
});

test('GET /chains and /pipelines: every name, sorted, Mailman collection shape', async () => {
  const r = await rest.get('/chains');
  assert.equal(r.status, 200);
  assertEtag(r.body);
  assert.equal(r.body.start, 0);
  const names = r.body.entries.map((e: { name: string }) => e.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('default-posting-chain') && names.includes('accept'));
  assert.equal(r.body.total_size, names.length);
  const entry = r.body.entries.find((e: { name: string }) => e.name === 'default-posting-chain');
  assert.deepEqual(Object.keys(entry).sort(), [
    'description',
    'file',
    'http_etag',
    'name',
    'origin',
    'self_link',
    'status',
  ]);
  assert.equal(entry.origin, 'builtin');
  assert.equal(entry.status, 'ok');
  assert.equal(entry.file, join(BUILTIN_CHAIN_DIR, 'default-posting-chain.chain'));
  assert.ok(entry.description.length > 0);
  assert.equal(entry.self_link, `${rest.root()}/chains/default-posting-chain`);
  const page = await rest.get('/chains?count=2&page=2');
  assert.deepEqual(
    page.body.entries.map((e: { name: string }) => e.name),
    names.slice(2, 4),
  );
  const v30 = await rest.get('/pipelines', { version: '3.0' });
  assert.deepEqual(
    v30.body.entries.map((e: { name: string }) => e.name),
    ['default-owner-pipeline', 'default-posting-pipeline', 'virgin'],
  );
  assert.equal(v30.body.entries[0].self_link, `${rest.root('3.0')}/pipelines/default-owner-pipeline`);
});

test("GET /system/chains and /system/pipelines keep Mailman's shape", async () => {
  const c = await rest.get('/system/chains');
  assert.equal(c.status, 200);
  assertEtag(c.body);
  assert.ok(c.body.chains.includes('default-posting-chain'));
  assert.deepEqual(c.body.chains, [...c.body.chains].sort());
  const p = await rest.get('/system/pipelines', { version: '3.0' });
  assert.deepEqual(p.body.pipelines, ['default-owner-pipeline', 'default-posting-pipeline', 'virgin']);
});

test('GET /chains/NAME: source, IR, lists using it and diagnostics; 404 for an unknown name', async () => {
  const r = await rest.get('/chains/default-posting-chain');
  assert.equal(r.status, 200);
  assertEtag(r.body);
  assert.equal(r.body.source, readFileSync(join(BUILTIN_CHAIN_DIR, 'default-posting-chain.chain'), 'utf8'));
  assert.equal(r.body.ir.kind, 'chain');
  assert.equal(r.body.ir.name, 'default-posting-chain');
  assert.deepEqual(r.body.lists, ['ant.example.com']);
  assert.deepEqual(r.body.diagnostics, []);
  assert.deepEqual((await rest.get('/pipelines/default-owner-pipeline')).body.lists, ['ant.example.com']);
  assertError(await rest.get('/chains/no-such-chain'), 404, 'No such chain: no-such-chain');
  // A pipeline is not a chain.
  assertError(await rest.get('/chains/virgin'), 404);
});

test('PUT creates a site chain (form or JSON), written to the site directory and in force at once', async () => {
  const source = marker('marked', 'Marked');
  const r = await rest.put('/chains/marked', { source }, { form: true });
  assert.equal(r.status, 200, r.text);
  assertEtag(r.body);
  assert.equal(r.body.origin, 'site');
  assert.equal(r.body.status, 'ok');
  assert.equal(r.body.file, join(chainsDir(), 'marked.chain'));
  assert.equal(readFileSync(join(chainsDir(), 'marked.chain'), 'utf8'), source);
  assert.ok(live.snapshot().hasChain('marked'));
  // No temporary file is left behind.
  assert.deepEqual(
    (await import('node:fs')).readdirSync(chainsDir()).filter((f) => f.startsWith('.')),
    [],
  );
  // Assignable at once.
  assert.equal((await rest.patch('/lists/ant.example.com/config', { posting_chain: 'marked' })).status, 204);
  assert.deepEqual((await rest.get('/chains/marked')).body.lists, ['ant.example.com']);
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { posting_chain: 'default-posting-chain' })).status,
    204,
  );
  // Replacing it is a PUT too.
  const again = await rest.put('/chains/marked', { source: marker('marked', 'Marked again') });
  assert.equal(again.status, 200);
  assert.equal(again.body.source, marker('marked', 'Marked again'));
});

test('PUT refuses a source that does not compile, a name that is not the declared one, a bad name', async () => {
  const before = readFileSync(join(chainsDir(), 'marked.chain'), 'utf8');
  const r = await rest.put('/chains/marked', { source: 'chain marked { if no-such-rule then hold }' });
  assertError(r, 400, /^chain 'marked' does not compile: 1 error, first: MM301/);
  assert.deepEqual(r.body.diagnostics, [
    {
      file: join(chainsDir(), 'marked.chain'),
      line: 1,
      column: 19,
      endLine: 1,
      endColumn: 31,
      severity: 'error',
      code: 'MM301',
      message: "unknown rule 'no-such-rule'",
      hint: r.body.diagnostics[0]?.hint,
    },
  ]);
  // Nothing is close to the name, so the hint lists the rules there are.
  assert.match(
    r.body.diagnostics[0].hint,
    /^the rules are administrivia, any, approved, .* see `mailman components rules`$/,
  );
  assert.equal(readFileSync(join(chainsDir(), 'marked.chain'), 'utf8'), before);
  const mismatch = await rest.put('/chains/elsewhere', { source: marker('marked', 'x') });
  assertError(mismatch, 400);
  assert.deepEqual(
    mismatch.body.diagnostics.map((d: { code: string }) => d.code),
    ['MM308'],
  );
  assert.ok(!existsSync(join(chainsDir(), 'elsewhere.chain')));
  assertError(
    await rest.put('/chains/bad%20name', { source: marker('bad', 'x') }),
    400,
    'Invalid chain name: bad name',
  );
  assertError(await rest.put('/chains/marked', {}), 400, 'Missing Parameter: source');
  // A chain may only jump to a name that exists.
  const jump = await rest.put('/chains/jumper', { source: 'chain jumper { jump nowhere }' });
  assert.deepEqual(
    jump.body.diagnostics.map((d: { code: string }) => d.code),
    ['MM303'],
  );
  // Nor close a loop through the chains in force.
  assert.equal((await rest.put('/chains/ping', { source: 'chain ping { accept }' })).status, 200);
  assert.equal(
    (await rest.put('/chains/pong', { source: 'chain pong { if loop then jump ping  discard }' })).status,
    200,
  );
  const loop = await rest.put('/chains/ping', { source: 'chain ping { if emergency then detour pong  accept }' });
  assertError(loop, 400, /does not compile: 1 error, first: MM501/);
  assert.match(loop.body.diagnostics.find((d: { code: string }) => d.code === 'MM501').message, /ping → pong → ping/);
  assert.equal(readFileSync(join(chainsDir(), 'ping.chain'), 'utf8'), 'chain ping { accept }');
});

test('PUT of a chain using a site .rules file: in force when the file is there, a 400 with MM315 when it is not', async () => {
  mkdirSync(chainsDir(), { recursive: true });
  writeFileSync(join(chainsDir(), 'site.rules'), 'rule flagged "marked upstream" = header "X-Flag" exists\n');
  const source = 'use "site.rules"\n\nchain flagger {\n    if flagged then hold "flagged"\n    accept\n}\n';
  const r = await rest.put('/chains/flagger', { source });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'ok');
  assert.equal(live.snapshot().ir('chain', 'flagger')?.kind, 'chain');
  const unknown = await rest.put('/chains/flagger2', {
    source: source.replace('site.rules', 'sight.rules').replace('flagger', 'flagger2'),
  });
  assertError(unknown, 400, /does not compile: 2 errors, first: MM315/);
  assert.deepEqual(
    unknown.body.diagnostics.map((d: { code: string; line: number; column: number; hint?: string }) => [
      d.code,
      d.line,
      d.column,
      d.hint,
    ]),
    [
      ['MM315', 1, 5, "did you mean 'site.rules'?"],
      ['MM301', 4, 8, 'defined in site.rules:1:6; add `use "site.rules"`'],
    ],
  );
  assert.ok(!existsSync(join(chainsDir(), 'flagger2.chain')));
  assert.equal((await rest.delete('/chains/flagger')).status, 204);
});

test('DELETE: 403 for a built-in, 409 while a list or a chain uses it, 204 otherwise', async () => {
  assertError(
    await rest.delete('/chains/default-posting-chain'),
    403,
    "The built-in chain 'default-posting-chain' cannot be deleted",
  );
  assertError(await rest.delete('/chains/no-such-chain'), 404);
  assert.equal(
    (await rest.put('/chains/uses-marked', { source: 'chain uses-marked { detour marked  accept }' })).status,
    200,
  );
  assertError(await rest.delete('/chains/marked'), 409, "chain 'marked' is the target of chain uses-marked");
  assert.equal((await rest.patch('/lists/ant.example.com/config', { owner_chain: 'uses-marked' })).status, 204);
  assertError(await rest.delete('/chains/uses-marked'), 409, "chain 'uses-marked' is in use by ant.example.com");
  assert.equal((await rest.patch('/lists/ant.example.com/config', { owner_chain: 'default-owner-chain' })).status, 204);
  assert.equal((await rest.delete('/chains/uses-marked')).status, 204);
  assert.equal((await rest.delete('/chains/marked')).status, 204);
  assert.ok(!existsSync(join(chainsDir(), 'marked.chain')));
  assertError(await rest.get('/chains/marked'), 404);
  assert.ok(!live.snapshot().hasChain('marked'));
});

test('a site file overriding a built-in reverts to the built-in when deleted', async () => {
  const r = await rest.put('/chains/hold', { source: 'chain hold "Site hold: drop instead" { jump discard }' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.origin, 'site');
  assert.equal(r.body.overrides, join(BUILTIN_CHAIN_DIR, 'hold.chain'));
  assert.deepEqual(
    r.body.diagnostics.map((d: { code: string; severity: string }) => [d.code, d.severity]),
    [['MM310', 'note']],
  );
  assert.equal((await rest.delete('/chains/hold')).status, 204);
  const back = await rest.get('/chains/hold');
  assert.equal(back.body.origin, 'builtin');
  assert.equal(back.body.source, readFileSync(join(BUILTIN_CHAIN_DIR, 'hold.chain'), 'utf8'));
});

test('pipelines: PUT, assign, refuse to delete while assigned', async () => {
  const source = 'pipeline lean "Owner recipients only" {\n    owner-recipients\n    to-outgoing\n}\n';
  const r = await rest.put('/pipelines/lean', { source });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ir.kind, 'pipeline');
  assert.ok((await rest.get('/system/pipelines')).body.pipelines.includes('lean'));
  assert.equal((await rest.patch('/lists/ant.example.com/config', { posting_pipeline: 'lean' })).status, 204);
  assertError(await rest.delete('/pipelines/lean'), 409, "pipeline 'lean' is in use by ant.example.com");
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { posting_pipeline: 'default-posting-pipeline' })).status,
    204,
  );
  assert.equal((await rest.delete('/pipelines/lean')).status, 204);
  // A chain is not a pipeline: MM309 in a .pipeline file.
  const wrong = await rest.put('/pipelines/marked', { source: marker('marked', 'x') });
  assert.deepEqual(
    wrong.body.diagnostics.map((d: { code: string }) => d.code),
    ['MM309'],
  );
});

test('POST validate: {ok, diagnostics}, with or without a name, nothing stored', async () => {
  const ok = await rest.post('/chains/validate', { source: marker('probe', 'x') });
  assert.equal(ok.status, 200);
  assertEtag(ok.body);
  assert.deepEqual({ ok: ok.body.ok, diagnostics: ok.body.diagnostics }, { ok: true, diagnostics: [] });
  const named = await rest.post('/chains/validate', { source: marker('probe', 'x'), name: 'other' }, { form: true });
  assert.equal(named.body.ok, false);
  assert.deepEqual(
    named.body.diagnostics.map((d: { code: string; file: string }) => [d.code, d.file]),
    [['MM308', 'other.chain']],
  );
  const syntax = await rest.post('/pipelines/validate', { source: 'pipeline p { ' });
  assert.equal(syntax.body.ok, false);
  assert.ok(syntax.body.diagnostics.every((d: { severity: string }) => d.severity === 'error'));
  assertError(await rest.post('/chains/validate', { text: 'x' }), 400, 'Unexpected parameters: text');
  assertError(await rest.get('/chains/probe'), 404);
});

test('a site file that stops compiling is stale: the last good version stays, also in a new process', async () => {
  const file = join(chainsDir(), 'keeper.chain');
  writeFileSync(file, marker('keeper', 'Good'));
  assert.equal(live.snapshot().entry('chain', 'keeper')?.status, 'ok');
  const held = live.snapshot();
  writeFileSync(file, 'chain keeper { if no-such-rule then hold }\n');
  const r = await rest.get('/chains/keeper');
  assert.equal(r.body.status, 'stale');
  assert.equal(r.body.in_force, 'last-good');
  assert.equal(r.body.in_force_source, marker('keeper', 'Good'));
  assert.equal(r.body.source, 'chain keeper { if no-such-rule then hold }\n');
  assert.equal(r.body.ir.name, 'keeper');
  assert.deepEqual(
    r.body.diagnostics.map((d: { code: string }) => d.code),
    ['MM301'],
  );
  // Stale is assignable: some version of it is in force.
  assert.equal((await rest.patch('/lists/ant.example.com/config', { posting_chain: 'keeper' })).status, 204);
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { posting_chain: 'default-posting-chain' })).status,
    204,
  );
  // A snapshot taken earlier is untouched by the reload.
  assert.equal(held.entry('chain', 'keeper')?.status, 'ok');
  assert.notEqual(held, live.snapshot());
  // A process started now finds the last good text in the store.
  const restarted = newCatalog().snapshot();
  assert.equal(restarted.entry('chain', 'keeper')?.status, 'stale');
  assert.ok(restarted.hasChain('keeper'));
  // Deleting the file forgets the last good text: a broken file of that name starts afresh.
  rmSync(file);
  assert.ok(!live.snapshot().hasChain('keeper'));
  writeFileSync(file, 'chain keeper { if no-such-rule then hold }\n');
  assert.equal(live.snapshot().entry('chain', 'keeper')?.status, 'broken');
  rmSync(file);
  live.snapshot();
});

test('a name that never compiled is broken and cannot be assigned; a broken override leaves the built-in in force', async () => {
  writeFileSync(join(chainsDir(), 'never.chain'), 'chain never { if no-such-rule then hold }\n');
  const r = await rest.get('/chains/never');
  assert.equal(r.body.status, 'broken');
  assert.equal(r.body.ir, null);
  const patch = await rest.patch('/lists/ant.example.com/config', { posting_chain: 'never', display_name: 'Changed' });
  assertError(patch, 400, /has never compiled/);
  const config = (await rest.get('/lists/ant.example.com/config')).body;
  assert.equal(config.posting_chain, 'default-posting-chain');
  assert.equal(config.display_name, 'Ant');
  assertError(
    await rest.patch('/lists/ant.example.com/config', { owner_chain: 'nothing-at-all' }),
    400,
    'Invalid Parameter "owner_chain": Unknown chain: nothing-at-all.',
  );
  rmSync(join(chainsDir(), 'never.chain'));

  writeFileSync(join(chainsDir(), 'discard.chain'), 'chain discard { if no-such-rule then hold }\n');
  const d = await rest.get('/chains/discard');
  assert.equal(d.body.status, 'stale');
  assert.equal(d.body.in_force, 'builtin');
  assert.equal(d.body.in_force_source, readFileSync(join(BUILTIN_CHAIN_DIR, 'discard.chain'), 'utf8'));
  rmSync(join(chainsDir(), 'discard.chain'));
  assert.equal((await rest.get('/chains/discard')).body.origin, 'builtin');
});

test('a file renamed into the site directory is seen by the very next snapshot', () => {
  const tmp = join(site, 'incoming.chain');
  for (const reason of ['one', 'two', 'three']) {
    writeFileSync(tmp, marker('renamed', reason));
    renameSync(tmp, join(chainsDir(), 'renamed.chain'));
    assert.equal(live.snapshot().inForceSource('chain', 'renamed'), undefined);
    assert.equal(live.snapshot().source('chain', 'renamed'), marker('renamed', reason));
  }
  rmSync(join(chainsDir(), 'renamed.chain'));
});

const sized = (name: string, limit: string) =>
  `chain ${name} "Size check" {\n    if max-size(limit: ${limit}) then reject "too big"\n    accept\n}\n`;
const bigPostExample =
  'example "big post"\n    attachment: big.pdf application/pdf 3MB\n    expect: reject "too big"\n';

test('PUT runs the examples dry before writing: a failing one is a 400 at its line and nothing changes', async () => {
  // Given with the source, passing: both files are written and GET shows the examples.
  const ok = await rest.put('/chains/sized', { source: sized('sized', '2MB'), examples: bigPostExample });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.examples, bigPostExample);
  assert.equal(readFileSync(join(chainsDir(), 'sized.examples'), 'utf8'), bigPostExample);
  // A new version that breaks the examples beside the file (none given): refused.
  const loose = await rest.put('/chains/sized', { source: sized('sized', '10MB') });
  assert.equal(loose.status, 400);
  assert.match(loose.body.description, /^chain 'sized' fails its examples: 1 error, first: MM603 /);
  const failed = loose.body.diagnostics.find((d: { code: string }) => d.code === 'MM603');
  assert.equal(failed.file, join(chainsDir(), 'sized.examples'));
  assert.equal(failed.line, 3);
  assert.match(failed.message, /expected reject, got accept/);
  assert.equal(readFileSync(join(chainsDir(), 'sized.chain'), 'utf8'), sized('sized', '2MB'));
  // Examples given with the change describe the new behaviour: accepted, both replaced.
  const newExamples = 'example "big post"\n    attachment: big.pdf application/pdf 3MB\n    expect: accept\n';
  const changed = await rest.put('/chains/sized', { source: sized('sized', '10MB'), examples: newExamples });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(readFileSync(join(chainsDir(), 'sized.examples'), 'utf8'), newExamples);
  // Examples that do not parse are refused with their own diagnostics.
  const garbled = await rest.put('/chains/sized', {
    source: sized('sized', '10MB'),
    examples: 'example "x"\n    expect: maybe\n',
  });
  assert.equal(garbled.status, 400);
  assert.ok(
    garbled.body.diagnostics.some((d: { code: string }) => d.code.startsWith('MM60')),
    garbled.text,
  );
  assert.equal(readFileSync(join(chainsDir(), 'sized.examples'), 'utf8'), newExamples);
  // "" removes them; DELETE removes them with the file.
  const cleared = await rest.put('/chains/sized', { source: sized('sized', '10MB'), examples: '' });
  assert.equal(cleared.status, 200);
  assert.equal(cleared.body.examples, null);
  assert.ok(!existsSync(join(chainsDir(), 'sized.examples')));
  assert.equal(
    (await rest.put('/chains/sized', { source: sized('sized', '2MB'), examples: bigPostExample })).status,
    200,
  );
  assert.equal((await rest.delete('/chains/sized')).status, 204);
  assert.ok(!existsSync(join(chainsDir(), 'sized.examples')));
});

test('POST validate runs the examples it is given; pipelines carry examples too', async () => {
  const bad = await rest.post('/chains/validate', {
    source: sized('probe', '10MB'),
    examples: bigPostExample,
  });
  assert.equal(bad.status, 200);
  assert.equal(bad.body.ok, false);
  assert.deepEqual(
    bad.body.diagnostics.map((d: { code: string; line: number }) => [d.code, d.line]),
    [['MM603', 3]],
  );
  const good = await rest.post('/chains/validate', { source: sized('probe', '2MB'), examples: bigPostExample });
  assert.equal(good.body.ok, true, JSON.stringify(good.body.diagnostics));
  assert.ok(!existsSync(join(chainsDir(), 'probe.chain')) && !existsSync(join(chainsDir(), 'probe.examples')));
  const pipeline = 'pipeline tagged "Tag posts" {\n    add-header(name: "X-Tag", value: "yes")\n    to-outgoing\n}\n';
  const wrong = await rest.put('/pipelines/tagged', {
    source: pipeline,
    examples: 'example "tag"\n    expect: header X-Tag: no\n',
  });
  assert.equal(wrong.status, 400, wrong.text);
  assert.match(wrong.body.diagnostics.at(-1).message, /expected X-Tag: no, got "yes"/);
  const right = await rest.put('/pipelines/tagged', {
    source: pipeline,
    examples: 'example "tag"\n    expect: header X-Tag: yes\n',
  });
  assert.equal(right.status, 200, right.text);
  assert.equal((await rest.delete('/pipelines/tagged')).status, 204);
});
