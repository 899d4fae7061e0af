// The chain loop (docs/language.md#semantics-of-chains): jumps, detours, stop, defer, computed targets, recording of
// rule hits and misses, reasons, dry runs and the loop guard. Chains are real files compiled
// by the catalog; the rules and effects are small test components registered here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, DslCatalog, formatReport, registerMsgdataKey } from '../../src/dsl/index.js';
import { Message } from '../../src/email/message.js';
import { ChainError, MAX_LINK_EVALUATIONS, runChain } from '../../src/moderation/chain-executor.js';
import { type Args, type MessageContext } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import { makeCtx } from './support.js';

// msgdata keys the test chains read (a real component registers the keys it sets).
registerMsgdataKey('action', 'action');
registerMsgdataKey('default_action', 'action');
registerMsgdataKey('flag', 'bool');
registerMsgdataKey('count', 'number');
registerMsgdataKey('next_chain', 'chain');

// ---- test components

registry.rules.register({ name: 'test-hit', description: 'Always hits.', record: true, check: () => ({ hit: true }) });
registry.rules.register({ name: 'test-miss', description: 'Never hits.', record: true, check: () => ({ hit: false }) });
registry.rules.register({
  name: 'test-quiet-hit',
  description: 'Hits, unrecorded.',
  record: false,
  check: () => ({ hit: true }),
});
registry.rules.register({
  name: 'test-async-hit',
  description: 'Hits, later.',
  record: true,
  check: async () => ({ hit: true }),
});
registry.rules.register({
  name: 'test-reason',
  description: 'Hits with a reason and msgdata.',
  record: true,
  check: () => ({
    hit: true,
    reasons: ['Because of a test'],
    msgdata: { member_moderation_action: 'hold', moderation_sender: 'anne@example.org' },
  }),
});
const seenArgs: Args[] = [];
registry.rules.register({
  name: 'test-args',
  description: 'Hits when `want` equals msgdata.want; keeps its arguments.',
  record: true,
  params: [
    { name: 'want', type: 'string', required: true },
    { name: 'limit', type: 'size', default: 'list.max_message_size' },
    { name: 'count', type: 'number', default: 3 },
  ],
  check: (ctx, args) => {
    seenArgs.push(args);
    return { hit: ctx.msgdata.want === args.want };
  },
});
registry.effects.register({
  name: 'test-effect',
  description: 'Notes that it ran, with its tag.',
  params: [{ name: 'tag', type: 'string', default: 'ran' }],
  run: async (ctx, args) => {
    ((ctx.msgdata.effects_run ??= []) as unknown[]).push(args.tag);
  },
});

// ---- chains under test

const TERMINALS = {
  accept: 'chain accept { run test-effect(tag: "accept") stop }',
  hold: 'chain hold { run test-effect(tag: "hold") stop }',
  reject: 'chain reject { run test-effect(tag: "reject") stop }',
  discard: 'chain discard { run test-effect(tag: "discard") stop }',
};

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Writes the chains to a fresh directory and loads them; every file must compile without an error. */
async function catalogOf(chains: Record<string, string>): Promise<DslCatalog> {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-chains-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries({ ...TERMINALS, ...chains }))
    writeFileSync(join(dir, `${name}.chain`), text);
  const catalog = await DslCatalog.load({ builtinChains: dir, builtinPipelines: join(dir, 'none') }, { registry });
  const errors = catalog.diagnostics().filter((d) => d.severity === 'error');
  assert.equal(
    errors.length,
    0,
    formatReport(errors, () => undefined),
  );
  return catalog;
}

const effectsRun = (ctx: MessageContext) => ctx.msgdata.effects_run;

test('jump: continues in the target chain and never comes back', async () => {
  const catalog = await catalogOf({
    start:
      'chain start { if test-miss then jump hold  if test-hit then jump other  run test-effect(tag: "not reached") }',
    other: 'chain other { run test-effect(tag: "other") stop }',
  });
  const ctx = makeCtx();
  const trace = await runChain(catalog, 'start', ctx);
  assert.deepEqual(effectsRun(ctx), ['other']);
  assert.equal(trace.disposition, 'other');
  assert.deepEqual(trace.effects, ['test-effect']);
  assert.deepEqual(
    trace.links.map((l) => [l.chain, l.at, l.hit, l.action]),
    [
      ['start', '1:15', false, 'jump hold'],
      ['start', '1:44', true, 'jump other'],
      ['other', '1:15', true, 'run test-effect'],
      ['other', '1:45', true, 'stop'],
    ],
  );
});

