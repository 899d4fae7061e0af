// Checks on the whole set of chains, which no single file can decide (docs/language.md#compilation, "graph"):
//   MM501  a jump/detour cycle, across any number of files (an error: every edge is known,
//          computed targets being typed, so a cycle is certain, not a guess);
//   MM503  a chain that may run out of links with no disposition (the message is dropped),
//          unless it is only ever reached by `detour`, which comes back.
// Input is each chain's IR as lowered (compile.ts's `lowered`, present even with errors), so
// a file with a typo elsewhere still gets its graph checked.
import { diagnostic, type Diagnostic } from './diagnostics.js';
import type { ActionIr, ChainIr, LinkIr } from './ir.js';
import { nestedLinkRuns } from './ir.js';
import type { SourceText } from './source.js';

const DISPOSITIONS = ['accept', 'hold', 'reject', 'discard'];

interface Edge {
  from: string;
  to: string;
  kind: 'jump' | 'detour';
  /** `line:col` of the link (or the target name) in `from`'s file. */
  at: string;
  /** How long the marked text is (the target name), in code points. */
  length: number;
}

/** Every edge out of a chain: named jumps and detours, dispositions, typed computed targets. */
export function chainEdges(ir: ChainIr): Edge[] {
  const edges: Edge[] = [];
  const edge = (a: ActionIr, at: string) => {
    switch (a.do) {
      case 'accept':
      case 'hold':
      case 'reject':
      case 'discard':
        edges.push({ from: ir.name, to: a.do, kind: 'jump', at, length: 0 });
        break;
      case 'jump':
      case 'detour':
        if ('chain' in a) {
          edges.push({ from: ir.name, to: a.chain, kind: a.do, at: a.at ?? at, length: [...a.chain].length });
        } else {
          for (const d of DISPOSITIONS) {
            if (ir.targets.includes(d)) edges.push({ from: ir.name, to: d, kind: a.do, at, length: 0 });
          }
        }
        break;
      default:
        break;
    }
  };
  const walk = (links: readonly LinkIr[]) => {
    for (const link of links) {
      edge(link.action, link.at);
      if (link.else) edge(link.else, link.at);
      for (const run of nestedLinkRuns(link)) walk(run);
    }
  };
  walk(ir.links);
  return edges;
}

/** Whether a link always ends the chain (unconditional, and never continues after its action). */
function ends(link: LinkIr): boolean {
  if (link.when && !(link.when.op === 'const' && link.when.value)) {
    // Conditional: it ends the chain only when both of its branches do.
    return link.else !== undefined && actionEnds(link.action) && actionEnds(link.else);
  }
  return actionEnds(link.action);
}

function actionEnds(a: ActionIr): boolean {
  switch (a.do) {
    case 'accept':
    case 'hold':
    case 'reject':
    case 'discard':
    case 'stop':
      return true;
    case 'jump':
      return 'chain' in a || !a.continues;
    case 'block':
      return a.links.some(ends);
    default:
      return false;
  }
}

/** Whether running the chain may reach its end with nothing decided. */
export function mayRunOut(ir: ChainIr): boolean {
  return !ir.links.some(ends);
}

export function checkChainGraph(
  chains: ReadonlyMap<string, ChainIr>,
  sources?: ReadonlyMap<string, SourceText>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const edges = new Map<string, Edge[]>();
  for (const [name, ir] of chains)
    edges.set(
      name,
      chainEdges(ir).filter((e) => chains.has(e.to)),
    );

  for (const cycle of cycles(chains, edges)) {
    // One diagnostic per chain on the cycle, at its edge to the next, so each file says it.
    const path = [...cycle, cycle[0]].join(' → ');
    for (let i = 0; i < cycle.length; i++) {
      const from = cycle[i];
      const to = cycle[(i + 1) % cycle.length];
      const edge = edges.get(from)!.find((e) => e.to === to)!;
      const ir = chains.get(from)!;
      out.push(
        at(
          ir,
          edge.at,
          edge.length,
          sources,
          'error',
          'MM501',
          `${edge.kind} to '${to}' closes a cycle: ${path}`,
          'a message would go round until the loop guard shunts it; ' +
            'break the cycle, or use detour to a chain that does not come back',
        ),
      );
    }
  }

  const jumpedTo = new Set<string>();
  const detouredTo = new Set<string>();
  for (const list of edges.values()) for (const e of list) (e.kind === 'jump' ? jumpedTo : detouredTo).add(e.to);
  for (const [name, ir] of chains) {
    if (!mayRunOut(ir)) continue;
    // A detour comes back: running out is how it returns.
    if (detouredTo.has(name) && !jumpedTo.has(name)) continue;
    const nameAt = chainNameAt(ir, sources);
    out.push(
      at(
        ir,
        nameAt.at,
        nameAt.length,
        sources,
        'warning',
        'MM503',
        `chain '${name}' may run out of links with no disposition, and the message is then dropped`,
        'end it with an unconditional accept, hold, reject, discard, jump or stop; ' +
          "a chain reached only by 'detour' may run out",
      ),
    );
  }
  return out;
}

