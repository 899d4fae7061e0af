// Chains and pipelines as Graphviz DOT, for `mailman graph` and GET /3.1/chains/{name}/graph.
// Drawn from the IR alone, so the picture is of what runs, not of the file's layout.
//
// A chain: one box per link, labelled `LINE:COL` and the link as text. A solid edge is the
// link's action (labelled with it), a dashed edge the miss to the next link; other chains
// are rounded boxes outside the chain (`chain:NAME`), a computed target (`jump to
// msgdata.X`) is a diamond naming the value. Running off the last link goes to `end`
// (no disposition, or back to the chain that detoured here); `stop` to the octagon `stop`.
// A pipeline: its steps in order from `start` to `end`; a step with `when` also has a
// dashed edge around it, taken when the condition does not hold.
//
// Node names and the order of statements depend only on the IR: equal IR, equal text.
import { describe } from './values.js';
import type {
  ActionIr,
  ArgsIr,
  ChainIr,
  CondIr,
  DslIr,
  LinkIr,
  PipelineIr,
  TemplateIr,
  TestOp,
  ValueIr,
} from './ir.js';
import { nestedLinkRuns } from './ir.js';

const PRED_WORDS: Record<TestOp, string> = {
  is: 'is',
  'is-not': 'is not',
  in: 'in',
  'not-in': 'not in',
  contains: 'contains',
  matches: 'matches',
  'starts-with': 'starts with',
  'ends-with': 'ends with',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  exists: 'exists',
  missing: 'missing',
};

/** A value as the language writes it (the same text explain's traces use). */
export const valueText: (v: ValueIr) => string = describe;

function argsText(args: ArgsIr): string {
  const entries = Object.entries(args);
  return entries.length ? `(${entries.map(([k, v]) => `${k}: ${valueText(v)}`).join(', ')})` : '';
}

/** A condition as the language writes it (parenthesised where precedence needs it). */
export function conditionText(c: CondIr | undefined): string {
  if (!c) return 'always';
  switch (c.op) {
    case 'rule':
      return c.rule + argsText(c.args);
    case 'local-rule':
      return c.rule;
    case 'const':
      return String(c.value);
    case 'and':
      return c.of.map((x) => (x.op === 'or' ? `(${conditionText(x)})` : conditionText(x))).join(' and ');
    case 'or':
      return c.of.map(conditionText).join(' or ');
    case 'not':
      return `not ${c.of.op === 'and' || c.of.op === 'or' ? `(${conditionText(c.of)})` : conditionText(c.of)}`;
    case 'truthy':
      return valueText(c.value);
    case 'test':
      return `${valueText(c.left)} ${PRED_WORDS[c.pred]}${c.right ? ` ${valueText(c.right)}` : ''}`;
    case 'role':
      return `${valueText(c.left)} is ${c.negate ? 'not ' : ''}a ${c.role}`;
  }
}

/** An action as the language writes it. */
export function actionText(a: ActionIr): string {
  switch (a.do) {
    case 'accept':
    case 'hold':
    case 'reject':
    case 'discard': {
      const part = (p: TemplateIr[number]) =>
        typeof p === 'string'
          ? p
          : 'capture' in p
            ? `{match.${p.capture}}`
            : 'size' in p
              ? `{${valueText(p.size)}}`
              : 'header' in p
                ? `{header.${p.header}}`
                : `{${valueText(p)}}`;
      const reason = 'reason' in a && a.reason ? ` "${a.reason.map(part).join('')}"` : '';
      return a.do + reason;
    }
    case 'defer':
    case 'stop':
      return a.do;
    case 'jump':
    case 'detour':
      if ('chain' in a) return `${a.do} ${a.chain}`;
      return `${a.do} to ${valueText(a.to)}${a.otherwise ? ` otherwise ${valueText(a.otherwise)}` : ''}`;
    case 'run':
      return `run ${a.effect}${argsText(a.args)}`;
    case 'for':
      return `for ${a.as} in ${a.source}`;
    case 'block':
      return '{ … }';
  }
}

/** A link as one line of the language: `if COND then ACTION [else ACTION]`, or the bare action. */
export function linkText(link: { when?: CondIr; action: ActionIr; else?: ActionIr }): string {
  if (!link.when) return actionText(link.action);
  const otherwise = link.else ? ` else ${actionText(link.else)}` : '';
  return `if ${conditionText(link.when)} then ${actionText(link.action)}${otherwise}`;
}

