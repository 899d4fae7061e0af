// The catalog: the built-in files all compile, site files override them by name, a broken
// file is reported and left out without taking the others with it, and the IR is plain JSON.
//
// The built-in files name the project's rules, effects and handlers. These tests compile
// them against a registry of their own holding stand-ins under those names (passed through
// the `registry` option), so they check the files and the catalog, not the components.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChain, type ChainIr, compile, CompileMemo, DslCatalog, formatReport } from '../../src/dsl/index.js';
import { runChain } from '../../src/moderation/chain-executor.js';
import { runPipeline } from '../../src/delivery/pipeline-executor.js';
import {
  ComponentRegistry,
  type Effect,
  type Handler,
  type LinkSource,
  type Rule,
  type RuleResult,
} from '../../src/registry.js';
import { CHAINS_DIR, PIPELINES_DIR, makeCtx } from './support.js';

/** Mailman's default-posting-pipeline, in order (inventory §3.1). */
const POSTING_STEPS = [
  'validate-authenticity',
  'mime-delete',
  'tagger',
  'member-recipients',
  'avoid-duplicates',
  'cleanse',
  'cleanse-dkim',
  'cook-headers',
  'subject-prefix',
  'rfc-2369',
  'to-archive',
  'to-digest',
  'to-usenet',
  'after-delivery',
  'acknowledge',
  'dmarc',
  'to-outgoing',
];
/** The recorded rules of default-posting-chain, in Mailman's order. */
const ORDER = [
  'dmarc-mitigation',
  'no-senders',
  'approved',
  'emergency',
  'loop',
  'banned-address',
  'member-moderation',
  'nonmember-moderation',
  'administrivia',
  'implicit-dest',
  'max-recipients',
  'max-size',
  'news-moderation',
  'no-subject',
  'digests',
  'suspicious-header',
];
const BEFORE = (rule: string) => ORDER.slice(0, ORDER.indexOf(rule));

/** Stand-ins under the project's names: each rule answers from msgdata.answers[name]. */
function standIns() {
  const reg = {
    rules: new ComponentRegistry<Rule>('rule'),
    effects: new ComponentRegistry<Effect>('effect'),
    handlers: new ComponentRegistry<Handler>('handler'),
    linkSources: new ComponentRegistry<LinkSource>('link source'),
  };
  reg.rules.register({
    name: 'header-match',
    description: 'stand-in for header-match',
    record: true,
    params: ['header', 'pattern', 'suffix'].map((name) => ({ name, type: 'string' as const, required: true })),
    check: () => ({ hit: false }),
  });
  for (const name of ['site.antispam.header_checks', 'list.header_matches']) {
    reg.linkSources.register({
      name,
      description: `stand-in for ${name}`,
      fields: { header: 'string', pattern: 'string', suffix: 'string', action: 'action' },
      rows: () => [],
    });
  }
  for (const [name, record] of [...ORDER.map((n) => [n, true] as const), ['any', false], ['truth', false]] as const) {
    reg.rules.register({
      name,
      description: `stand-in for ${name}`,
      record,
      check: (ctx): RuleResult => {
        if (name === 'any') return { hit: Array.isArray(ctx.msgdata.rule_hits) && ctx.msgdata.rule_hits.length > 0 };
        const answer = (ctx.msgdata.answers as Record<string, RuleResult> | undefined)?.[name];
        return answer ?? { hit: name === 'truth' };
      },
    });
  }
  for (const name of ['accept-message', 'hold-message', 'reject-message', 'discard-message', 'accept-owner']) {
    reg.effects.register({
      name,
      description: `stand-in for ${name}`,
      run: async (ctx) => void ((ctx.msgdata.done ??= []) as string[]).push(name),
    });
  }
  for (const name of [...POSTING_STEPS, 'owner-recipients']) {
    reg.handlers.register({
      name,
      description: `stand-in for ${name}`,
      process: (ctx) => void ((ctx.msgdata.done ??= []) as string[]).push(name),
    });
  }
  return reg;
}

