// Chains and pipelines as DOT: every built-in file, and a sample with every kind of link, is
// drawn, laid out by Graphviz (WebAssembly) and read back as Graphviz JSON; the nodes and
// edges found must be those the IR calls for, and the text must not vary between runs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { instance } from '@viz-js/viz';
import { type ChainIr, compile, type CondIr, DslCatalog, type LinkIr, type PipelineIr } from '../../src/dsl/index.js';
import { chainToDot, pipelineToDot, renderGraph, toDot } from '../../src/dsl/graph-dot.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR } from './support.js';

interface Laid {
  nodes: { name: string; label: string }[];
  edges: { tail: string; head: string; label?: string; style?: string }[];
}

let viz: Awaited<ReturnType<typeof instance>>;
let catalog: DslCatalog;

before(async () => {
  viz = await instance();
  catalog = await DslCatalog.load({ builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR }, { registry });
});

/** Lays the graph out and reads it back: Graphviz fails on anything that is not DOT. */
function layOut(dot: string): Laid {
  const json = viz.renderJSON(dot) as {
    objects?: { name: string; label: string; _gvid: number }[];
    edges?: { tail: number; head: number; label?: string; style?: string }[];
  };
  const objects = json.objects ?? [];
  const byId = new Map(objects.map((o) => [o._gvid, o.name]));
  return {
    nodes: objects.map((o) => ({
      name: o.name,
      label: o.label.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
    })),
    edges: (json.edges ?? []).map((e) => ({
      tail: byId.get(e.tail)!,
      head: byId.get(e.head)!,
      label: e.label,
      style: e.style,
    })),
  };
}

function ruleNames(c: CondIr | undefined): string[] {
  if (!c) return [];
  if (c.op === 'rule' || c.op === 'local-rule') return [c.rule];
  if (c.op === 'and' || c.op === 'or') return c.of.flatMap(ruleNames);
  if (c.op === 'not') return ruleNames(c.of);
  return [];
}

function labelOf(laid: Laid, name: string): string {
  const node = laid.nodes.find((n) => n.name === name);
  assert.ok(node, `node ${name} is drawn`);
  return node.label;
}

function out(laid: Laid, from: string): Laid['edges'] {
  return laid.edges.filter((e) => e.tail === from);
}

/** The links of a loop body, nested loops included. */
function flatten(links: readonly LinkIr[]): LinkIr[] {
  return links.flatMap((l) => (l.action.do === 'for' ? [l, ...flatten(l.action.links)] : [l]));
}