/** A DOT string literal. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function attrs(a: Record<string, string | undefined>): string {
  const parts = Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${q(v!)}`);
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

class Dot {
  private readonly nodes: { id: string; line: string; optional: boolean }[] = [];
  private readonly edges: string[] = [];
  private readonly declared = new Set<string>();
  private readonly referenced = new Set<string>();

  /** An `optional` node is drawn only if some edge reaches it (`end` after a final accept). */
  node(id: string, a: Record<string, string | undefined>, optional = false): void {
    if (this.declared.has(id)) return;
    this.declared.add(id);
    this.nodes.push({ id, line: `  ${q(id)}${attrs(a)};`, optional });
  }

  edge(from: string, to: string, a: Record<string, string | undefined> = {}): void {
    this.referenced.add(from).add(to);
    this.edges.push(`  ${q(from)} -> ${q(to)}${attrs(a)};`);
  }

  render(name: string, title: string): string {
    return [
      `digraph ${q(name)} {`,
      `  graph [label=${q(title)}, labelloc="t", fontname="Helvetica", rankdir="TB"];`,
      '  node [shape="box", fontname="Helvetica", fontsize="10"];',
      '  edge [fontname="Helvetica", fontsize="9"];',
      ...this.nodes.filter((n) => !n.optional || this.referenced.has(n.id)).map((n) => n.line),
      ...this.edges,
      '}',
      '',
    ].join('\n');
  }
}

const START = 'start';
const END = 'end';
const STOP = 'stop';
const chainNode = (name: string) => `chain:${name}`;
const linkNode = (i: number) => `link:${i + 1}`;
const stepNode = (i: number) => `step:${i + 1}`;

function title(kind: string, ir: { name: string; description?: string }): string {
  return `${kind} ${ir.name}${ir.description ? `\n${ir.description}` : ''}`;
}

export function chainToDot(ir: ChainIr): string {
  const dot = new Dot();
  dot.node(START, { shape: 'circle', label: 'start' });
  dot.node(END, { shape: 'doublecircle', label: 'end' }, true);
  dot.edge(START, ir.links.length ? linkNode(0) : END);

  const staticTargets = new Set<string>();
  const collect = (links: readonly LinkIr[]): void => {
    for (const l of links) {
      if ('chain' in l.action) staticTargets.add(l.action.chain);
      const d = l.action.do;
      if (d === 'accept' || d === 'hold' || d === 'reject' || d === 'discard') staticTargets.add(d);
      for (const run of nestedLinkRuns(l)) collect(run);
      if (l.else && 'chain' in l.else) staticTargets.add(l.else.chain);
      const e = l.else?.do;
      if (e === 'accept' || e === 'hold' || e === 'reject' || e === 'discard') staticTargets.add(e);
    }
  };
  collect(ir.links);
  // Targets the chain declares but no link names: those a computed jump may reach.
  const computedTargets = ir.targets.filter((t) => !staticTargets.has(t)).sort();
  drawLinks(dot, ir.links, '', END, computedTargets);
  return dot.render(ir.name, title('chain', ir));
}

/**
 * Draws `links` (ids `link:PREFIXn`) and their edges; `after` is where the last one goes on
 * to: the end of the chain, or for a `for` body the loop node, which takes the next row.
 */
function drawLinks(
  dot: Dot,
  links: readonly LinkIr[],
  prefix: string,
  after: string,
  computedTargets: readonly string[],
): void {
  const id = (i: number) => (prefix ? `link:${prefix}${i + 1}` : linkNode(i));
  const next = (i: number) => (i + 1 < links.length ? id(i + 1) : after);
  links.forEach((link, i) => dot.node(id(i), { label: `${link.at}\n${linkText(link)}` }));
  links.forEach((link, i) => {
    const from = id(i);
    const body = `${prefix}${i + 1}.`;
    drawAction(dot, from, link.action, body, next(i), computedTargets);
    if (link.else) drawAction(dot, from, link.else, `${prefix}${i + 1}e.`, next(i), computedTargets, 'else ');
    else if (link.when) dot.edge(from, next(i), { style: 'dashed', label: 'miss' });
  });
}

/**
 * The edges of one action of the link drawn as `from`; `body` prefixes the ids of a block's or
 * loop's links, `next` is where the chain goes on, `tag` marks an `else` action's edges.
 */
