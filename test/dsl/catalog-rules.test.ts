// The catalog and shared definitions (docs/language.md#shared-definitions): two site chains
// use one site .rules file; a change to it recompiles both, and a broken version never
// replaces the working one: the chains stay in force, stale, with MM320 naming the .rules file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveCatalog, type ChainIr } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR } from './support.js';

const root = mkdtempSync(join(tmpdir(), 'catalog-rules-'));
after(() => rmSync(root, { recursive: true, force: true }));
const site = join(root, 'chains');
mkdirSync(site);

const RULES = 'let big = 2MB\nrule spammy "flagged" = header "X-Spam-Flag" is "YES"\n';
const chain = (name: string) =>
  `use "site.rules"\n\nchain ${name} {\n    if spammy then hold "spam"\n    if max-size(limit: big) then reject\n    accept\n}\n`;
writeFileSync(join(site, 'site.rules'), RULES);
writeFileSync(join(site, 'members.chain'), chain('members'));
writeFileSync(join(site, 'newsletter.chain'), chain('newsletter'));

const live = new LiveCatalog({
  dirs: { builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR, siteChains: site },
  lastGoodDir: join(root, 'last-good'),
  registry,
  log: false,
});
after(() => live.close());

const spammyHeader = (ir: ChainIr | undefined) => {
  const when = ir?.rules.spammy?.when;
  return when && when.op === 'test' && 'header' in when.left ? when.left.header : undefined;
};

test('two chains using one .rules file compile with its definitions', () => {
  const catalog = live.reload();
  for (const name of ['members', 'newsletter']) {
    assert.equal(catalog.entry('chain', name)?.status, 'ok', catalog.report());
    const ir = catalog.ir('chain', name) as ChainIr;
    assert.equal(ir.rules.spammy.file, join(site, 'site.rules'));
    assert.equal(spammyHeader(ir), 'X-Spam-Flag');
  }
});

test('a change to the .rules file recompiles every chain using it', () => {
  writeFileSync(join(site, 'site.rules'), RULES.replace('X-Spam-Flag', 'X-Spam-Verdict'));
  const catalog = live.reload();
  for (const name of ['members', 'newsletter']) {
    assert.equal(catalog.entry('chain', name)?.status, 'ok');
    assert.equal(spammyHeader(catalog.ir('chain', name) as ChainIr), 'X-Spam-Verdict');
  }
});

test('a broken .rules file leaves the chains using it in force with its last good version, stale', () => {
  writeFileSync(join(site, 'site.rules'), 'let big = nowhere\nrule spammy = header "X-Other" exists\n');
  const catalog = live.reload();
  for (const name of ['members', 'newsletter']) {
    const entry = catalog.entry('chain', name);
    assert.equal(entry?.status, 'stale', catalog.report());
    assert.equal(entry?.inForce, 'last-good');
    assert.ok(catalog.chain(name), 'a version is in force');
    assert.equal(spammyHeader(catalog.ir('chain', name) as ChainIr), 'X-Spam-Verdict', 'the last good rules');
    const d = catalog.diagnosticsOf('chain', name).find((x) => x.code === 'MM320');
    assert.ok(d, catalog.report());
    assert.equal(d.hint, "the first error is site.rules:1:11: MM304 unknown name 'nowhere'");
    // Still known to read it, though it is in force on the last good text (REST /rules).
    assert.deepEqual(catalog.usesOf('chain', name), ['site.rules']);
  }
  const [state] = catalog.rules.files;
  assert.equal(state.name, 'site');
  assert.equal(state.origin, 'site');
  assert.equal(state.ok, false);
  assert.equal(state.diagnostics[0].code, 'MM304');
  assert.equal(state.diagnostics[0].line, 1);
});

test('a .rules file read through another is among the files a chain uses', () => {
  writeFileSync(join(site, 'outer.rules'), 'use "site.rules"\nlet small = 1KB\n');
  writeFileSync(join(site, 'deep.chain'), 'use "outer.rules"\n\nchain deep {\n    accept\n}\n');
  const catalog = live.reload();
  assert.deepEqual([...catalog.usesOf('chain', 'deep')].sort(), ['outer.rules', 'site.rules']);
  const outer = catalog.rules.files.find((r) => r.name === 'outer');
  assert.deepEqual(outer?.uses, ['site.rules']);
  assert.equal(outer?.ok, false, 'site.rules is still broken here');
  rmSync(join(site, 'deep.chain'));
  rmSync(join(site, 'outer.rules'));
});

test('fixed again, the .rules file is in force at once; an unknown one leaves a new chain broken', () => {
  writeFileSync(join(site, 'site.rules'), RULES);
  writeFileSync(join(site, 'lonely.chain'), 'use "sites.rules"\n\nchain lonely {\n    accept\n}\n');
  const catalog = live.reload();
  assert.equal(catalog.entry('chain', 'members')?.status, 'ok');
  assert.equal(spammyHeader(catalog.ir('chain', 'members') as ChainIr), 'X-Spam-Flag');
  assert.equal(catalog.entry('chain', 'lonely')?.status, 'broken');
  const d = catalog.diagnosticsOf('chain', 'lonely')[0];
  assert.equal(d.code, 'MM315');
  assert.equal(d.hint, "did you mean 'site.rules'?");
});

test('the last good text of a .rules file is kept, and goes when the file does', () => {
  assert.equal(readFileSync(join(root, 'last-good', 'site.rules'), 'utf8'), RULES);
  rmSync(join(site, 'site.rules'));
  const catalog = live.reload();
  assert.ok(!existsSync(join(root, 'last-good', 'site.rules')));
  // As with a chain jumped to that is deleted: nothing of the old meaning stays in force.
  assert.equal(catalog.entry('chain', 'members')?.status, 'broken');
  assert.equal(catalog.diagnosticsOf('chain', 'members')[0]?.code, 'MM315');
});