test('detour: runs the other chain, then resumes after the link', async () => {
  const catalog = await catalogOf({
    start: 'chain start { detour side  run test-effect(tag: "after") stop }',
    side: 'chain side { run test-effect(tag: "side") }',
  });
  const ctx = makeCtx();
  const trace = await runChain(catalog, 'start', ctx);
  assert.deepEqual(effectsRun(ctx), ['side', 'after']);
  assert.equal(trace.disposition, 'start');
});

test('a jump inside a detour keeps the pending detour (as in Mailman)', async () => {
  const catalog = await catalogOf({
    start: 'chain start { detour side  run test-effect(tag: "back") stop }',
    side: 'chain side { jump side2 }',
    side2: 'chain side2 { run test-effect(tag: "side2") }',
  });
  const ctx = makeCtx();
  await runChain(catalog, 'start', ctx);
  assert.deepEqual(effectsRun(ctx), ['side2', 'back']);
});

test('stop ends all processing, pending detours included', async () => {
  const catalog = await catalogOf({
    start: 'chain start { detour side  run test-effect(tag: "after") }',
    side: 'chain side { stop }',
  });
  const ctx = makeCtx();
  const trace = await runChain(catalog, 'start', ctx);
  assert.equal(effectsRun(ctx), undefined);
  assert.equal(trace.disposition, 'side');
});

test('running out of links with no detour ends with no disposition', async () => {
  const catalog = await catalogOf({ start: 'chain start { if test-miss then accept }' });
  const trace = await runChain(catalog, 'start', makeCtx());
  assert.equal(trace.disposition, undefined);
  assert.equal(trace.links.length, 1);
});

test('defer goes on to the next link; hits and misses are recorded in order', async () => {
  const catalog = await catalogOf({
    start: `chain start {
      if test-hit then defer
      if test-miss then defer
      if test-quiet-hit then defer
      if test-async-hit then defer
      accept
    }`,
  });
  const ctx = makeCtx({ msgdata: { rule_hits: ['stale'], rule_misses: ['stale'] } });
  const trace = await runChain(catalog, 'start', ctx);
  assert.deepEqual(ctx.msgdata.rule_hits, ['test-hit', 'test-async-hit']);
  assert.deepEqual(ctx.msgdata.rule_misses, ['test-miss']);
  assert.deepEqual(effectsRun(ctx), ['accept']);
  assert.equal(trace.disposition, 'accept');
});

test('and/or short-circuit left to right; a file rule records under its own name', async () => {
  const catalog = await catalogOf({
    start: `rule both "Both test rules" = test-hit and test-miss
    chain start {
      if test-hit or test-miss then defer
      if test-miss and test-hit then defer
      if not (test-miss) then defer
      if both then defer
      stop
    }`,
  });
  const ctx = makeCtx();
  await runChain(catalog, 'start', ctx);
  assert.deepEqual(ctx.msgdata.rule_hits, ['test-hit', 'test-hit']);
  assert.deepEqual(ctx.msgdata.rule_misses, ['test-miss', 'test-miss', 'test-miss', 'both']);
});

test("a hit appends the rule's reasons and merges its msgdata; an action's own reason replaces them", async () => {
  const catalog = await catalogOf({
    start:
      'chain start { if test-reason then defer  if test-reason then hold "Held: {sender} on {list.display_name}, {{literal}" }',
  });
  const ctx = makeCtx({ msgdata: { moderation_reasons: ['Earlier'] } });
  const trace = await runChain(catalog, 'start', ctx);
  // The deferring link's reason stays; the holding link's words replace its own rule's.
  assert.deepEqual(ctx.msgdata.moderation_reasons, [
    'Earlier',
    'Because of a test',
    'Held: anne@example.org on Ant, {literal}',
  ]);
  assert.equal(ctx.msgdata.member_moderation_action, 'hold');
  assert.equal(ctx.msgdata.moderation_sender, 'anne@example.org');
  assert.deepEqual(effectsRun(ctx), ['hold']);
  assert.equal(trace.disposition, 'hold');
});