const BUILTINS = { builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR };
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-site-'));
  dirs.push(dir);
  return dir;
}

test('every built-in chain and pipeline compiles without a diagnostic', async () => {
  const catalog = await DslCatalog.load(BUILTINS, { registry: standIns() });
  assert.equal(catalog.diagnostics().length, 0, catalog.report());
  assert.deepEqual(catalog.chainNames(), [
    'accept',
    'default-owner-chain',
    'default-posting-chain',
    'discard',
    'dmarc',
    'header-match',
    'hold',
    'moderation',
    'reject',
  ]);
  assert.deepEqual(catalog.pipelineNames(), ['default-owner-pipeline', 'default-posting-pipeline', 'virgin']);
  assert.ok(catalog.entries().every((e) => e.origin === 'builtin' && e.ok && e.description));
  assert.ok(catalog.hasChain('default-posting-chain') && !catalog.hasChain('virgin'));
  assert.ok(catalog.hasPipeline('virgin') && !catalog.hasPipeline('accept'));
});

test('default-posting-chain: a held member post, a looping post, a non-member post, a plain post', async () => {
  const catalog = await DslCatalog.load(BUILTINS, { registry: standIns() });
  const run = async (answers: Record<string, RuleResult>) => {
    const ctx = makeCtx({ msgdata: { answers } });
    const trace = await runChain(catalog, 'default-posting-chain', ctx);
    return {
      done: ctx.msgdata.done,
      hits: ctx.msgdata.rule_hits,
      misses: ctx.msgdata.rule_misses,
      disposition: trace.disposition,
    };
  };
  assert.deepEqual(await run({ 'member-moderation': { hit: true, msgdata: { member_moderation_action: 'hold' } } }), {
    done: ['hold-message'],
    hits: ['member-moderation'],
    misses: BEFORE('member-moderation'),
    disposition: 'hold',
  });
  assert.deepEqual(await run({ loop: { hit: true } }), {
    done: ['discard-message'],
    hits: ['loop'],
    misses: BEFORE('loop'),
    disposition: 'discard',
  });
  assert.deepEqual(
    await run({ 'nonmember-moderation': { hit: true, msgdata: { member_moderation_action: 'reject' } } }),
    {
      done: ['reject-message'],
      hits: ['nonmember-moderation'],
      misses: BEFORE('nonmember-moderation'),
      disposition: 'reject',
    },
  );
  assert.deepEqual(await run({}), { done: ['accept-message'], hits: [], misses: ORDER, disposition: 'accept' });
});

test('the owner chain and the built-in pipelines run their steps in order', async () => {
  const catalog = await DslCatalog.load(BUILTINS, { registry: standIns() });
  const owner = makeCtx();
  assert.equal((await runChain(catalog, 'default-owner-chain', owner)).disposition, 'default-owner-chain');
  assert.deepEqual(owner.msgdata.done, ['accept-owner']);
  const steps = async (name: string) => {
    const ctx = makeCtx();
    await runPipeline(catalog, name, ctx);
    return ctx.msgdata.done;
  };
  assert.deepEqual(await steps('default-posting-pipeline'), POSTING_STEPS);
  assert.deepEqual(await steps('default-owner-pipeline'), ['owner-recipients', 'to-outgoing']);
  assert.deepEqual(await steps('virgin'), ['cook-headers', 'rfc-2369', 'to-outgoing']);
});

