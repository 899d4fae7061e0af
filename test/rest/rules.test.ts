// /rules on the REST harness, over a real live catalog, for what the end-to-end test does not
// reach: readers in force on an older text. While a .rules file is broken on disk, the chains
// reading it run stale on its last good text; a PUT is judged against what they would run,
// and one that fixes the file puts them back in force.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestHarness, assertError } from './harness.js';
import { LiveCatalog } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../src/paths.js';

let rest: RestHarness;
let site: string;
const chains = () => join(site, 'chains');

const RULES = 'rule marked "marked" = header "X-Mark" exists\n';
const CHAIN = 'use "site.rules"\n\nchain guarded {\n    if marked then hold "marked"\n    accept\n}\n';

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'rest-rules-'));
  mkdirSync(chains());
  writeFileSync(join(chains(), 'site.rules'), RULES);
  writeFileSync(join(chains(), 'guarded.chain'), CHAIN);
  const catalog = new LiveCatalog({
    dirs: {
      builtinChains: BUILTIN_CHAIN_DIR,
      builtinPipelines: BUILTIN_PIPELINE_DIR,
      siteChains: chains(),
      sitePipelines: join(site, 'pipelines'),
    },
    lastGoodDir: join(site, 'cache'),
    log: false,
    registry,
  });
  rest = await RestHarness.start({ catalog });
});
after(async () => {
  await rest.close();
  rmSync(site, { recursive: true, force: true });
});

test('while the file is broken on disk, its reader is stale and a PUT is judged on the text in force', async () => {
  assert.equal((await rest.get('/chains/guarded')).body.status, 'ok');
  writeFileSync(join(chains(), 'site.rules'), 'rule marked = header "X-Mark" exits\n');
  const broken = await rest.get('/rules/site');
  assert.equal(broken.body.status, 'error');
  assert.deepEqual(broken.body.used_by.chains, ['guarded']);
  assert.equal((await rest.get('/chains/guarded')).body.status, 'stale');

  // A text that compiles but drops what the stale chain runs on is refused all the same.
  const without = await rest.put('/rules/site', { source: 'rule other = header "X-Other" exists\n' });
  assertError(without, 400, /would break chain 'guarded'/);
  assert.equal(without.body.diagnostics[0].code, 'MM301');
  assert.match(readFileSync(join(chains(), 'site.rules'), 'utf8'), /exits/);

  const fixed = await rest.put('/rules/site', { source: RULES.replace('X-Mark', 'X-Flag') });
  assert.equal(fixed.status, 200, fixed.text);
  assert.equal(fixed.body.status, 'ok');
  assert.equal((await rest.get('/chains/guarded')).body.status, 'ok');
});

test('a broken reader does not hold a good text back; an unknown name is 404 to DELETE', async () => {
  writeFileSync(join(chains(), 'lost.chain'), 'use "site.rules"\n\nchain lost {\n    if nowhere then accept\n}\n');
  const lost = await rest.get('/chains/lost');
  assert.equal(lost.body.status, 'broken');
  const put = await rest.put('/rules/site', { source: RULES });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.used_by.chains, ['guarded', 'lost']);
  assertError(await rest.delete('/rules/nonesuch'), 404, /No such rules file/);
});