/** The graph a chain's IR calls for (docs/language.md#actions), checked edge by edge. */
function checkChain(ir: ChainIr): void {
  const laid = layOut(chainToDot(ir));
  const n = ir.links.length;
  const linkNode = (i: number) => laid.nodes.find((x) => x.label.startsWith(`${ir.links[i].at}\n`))?.name;
  const names = ir.links.map((_, i) => linkNode(i));
  names.forEach((name, i) => assert.ok(name, `${ir.name}: link ${ir.links[i].at} has a node`));
  const nextOf = (i: number) => (i + 1 < n ? names[i + 1]! : 'end');
  assert.deepEqual(
    out(laid, 'start').map((e) => e.head),
    [n ? names[0] : 'end'],
  );

  let computed = 0;
  let bodyNodes = 0;
  const externals = new Set<string>();
  let reachesEnd = false;
  let stops = false;
  ir.links.forEach((link, i) => {
    const node = names[i]!;
    const label = labelOf(laid, node);
    for (const rule of ruleNames(link.when))
      assert.ok(label.includes(rule), `${ir.name} ${link.at}: the label names ${rule}: ${label}`);
    const edges = out(laid, node);
    const a0 = link.action;
    if (a0.do === 'for') {
      // A loop: each row runs the body (drawn as its own links, back to the loop node), then on.
      const body = flatten(a0.links);
      bodyNodes += body.length;
      for (const b of body)
        if (b.action.do === 'accept' || b.action.do === 'hold' || b.action.do === 'reject' || b.action.do === 'discard')
          externals.add(b.action.do);
      for (const b of body) if ('chain' in b.action) externals.add(b.action.chain);
      computed += body.filter((b) => (b.action.do === 'jump' || b.action.do === 'detour') && 'to' in b.action).length;
      assert.deepEqual(
        edges.filter((e) => e.style === 'dashed').map((e) => [e.head, e.label]),
        [[nextOf(i), 'rows done']],
      );
      const each = edges.find((e) => e.label === 'each row');
      assert.ok(each, `${ir.name} ${link.at}: the loop enters its body`);
      if (a0.links.length) assert.ok(labelOf(laid, each.head).startsWith(`${a0.links[0].at}\n`));
      if (i + 1 === n) reachesEnd = true;
      return;
    }
    const misses = edges.filter((e) => e.style === 'dashed');
    if (link.when) {
      assert.deepEqual(
        misses.map((e) => [e.head, e.label]),
        [[nextOf(i), 'miss']],
        `${ir.name} ${link.at}: one miss edge to the next link`,
      );
      if (i + 1 === n) reachesEnd = true;
    } else {
      assert.equal(misses.length, 0, `${ir.name} ${link.at}: an unconditional link has no miss edge`);
    }
    const hits = edges.filter((e) => e.style !== 'dashed');
    assert.equal(hits.length, 1, `${ir.name} ${link.at}: one edge for the action`);
    const hit = hits[0];
    const a = link.action;
    switch (a.do) {
      case 'accept':
      case 'hold':
      case 'reject':
      case 'discard':
        assert.equal(hit.head, `chain:${a.do}`);
        assert.equal(labelOf(laid, hit.head), a.do);
        externals.add(a.do);
        break;
      case 'defer':
      case 'run':
        assert.equal(hit.head, nextOf(i));
        assert.match(hit.label ?? '', a.do === 'run' ? new RegExp(`^run ${a.effect}`) : /^defer$/);
        if (i + 1 === n) reachesEnd = true;
        break;
      case 'stop':
        assert.equal(hit.head, 'stop');
        stops = true;
        break;
      case 'jump':
      case 'detour':
        if ('chain' in a) {
          assert.equal(hit.head, `chain:${a.chain}`);
          assert.equal(hit.label, a.do);
          externals.add(a.chain);
          if (a.do === 'detour') {
            assert.ok(
              out(laid, `chain:${a.chain}`).some((e) => e.head === nextOf(i) && e.label === 'returns'),
              'a detour comes back after its link',
            );
            if (i + 1 === n) reachesEnd = true;
          }
        } else {
          computed++;
          assert.match(labelOf(laid, hit.head), /^msgdata\.|^list\.|^header |^site\./);
          // Only a value that may be `defer` goes on to the next link.
          const defers = out(laid, hit.head).some((e) => e.head === nextOf(i) && e.label === 'defer');
          assert.equal(
            defers,
            !!a.continues || ir.targets.length === 0,
            'a computed target goes on only when it may say defer',
          );
          if (defers && i + 1 === n) reachesEnd = true;
        }
        break;
    }
  });
  const expectedNodes = 1 + n + bodyNodes + externals.size + computed + (stops ? 1 : 0) + (reachesEnd ? 1 : 0);
  // Targets only a computed jump reaches are drawn too (they are in ir.targets).
  const computedOnly = computed ? ir.targets.filter((t) => !externals.has(t)).length : 0;
  assert.equal(
    laid.nodes.length,
    expectedNodes + computedOnly,
    `${ir.name}: ${laid.nodes.map((x) => x.name).join(' ')}`,
  );
}

function checkPipeline(ir: PipelineIr): void {
  const laid = layOut(pipelineToDot(ir));
  const n = ir.steps.length;
  assert.equal(laid.nodes.length, n + 2, `${ir.name}: start, one node per step, end`);
  const names = ir.steps.map((s) => laid.nodes.find((x) => x.label.startsWith(`${s.at}\n`))?.name);
  let chain = 'start';
  ir.steps.forEach((s, i) => {
    const name = names[i];
    assert.ok(name, `${ir.name}: step ${s.at} has a node`);
    const label = labelOf(laid, name);
    assert.ok(label.split('\n')[1].startsWith(s.handler), label);
    assert.equal(label.includes('\nwhen '), !!s.when);
    assert.ok(
      out(laid, chain).some((e) => e.head === name && e.style !== 'dashed'),
      `${ir.name}: ${chain} -> ${name}`,
    );
    chain = name;
  });
  assert.ok(out(laid, chain).some((e) => e.head === 'end'));
  assert.equal(laid.edges.length, n + 1 + ir.steps.filter((s) => s.when).length);
  assert.equal(laid.edges.filter((e) => e.style === 'dashed').length, ir.steps.filter((s) => s.when).length);
}

test('every built-in chain draws as its IR says', () => {
  const names = catalog.chainNames();
  assert.ok(names.includes('default-posting-chain') && names.includes('moderation'), names.join(' '));
  for (const name of names) checkChain(catalog.chain(name)!.ir);
});

