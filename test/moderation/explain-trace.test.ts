// explain's trace of a condition: role tests are shown with the addresses they read, and the
// operands `and`/`or` skipped once the outcome was known are shown as not evaluated (their
// rules not called, nothing recorded), never as if they had been read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RulesHarness, post } from './support.js';
import { DslCatalog } from '../../src/dsl/index.js';
import { explainMessage, formatExplain } from '../../src/explain/index.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR } from '../dsl/support.js';

const PROBE = `rule stranger = sender is not a member

chain probe {
    if sender is a member and size > 1MB                   then hold "big member post"
    if stranger or max-size(limit: 1MB)                   then hold "not from a member"
    if header "X-Loop" exists or sender.domain is "x.org" then discard
    accept
}
`;

let h: RulesHarness;
let catalog: DslCatalog;
let dir: string;
before(async () => {
  h = await RulesHarness.start();
  dir = mkdtempSync(join(tmpdir(), 'explain-trace-'));
  writeFileSync(join(dir, 'probe.chain'), PROBE);
  catalog = await DslCatalog.load(
    { builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR, siteChains: dir },
    { registry },
  );
  assert.equal(catalog.diagnostics().filter((d) => d.severity === 'error').length, 0, catalog.report());
  await h.services.members.subscribe(h.mlist, 'mem@example.org');
});
after(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function explain(from: string) {
  const raw = Buffer.from(post({ from }).replace(/\n/g, '\r\n'));
  return explainMessage({ services: h.services, catalog, mlist: h.mlist, raw, chain: 'probe' });
}

test('a non-member: the role test is traced, the operands after the deciding one are not evaluated', async () => {
  const t = await explain('stranger@example.net');
  assert.equal(t.disposition, 'hold');
  const [first, second] = t.links;
  assert.deepEqual(first.tests, [{ test: 'sender is a member', left: 'stranger@example.net', hit: false }]);
  assert.deepEqual(first.not_evaluated, ['size > 1048576']);
  assert.equal(first.taken, false);
  // The file's rule held, so max-size was never called: no rule entry, nothing recorded.
  assert.deepEqual(second.tests, [{ test: 'sender is not a member', left: 'stranger@example.net', hit: true }]);
  assert.deepEqual(second.rules, []);
  assert.deepEqual(second.not_evaluated, ['max-size(limit: 1048576)']);
  assert.deepEqual(second.recorded, { hits: ['stranger'], misses: [] });
  assert.deepEqual(t.rule_misses, []);
  const text = formatExplain(t);
  assert.match(text, /^ {4}sender is a member: read "stranger@example\.net" -> false$/m);
  assert.match(text, /^ {4}size > 1048576: not evaluated \(already decided\)$/m);
  assert.match(text, /^ {4}max-size\(limit: 1048576\): not evaluated \(already decided\)$/m);
});

test('a member: every operand is evaluated, in order, and nothing is listed as skipped', async () => {
  const t = await explain('mem@example.org');
  assert.equal(t.disposition, 'accept');
  const [first, second, third] = t.links;
  assert.deepEqual(
    first.tests.map((x) => [x.test, x.hit]),
    [
      ['sender is a member', true],
      ['size > 1048576', false],
    ],
  );
  assert.equal(first.not_evaluated, undefined);
  assert.deepEqual(second.rules, [{ name: 'max-size', hit: false, args: { limit: 1048576 } }]);
  assert.equal(second.not_evaluated, undefined);
  assert.deepEqual(
    third.tests.map((x) => [x.test, x.left, x.hit]),
    [
      ['header "X-Loop" exists', [], false],
      ['sender.domain is "x.org"', 'example.org', false],
    ],
  );
  assert.deepEqual(t.rule_misses, ['stranger', 'max-size']);
  assert.doesNotMatch(formatExplain(t), /not evaluated/);
});