test('jump to msgdata.KEY: the value names the chain; defer goes on; otherwise when null', async () => {
  const catalog = await catalogOf({
    moderation: 'chain moderation { jump to msgdata.member_moderation_action }',
    fallback:
      'chain fallback { jump to msgdata.action otherwise msgdata.default_action  run test-effect(tag: "went on") }',
  });
  for (const action of ['accept', 'hold', 'reject', 'discard']) {
    const ctx = makeCtx({ msgdata: { member_moderation_action: action } });
    const trace = await runChain(catalog, 'moderation', ctx);
    assert.deepEqual(effectsRun(ctx), [action]);
    assert.equal(trace.links[0].target, action);
  }
  const deferred = makeCtx({ msgdata: { action: 'defer' } });
  await runChain(catalog, 'fallback', deferred);
  assert.deepEqual(effectsRun(deferred), ['went on']);
  const otherwise = makeCtx({ msgdata: { default_action: 'discard' } });
  await runChain(catalog, 'fallback', otherwise);
  assert.deepEqual(effectsRun(otherwise), ['discard']);
  await assert.rejects(runChain(catalog, 'moderation', makeCtx()), ChainError);
  await assert.rejects(
    runChain(catalog, 'moderation', makeCtx({ msgdata: { member_moderation_action: 'nowhere' } })),
    /chain 'nowhere'/,
  );
});

test('dryRun: effects are traced, not run', async () => {
  const catalog = await catalogOf({ start: 'chain start { run test-effect(tag: "x")  accept }' });
  const ctx = makeCtx({ dryRun: true });
  const trace = await runChain(catalog, 'start', ctx);
  assert.equal(effectsRun(ctx), undefined);
  assert.deepEqual(trace.effects, ['test-effect', 'test-effect']);
  assert.deepEqual(
    trace.links.filter((l) => l.skipped).map((l) => l.chain),
    ['start', 'accept'],
  );
  assert.equal(trace.dryRun, true);
  assert.equal(trace.disposition, 'accept');
});

test('a jump loop is stopped after 10,000 link evaluations', async () => {
  // A static cycle is MM501 at compile time; a chain named by a value read per message (a
  // chain-typed msgdata key) is the way a loop can still happen, so the guard stays.
  const catalog = await catalogOf({
    start: 'chain start { if test-quiet-hit then defer  jump to msgdata.next_chain }',
  });
  await assert.rejects(
    runChain(catalog, 'start', makeCtx({ msgdata: { next_chain: 'start' } })),
    (e: Error) => e instanceof ChainError && e.message.includes(`more than ${MAX_LINK_EVALUATIONS}`),
  );
});

test('an unknown start chain is an error for the runner to shunt', async () => {
  const catalog = await catalogOf({});
  await assert.rejects(runChain(catalog, 'no-such-chain', makeCtx()), /chain 'no-such-chain' does not exist/);
});

test('rule arguments: given values, list-setting defaults (KB as bytes), literal defaults; constant args are built once', async () => {
  const catalog = await catalogOf({
    start:
      'chain start { if test-args(want: "yes") then accept  if test-args(want: "no", limit: 1MB) then hold  discard }',
  });
  seenArgs.length = 0;
  const ctx = makeCtx({ msgdata: { want: 'no' } });
  await runChain(catalog, 'start', ctx);
  assert.deepEqual(effectsRun(ctx), ['hold']);
  assert.deepEqual(seenArgs, [
    { want: 'yes', limit: 40 * 1024, count: 3 },
    { want: 'no', limit: 1024 * 1024, count: 3 },
  ]);
  seenArgs.length = 0;
  await runChain(catalog, 'start', makeCtx({ msgdata: { want: 'no' } }));
  assert.ok(Object.isFrozen(seenArgs[1]), 'constant arguments are one frozen object');
});