test('every built-in pipeline draws as its IR says', () => {
  const names = catalog.pipelineNames();
  assert.ok(names.includes('default-posting-pipeline'), names.join(' '));
  for (const name of names) checkPipeline(catalog.pipeline(name)!.ir);
});

const SAMPLE_CHAIN = `# Every kind of link, for the drawing.
chain graph-sample "Every kind of link" {
    if loop then discard
    if any then detour moderation
    if member-moderation and not header "X-Spam" exists then hold "flagged: {sender}"
    run hold-message
    if list.emergency then defer
    if nonmember-moderation or header "Subject" matches /"quoted"\\\\/i then reject
    jump to msgdata.member_moderation_action
    stop
}
`;

const SAMPLE_PIPELINE = `pipeline graph-sample-pipeline {
    member-recipients when not list.emergency
    cook-headers
    to-outgoing when msgdata.to_list
}
`;

function compiled<T>(text: string, file: string): T {
  const chainNames = new Set([...catalog.chainNames(), 'graph-sample']);
  const result = compile(text, file, { chainNames, pipelineNames: new Set(catalog.pipelineNames()), registry });
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join('\n'));
  return result.ir as T;
}

test('a chain with every kind of link draws as its IR says, quotes and backslashes escaped', () => {
  const ir = compiled<ChainIr>(SAMPLE_CHAIN, 'graph-sample.chain');
  checkChain(ir);
  const laid = layOut(chainToDot(ir));
  assert.ok(
    laid.nodes.some((x) => x.label.includes('header "Subject" matches /"quoted"\\\\/i')),
    laid.nodes.map((x) => x.label).join(' | '),
  );
  assert.ok(laid.nodes.some((x) => x.name === 'stop'));
});

test('a pipeline with when conditions draws a way around each such step', () => {
  const ir = compiled<PipelineIr>(SAMPLE_PIPELINE, 'graph-sample-pipeline.pipeline');
  checkPipeline(ir);
  const laid = layOut(pipelineToDot(ir));
  assert.deepEqual(
    laid.edges.filter((e) => e.style === 'dashed').map((e) => [e.tail, e.head]),
    [
      ['start', 'step:2'],
      ['step:2', 'end'],
    ],
  );
});

test('the same IR always gives the same text (a copy, or IR read back from JSON)', () => {
  for (const ir of [
    ...catalog.chainNames().map((n) => catalog.chain(n)!.ir),
    ...catalog.pipelineNames().map((n) => catalog.pipeline(n)!.ir),
  ]) {
    const first = toDot(ir);
    assert.equal(toDot(ir), first);
    assert.equal(toDot(structuredClone(ir)), first);
    assert.equal(toDot(JSON.parse(JSON.stringify(ir))), first);
  }
});

test('svg is rendered in-process', async () => {
  const svg = await renderGraph(chainToDot(catalog.chain('default-posting-chain')!.ir), 'svg');
  assert.match(svg, /^(<\?xml |<svg)/);
  assert.match(svg, /<svg[\s\S]*<\/svg>\s*$/);
  assert.match(svg, /member(-|&#45;)moderation/); // Graphviz writes - as &#45;
});

test('then-blocks and else draw as branches: a block goes on to the next link, else replaces the miss edge', () => {
  const ir = compiled<ChainIr>(
    `chain graph-sample {
    if header "X-Spam-Score" as number > 5 then {
        if loop then discard
        hold
    } else if header "Received" count > 30 then discard else defer
    accept
}
`,
    'graph-sample.chain',
  );
  const laid = layOut(chainToDot(ir));
  const edges = (from: string) => out(laid, from).map((e) => [e.head, e.label, e.style ?? '']);
  assert.match(labelOf(laid, 'link:1'), /if header "X-Spam-Score" as number > 5 then \{ … \} else \{ … \}/);
  assert.deepEqual(edges('link:1'), [
    ['link:1.1', 'then', ''],
    ['link:1e.1', 'else', ''],
  ]);
  // Inside the then-block: a miss goes on in the block; the block's last link ends the chain.
  assert.deepEqual(edges('link:1.1'), [
    ['chain:discard', 'discard', ''],
    ['link:1.2', 'miss', 'dashed'],
  ]);
  assert.deepEqual(edges('link:1.2'), [['chain:hold', 'hold', '']]);
  // The else-if: its own else (defer) goes on with the link after the outer if.
  assert.deepEqual(edges('link:1e.1'), [
    ['chain:discard', 'discard', ''],
    ['link:2', 'else defer', ''],
  ]);
  assert.ok(!out(laid, 'link:1').some((e) => e.label === 'miss'));
});