/** The cycles of the graph: each strongly connected component with a loop, as one cycle through it. */
function cycles(chains: ReadonlyMap<string, ChainIr>, edges: ReadonlyMap<string, Edge[]>): string[][] {
  // Tarjan's algorithm with an explicit stack of frames: a path of jumps through thousands
  // of site files must not be a recursion as deep.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const strong = (root: string) => {
    const frames: { v: string; out: Edge[]; i: number }[] = [];
    const enter = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      frames.push({ v, out: edges.get(v) ?? [], i: 0 });
    };
    enter(root);
    while (frames.length) {
      const f = frames[frames.length - 1];
      if (f.i < f.out.length) {
        const to = f.out[f.i++].to;
        if (!idx.has(to)) enter(to);
        else if (onStack.has(to)) low.set(f.v, Math.min(low.get(f.v)!, idx.get(to)!));
        continue;
      }
      frames.pop();
      const v = f.v;
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        components.push(comp);
      }
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(v)!));
    }
  };
  for (const name of [...chains.keys()].sort()) if (!idx.has(name)) strong(name);

  const result: string[][] = [];
  for (const comp of components) {
    const members = new Set(comp);
    const first = [...comp].sort()[0];
    const self = edges.get(first)?.some((e) => e.to === first);
    if (comp.length === 1 && !self) continue;
    if (self) {
      result.push([first]);
      continue;
    }
    // The shortest way from `first` back to itself inside the component.
    const prev = new Map<string, string>();
    const queue = [first];
    let found = false;
    while (queue.length && !found) {
      const v = queue.shift()!;
      for (const e of [...(edges.get(v) ?? [])].sort((a, b) => (a.to < b.to ? -1 : 1))) {
        if (!members.has(e.to)) continue;
        if (e.to === first) {
          prev.set(first, v);
          found = true;
          break;
        }
        if (!prev.has(e.to)) {
          prev.set(e.to, v);
          queue.push(e.to);
        }
      }
    }
    const cycle = [first];
    for (let v = prev.get(first)!; v !== first; v = prev.get(v)!) cycle.splice(1, 0, v);
    result.push(cycle);
  }
  return result;
}

/** Where the chain's name is written: after `chain` at the declaration. */
function chainNameAt(
  ir: ChainIr,
  sources: ReadonlyMap<string, SourceText> | undefined,
): { at: string; length: number } {
  const source = sources?.get(ir.file);
  const length = [...ir.name].length;
  if (source) {
    const [line, column] = ir.at.split(':').map(Number);
    const after = [...(source.line(line) ?? '')].slice(column - 1 + 'chain'.length).join('');
    const k = after.indexOf(ir.name);
    if (k >= 0) return { at: `${line}:${column + 'chain'.length + [...after.slice(0, k)].length}`, length };
  }
  return { at: ir.at, length: 'chain'.length };
}

function at(
  ir: ChainIr,
  where: string,
  length: number,
  sources: ReadonlyMap<string, SourceText> | undefined,
  severity: Diagnostic['severity'],
  code: 'MM501' | 'MM503',
  message: string,
  hint: string,
): Diagnostic {
  const [line, column] = where.split(':').map(Number);
  const source = sources?.get(ir.file);
  if (source) {
    const offset = offsetOf(source.text, line, column);
    const end = offset + Math.max(1, lengthInUnits(source.text, offset, length));
    return diagnostic(source, { start: offset, end }, severity, code, message, hint);
  }
  return {
    file: ir.file,
    line,
    column,
    endLine: line,
    endColumn: column + Math.max(1, length),
    severity,
    code,
    message,
    hint,
  };
}

/** The UTF-16 offset of a 1-based line and code-point column. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  for (let c = 1; c < column && offset < text.length; c++) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}

function lengthInUnits(text: string, offset: number, codePoints: number): number {
  let o = offset;
  for (let c = 0; c < codePoints && o < text.length; c++) o += text.codePointAt(o)! > 0xffff ? 2 : 1;
  return o - offset;
}