test('a site file overrides the built-in of the same name (note MM310); missing site dirs are fine', async () => {
  const site = tempDir();
  writeFileSync(
    join(site, 'accept.chain'),
    '# Site accept: hold everything instead\nchain accept "Site accept" { jump hold }\n',
  );
  const catalog = await DslCatalog.load(
    { ...BUILTINS, siteChains: site, sitePipelines: join(site, 'missing') },
    { registry: standIns() },
  );
  const entry = catalog.entries().find((e) => e.kind === 'chain' && e.name === 'accept');
  assert.equal(entry?.origin, 'site');
  assert.equal(entry?.overrides, join(CHAINS_DIR, 'accept.chain'));
  assert.deepEqual(
    catalog.diagnostics().map((d) => [d.file, d.severity, d.code, d.message]),
    [[join(site, 'accept.chain'), 'note', 'MM310', "site chain 'accept' overrides the built-in one"]],
  );
  const ctx = makeCtx();
  await runChain(catalog, 'default-posting-chain', ctx);
  assert.deepEqual(ctx.msgdata.done, ['hold-message']);
});

test('a broken site file is left out and reported; the others still compile, even those naming it', async () => {
  const site = tempDir();
  mkdirSync(join(site, 'chains'));
  writeFileSync(join(site, 'chains', 'broken.chain'), 'chain broken { if loopp then discard }\n');
  writeFileSync(join(site, 'chains', 'uses-broken.chain'), 'chain uses-broken { detour broken  jump nowhere }\n');
  writeFileSync(join(site, 'chains', 'fine.chain'), 'chain fine { detour broken  accept }\n');
  const catalog = await DslCatalog.load({ ...BUILTINS, siteChains: join(site, 'chains') }, { registry: standIns() });
  assert.ok(!catalog.hasChain('broken') && !catalog.hasChain('uses-broken') && catalog.hasChain('fine'));
  assert.deepEqual([...catalog.diagnosticsByFile().keys()].sort(), [
    join(site, 'chains', 'broken.chain'),
    join(site, 'chains', 'uses-broken.chain'),
  ]);
  assert.equal(
    catalog.report(),
    [
      `${join(site, 'chains', 'broken.chain')}:1:19: error MM301: unknown rule 'loopp'`,
      'chain broken { if loopp then discard }',
      '                  ^^^^^',
      "hint: did you mean 'loop'?",
      '',
      `${join(site, 'chains', 'uses-broken.chain')}:1:41: error MM303: unknown chain 'nowhere'`,
      'chain uses-broken { detour broken  jump nowhere }',
      '                                        ^^^^^^^',
      '',
      '2 errors, 0 warnings in 2 files',
    ].join('\n'),
  );
  assert.ok(catalog.entries().some((e) => e.name === 'broken' && !e.ok));
  await assert.rejects(
    runChain(catalog, 'fine', makeCtx()),
    /chain 'fine' continues in chain 'broken', which does not exist or does not compile/,
  );
});