function drawAction(
  dot: Dot,
  from: string,
  a: ActionIr,
  body: string,
  next: string,
  computedTargets: readonly string[],
  tag = '',
): void {
  const label = tag + actionText(a);
  switch (a.do) {
    case 'accept':
    case 'hold':
    case 'reject':
    case 'discard':
      dot.node(chainNode(a.do), { label: a.do, style: 'rounded,bold' });
      dot.edge(from, chainNode(a.do), { label });
      break;
    case 'defer':
    case 'run':
      dot.edge(from, next, { label });
      break;
    case 'stop':
      dot.node(STOP, { shape: 'octagon', label: 'stop' });
      dot.edge(from, STOP, { label });
      break;
    case 'for':
      dot.edge(from, a.links.length ? `link:${body}1` : next, { label: 'each row' });
      drawLinks(dot, a.links, body, from, computedTargets);
      dot.edge(from, next, { style: 'dashed', label: 'rows done' });
      break;
    case 'block':
      dot.edge(from, a.links.length ? `link:${body}1` : next, { label: tag ? 'else' : 'then' });
      drawLinks(dot, a.links, body, next, computedTargets);
      break;
    case 'jump':
    case 'detour':
      if ('chain' in a) {
        dot.node(chainNode(a.chain), { label: a.chain, style: 'rounded,bold' });
        dot.edge(from, chainNode(a.chain), { label: tag + a.do });
        if (a.do === 'detour') dot.edge(chainNode(a.chain), next, { style: 'dotted', label: 'returns' });
      } else {
        const computed = `computed:${body.slice(0, -1)}`;
        const otherwise = a.otherwise ? `\notherwise ${valueText(a.otherwise)}` : '';
        dot.node(computed, { shape: 'diamond', label: `${valueText(a.to)}${otherwise}` });
        dot.edge(from, computed, { label: `${tag}${a.do} to` });
        for (const t of computedTargets) {
          dot.node(chainNode(t), { label: t, style: 'rounded,bold' });
          dot.edge(computed, chainNode(t), { label: t });
          if (a.do === 'detour') dot.edge(chainNode(t), next, { style: 'dotted', label: 'returns' });
        }
        if (a.continues || !computedTargets.length) dot.edge(computed, next, { style: 'dashed', label: 'defer' });
      }
      break;
  }
}

export function pipelineToDot(ir: PipelineIr): string {
  const dot = new Dot();
  const n = ir.steps.length;
  const next = (i: number) => (i + 1 < n ? stepNode(i + 1) : END);
  dot.node(START, { shape: 'circle', label: 'start' });
  ir.steps.forEach((s, i) => {
    const when = s.when ? `\nwhen ${conditionText(s.when)}` : '';
    dot.node(stepNode(i), { label: `${s.at}\n${s.handler}${argsText(s.args)}${when}` });
  });
  dot.node(END, { shape: 'doublecircle', label: 'end' });
  dot.edge(START, n ? stepNode(0) : END);
  ir.steps.forEach((s, i) => {
    dot.edge(stepNode(i), next(i));
    // The way around a step whose condition does not hold.
    if (s.when) dot.edge(i === 0 ? START : stepNode(i - 1), next(i), { style: 'dashed', label: 'skip' });
  });
  return dot.render(ir.name, title('pipeline', ir));
}

export function toDot(ir: DslIr): string {
  return ir.kind === 'chain' ? chainToDot(ir) : pipelineToDot(ir);
}

export type GraphFormat = 'dot' | 'svg';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['dot', 'svg'];

let viz: Promise<{ renderString(dot: string, options: { format: string }): string }> | undefined;

/**
 * The largest graph laid out as SVG. Graphviz's layout grows much faster than the graph (a
 * 3,000-link chain took 5 s and 2 GB; 100 generated links with their shared targets take
 * seconds); DOT text is linear and always given.
 */
export const MAX_SVG_NODES = 200;
export const MAX_SVG_EDGES = 400;

/** A graph too large to lay out; `message` says so and what to do instead. */
export class GraphTooLarge extends Error {
  constructor(
    readonly nodes: number,
    readonly edges: number,
  ) {
    super(
      `the graph has ${nodes} nodes and ${edges} edges; ` +
        `SVG is drawn for at most ${MAX_SVG_NODES} nodes and ${MAX_SVG_EDGES} edges: ` +
        'ask for the DOT text instead and lay it out elsewhere, or split the chain',
    );
    this.name = 'GraphTooLarge';
  }
}

/** Nodes and edges of DOT text as written here: one statement per line. */
export function graphSize(dot: string): { nodes: number; edges: number } {
  let nodes = 0;
  let edges = 0;
  for (const line of dot.split('\n')) {
    if (!line.startsWith('  "')) continue;
    if (/^ {2}"(?:[^"\\]|\\.)*" -> /.test(line)) edges++;
    else nodes++;
  }
  return { nodes, edges };
}

/**
 * DOT as is, or laid out as SVG by Graphviz compiled to WebAssembly (no external program).
 * Throws GraphTooLarge for SVG of a graph past MAX_SVG_NODES or MAX_SVG_EDGES.
 */
export async function renderGraph(dot: string, format: GraphFormat): Promise<string> {
  if (format === 'dot') return dot;
  const size = graphSize(dot);
  if (size.nodes > MAX_SVG_NODES || size.edges > MAX_SVG_EDGES) throw new GraphTooLarge(size.nodes, size.edges);
  // Loaded on first use: the WebAssembly module is large and most processes never draw.
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  return (await viz).renderString(dot, { format: 'svg' });
}