test('conditions on headers, list settings, msgdata and the sender', async () => {
  const catalog = await catalogOf({
    start: `let partners = ["partner.example", "Example.ORG"]
    chain start {
      if header "X-Spam" exists then run test-effect(tag: "x-spam exists")
      if header "X-Ham" missing then run test-effect(tag: "x-ham missing")
      if header "Subject" contains "HELLO" then run test-effect(tag: "contains")
      if header "Subject" matches /^hel+o$/i then run test-effect(tag: "matches")
      if header "Subject" is "hello" and not (header "Subject" is not "hello") then run test-effect(tag: "is")
      if header "To" starts with "ant@" and header "To" ends with ".com" then run test-effect(tag: "starts-ends")
      if list.default_member_action is "defer" and list.emergency is false then run test-effect(tag: "settings")
      if list.max_message_size is 40KB and list.max_num_recipients >= 10 then run test-effect(tag: "numbers")
      if not list.emergency then run test-effect(tag: "bool setting")
      if msgdata.flag and msgdata.count > 2 and msgdata.count < 4 and msgdata.count <= 3 then run test-effect(tag: "msgdata")
      if sender.domain in partners and sender.domain not in ["spam.example"] then run test-effect(tag: "in")
      if header "Received" contains "second" then run test-effect(tag: "any of a list")
      if header "X-Spam" is "yes" or list.emergency then run test-effect(tag: "not reached")
      stop
    }`,
  });
  const ctx = makeCtx({
    headers:
      'From: anne@example.org\nTo: ant@example.com\nSubject: Hello\nX-Spam: no\nReceived: first\nReceived: second\n',
    msgdata: { flag: true, count: 3 },
  });
  await runChain(catalog, 'start', ctx);
  assert.deepEqual(effectsRun(ctx), [
    'x-spam exists',
    'x-ham missing',
    'contains',
    'matches',
    'is',
    'starts-ends',
    'settings',
    'numbers',
    'bool setting',
    'msgdata',
    'in',
    'any of a list',
  ]);
});

test("a custom reject text is what the sender reads, not the header-match rule's generic reason", async () => {
  const catalog = await catalogOf({
    start:
      'chain start { if header-match(header: "X-Spam", pattern: "yes", suffix: "t") then reject "No spam here, {sender}" }',
    plain: 'chain plain { if header-match(header: "X-Spam", pattern: "yes", suffix: "t") then reject }',
  });
  const headers = 'From: anne@example.org\nTo: ant@example.com\nX-Spam: yes\n';
  const custom = makeCtx({ headers });
  await runChain(catalog, 'start', custom);
  assert.deepEqual(custom.msgdata.moderation_reasons, ['No spam here, anne@example.org']);
  assert.deepEqual(custom.msgdata.rule_hits, ['header-match-t'], 'the rule still records its hit');
  const plain = makeCtx({ headers });
  await runChain(catalog, 'plain', plain);
  assert.deepEqual(plain.msgdata.moderation_reasons, ['Header "x-spam: yes" matched a header rule']);
});

test('reasons: {size} reads as a human size, {header.NAME} and {match.N} show message values, bounded and clean', async () => {
  const catalog = await catalogOf({
    start: `chain start {
    if header "X-Spam-Score" matches /^(\\d+)\\.(\\d)/ and size > 2MB then hold "score {match.1}.{match.2} ({match.0}) of {header.X-Spam-Score}: post of {size} is over {list.max_message_size}"
    if header "Subject" exists then hold "[{header.subject}] {match.1}"
}`,
  });
  const big = makeCtx({ list: { max_message_size: 2048 } });
  big.msg = new Message(
    Buffer.from(`From: anne@example.org\nX-Spam-Score: 7.5 (high)\nSubject: s\n\n${'x'.repeat(2_200_000)}\n`),
  );
  await runChain(catalog, 'start', big);
  assert.deepEqual(big.msgdata.moderation_reasons, ['score 7.5 (7.5) of 7.5 (high): post of 2.1 MB is over 2 MB']);

  // A Subject with a line break, a bell and a bidi override, then 300 characters: one clean,
  // bounded line; and no capture left over from another link.
  const hostile = makeCtx({
    headers: `From: anne@example.org\nSubject: =?utf-8?q?one=0Atwo=07three=E2=80=AEfour_${'y'.repeat(300)}?=\n`,
  });
  await runChain(catalog, 'start', hostile);
  const [reason] = hostile.msgdata.moderation_reasons as string[];
  assert.match(reason, /^\[one two three four y+…\] $/);
  assert.equal([...reason].length, '[] '.length + 200 + 1);
});

test('{match.N} and {header} are checked: a capture is match.0 to match.9, a header needs a name', async () => {
  const result = compile('chain x { if loop then hold "{match.10} {match.a.b} {header} {header.X-Ok}" }', 'x.chain', {
    registry,
  });
  assert.deepEqual(
    result.diagnostics.map((d) => `${d.code} ${d.message}`),
    ["MM304 '{match.10}' is not a capture", "MM304 '{match.a.b}' is not a capture", "MM304 '{header}' names no header"],
  );
});