test('a derived pipeline runs its base steps as edited, and follows its base when the base changes', async () => {
  const site = tempDir();
  const write = (name: string, text: string) => writeFileSync(join(site, `${name}.pipeline`), text);
  write(
    'strict',
    'pipeline strict from default-posting-pipeline {\n' +
      '    before subject-prefix: owner-recipients\n    without tagger\n    replace dmarc: cleanse\n}\n',
  );
  write('stricter', 'pipeline stricter from strict {\n    after cook-headers: acknowledge\n}\n');
  write('loop-a', 'pipeline loop-a from loop-b {\n    without tagger\n}\n');
  write('loop-b', 'pipeline loop-b from loop-a {\n    without tagger\n}\n');
  const memo = new CompileMemo();
  const load = () => DslCatalog.load({ ...BUILTINS, sitePipelines: site }, { registry: standIns(), memo });
  const steps = async (catalog: DslCatalog, name: string) => {
    const ctx = makeCtx();
    await runPipeline(catalog, name, ctx);
    return ctx.msgdata.done;
  };
  const edited = POSTING_STEPS.filter((s) => s !== 'tagger').map((s) => (s === 'dmarc' ? 'cleanse' : s));
  edited.splice(edited.indexOf('subject-prefix'), 0, 'owner-recipients');
  let catalog = await load();
  assert.deepEqual(await steps(catalog, 'strict'), edited);
  const more = [...edited];
  more.splice(more.indexOf('cook-headers') + 1, 0, 'acknowledge');
  assert.deepEqual(await steps(catalog, 'stricter'), more);
  const ir = catalog.ir('pipeline', 'stricter');
  assert.equal(ir?.kind === 'pipeline' && ir.from, 'strict');
  // Each pipeline of a loop says so, and neither is in force.
  for (const name of ['loop-a', 'loop-b']) {
    assert.ok(!catalog.hasPipeline(name));
    assert.ok(catalog.diagnosticsOf('pipeline', name).some((d) => d.code === 'MM501' || d.code === 'MM312'));
  }
  assert.ok(catalog.diagnosticsOf('pipeline', 'loop-b').some((d) => d.code === 'MM501'));

  // The site overrides the base: both derived pipelines follow it on the next load.
  write(
    'default-posting-pipeline',
    'pipeline default-posting-pipeline {\n    tagger\n    subject-prefix\n    dmarc\n    to-outgoing\n}\n',
  );
  catalog = await load();
  assert.deepEqual(await steps(catalog, 'strict'), ['owner-recipients', 'subject-prefix', 'cleanse', 'to-outgoing']);
  // stricter's anchor is gone from the new base: MM313, and it is broken (it never compiled before).
  assert.ok(!catalog.hasPipeline('stricter'));
  assert.deepEqual(
    catalog.diagnosticsOf('pipeline', 'stricter').map((d) => [d.code, d.message]),
    [['MM313', "'cook-headers' is not a step of 'strict'"]],
  );
});

test('the IR is plain JSON: a round trip through text builds the same chain', async () => {
  const file = join(CHAINS_DIR, 'default-posting-chain.chain');
  const result = compile(readFileSync(file, 'utf8'), file, { registry: standIns() });
  assert.deepEqual(
    result.diagnostics,
    [],
    formatReport(result.diagnostics, () => undefined),
  );
  const ir = result.ir as ChainIr;
  const copy = JSON.parse(JSON.stringify(ir)) as ChainIr;
  assert.deepEqual(copy, ir);
  assert.equal(ir.ir, 1);
  assert.deepEqual(ir.targets, ['dmarc', 'discard', 'accept', 'hold', 'moderation', 'header-match']);
  assert.deepEqual(ir.links[0], {
    at: '5:5',
    when: { op: 'rule', rule: 'dmarc-mitigation', args: {}, at: '5:8' },
    action: { do: 'jump', chain: 'dmarc', at: '5:39' },
  });
  assert.deepEqual(ir.links[1], {
    at: '6:5',
    when: { op: 'rule', rule: 'no-senders', args: {}, at: '6:8' },
    action: { do: 'discard' },
  });
  assert.deepEqual(ir.links.at(-1), { at: '23:5', action: { do: 'accept' } });
  const chain = buildChain(copy, standIns());
  assert.deepEqual(
    chain.links.map((l) => l.action.label),
    [
      'jump dmarc',
      'discard',
      'accept',
      'hold',
      'discard',
      'discard',
      'jump moderation',
      'detour header-match',
      'jump moderation',
      ...Array(8).fill('defer'),
      'hold',
      'accept',
    ],
  );
});

test('constants are folded into the IR: let values, sizes in bytes, regexes as source and flags', () => {
  const text =
    'let big = 1.5MB\nlet pattern = /^\\[spam\\]/i\nchain c { if header "Subject" matches pattern and size > big then hold }';
  const { ir, diagnostics } = compile(text, 'c.chain', { registry: standIns() });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual((ir as ChainIr).links[0].when, {
    op: 'and',
    of: [
      {
        op: 'test',
        pred: 'matches',
        left: { header: 'Subject' },
        right: { regex: { source: '^\\[spam\\]', flags: 'i' } },
        at: '3:14',
      },
      { op: 'test', pred: '>', left: { message: 'size' }, right: { lit: 1572864 }, at: '3:51' },
    ],
  });
});
