// Property (issue 9 acceptance): deeply nested, very long and pathological sources fed to
// what `validate`, `fmt`, `graph` and `explain` run: compile (in a workspace with the
// built-in files), the formatter, the graph model and its DOT, and a dry run of the chain as
// explain does it. Every call returns within 2 s (a hang guard, not a performance figure),
// with diagnostics where the source is refused, and never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildExecutable,
  checkWorkspace,
  compile,
  dslFilesIn,
  format,
  graphSize,
  GraphTooLarge,
  MAX_SVG_EDGES,
  MAX_SVG_NODES,
  renderGraph,
  toDot,
} from '../../src/dsl/index.js';
import { chainEdges, checkChainGraph } from '../../src/dsl/graph.js';
import { runChain } from '../../src/moderation/chain-executor.js';
import { MAX_NESTING } from '../../grammar/limits.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR, makeCtx } from './support.js';

const HANG_MS = 2000;
const BUILTINS = [...dslFilesIn(CHAINS_DIR, 'builtin'), ...dslFilesIn(PIPELINES_DIR, 'builtin')];
const NAMES = {
  chainNames: new Set(['accept', 'hold', 'reject', 'discard', 'moderation', 'x']),
  pipelineNames: new Set<string>(),
  registry,
};

async function timed<T>(what: string, text: string, f: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  const out = await f();
  const took = Date.now() - started;
  assert.ok(took < HANG_MS, `${what} took ${took} ms on ${JSON.stringify(text.slice(0, 120))}…`);
  return out;
}

/** Everything the four commands do with one source. */
async function exercise(text: string, dir: string): Promise<void> {
  // validate: the file among the built-ins, as `mailman validate FILE` checks it.
  const file = join(dir, 'x.chain');
  writeFileSync(file, text);
  const given = { file, path: file, origin: 'given' } as const;
  const ws = await timed('validate', text, () => checkWorkspace([...BUILTINS, given], { registry }));
  const mine = ws.files.find((f) => f.path === file)!;
  const errors = mine.result.diagnostics.filter((d) => d.severity === 'error');
  assert.ok(mine.result.ir !== undefined || errors.length > 0, 'neither IR nor error');
  for (const d of mine.result.diagnostics) assert.match(d.code, /^MM[1-5]\d\d$/);

  // fmt: formatted, or left as it is with a reason; never half.
  const formatted = await timed('fmt', text, () => format(text));
  if (formatted.skipped) assert.equal(formatted.text, text);

  // graph: the model and its DOT, of whatever was lowered; SVG only below the cap.
  const result = await timed('compile', text, () => compile(text, 'x.chain', NAMES));
  const ir = result.lowered;
  if (ir) {
    const dot = await timed('graph', text, () => {
      if (ir.kind === 'chain') {
        chainEdges(ir);
        checkChainGraph(new Map([[ir.name, ir]]));
      }
      return toDot(ir);
    });
    assert.match(dot, /^digraph /);
    await timed('graph --format svg', text, async () => {
      // The renderer's own count decides; what it would lay out is timed elsewhere.
      const size = graphSize(dot);
      if (size.nodes <= MAX_SVG_NODES && size.edges <= MAX_SVG_EDGES) return;
      await assert.rejects(renderGraph(dot, 'svg'), GraphTooLarge);
    });
  }

  // explain: a dry run of the compiled chain on a message.
  if (result.ir?.kind === 'chain') {
    const exe = buildExecutable(result.ir, registry);
    const catalog = { chain: (name: string) => (name === 'x' ? exe : undefined) };
    await timed('explain', text, async () => {
      try {
        await runChain(catalog as never, 'x', makeCtx({ dryRun: true }));
      } catch (err) {
        // A jump to a chain this test does not load is the only way out allowed.
        assert.match((err as Error).message, /does not exist or does not compile/);
      }
    });
  }
}

const wrap = (cond: string) => `chain x {\n    if ${cond} then hold\n    accept\n}\n`;
const depth = fc.integer({ min: 1, max: 3000 });
const atom = fc.constantFrom(
  'true',
  'loop',
  'sender is "a@example.com"',
  'header "X" exists',
  'size > 1MB',
  'sender.domain in ["a.example"]',
);

const nested = fc.oneof(
  fc.tuple(depth, atom).map(([n, a]) => wrap(`${'('.repeat(n)}${a}${')'.repeat(n)}`)),
  fc.tuple(depth, atom).map(([n, a]) => wrap(`${'not '.repeat(n)}${a}`)),
  fc.tuple(depth, atom).map(([n, a]) => wrap(`${'not ('.repeat(n)}${a}${')'.repeat(n)}`)),
  depth.map((n) => wrap(`sender in ${'['.repeat(n)}"a"${']'.repeat(n)}`)),
  depth.map(
    (n) => `chain x {\n${'for c in site.antispam.header_checks {\n'.repeat(n)}defer\n${'}\n'.repeat(n)}accept\n}\n`,
  ),
  fc.tuple(depth, fc.constantFrom('(', '[', '{', 'not ', 'not (')).map(([n, open]) => wrap(open.repeat(n))),
  fc
    .integer({ min: 1, max: 500 })
    .map(
      (n) =>
        `${Array.from({ length: n }, (_, i) => (i ? `rule r${i} = not r${i - 1} or loop` : 'rule r0 = loop')).join('\n')}\n${wrap(`r${n - 1}`)}`,
    ),
  fc
    .integer({ min: 1, max: 3000 })
    .map(
      (n) =>
        `${Array.from({ length: n }, (_, i) => (i ? `let l${i} = [l${i - 1}]` : 'let l0 = "a"')).join('\n')}\n${wrap(`sender in l${n - 1}`)}`,
    ),
);

const long = fc.oneof(
  fc.integer({ min: 1, max: 10_000 }).map((n) => wrap(Array(n).fill('header "X" exists').join(' or '))),
  fc.integer({ min: 1, max: 10_000 }).map((n) => wrap(Array(n).fill('loop').join(' and not '))),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `chain x {\n${'    if loop then defer\n'.repeat(n)}    accept\n}\n`),
  fc.integer({ min: 1, max: 30_000 }).map((n) => `chain x {\n    reject "${'a{sender}'.repeat(n)}"\n}\n`),
  fc
    .integer({ min: 1, max: 30_000 })
    .map((n) => wrap(`header "Subject" matches /${'(a|a)*'.repeat(Math.ceil(n / 6))}/`)),
  fc.integer({ min: 1, max: 10_000 }).map((n) => wrap(`sender in [${Array(n).fill('"a@example.com"').join(', ')}]`)),
  fc
    .integer({ min: 1, max: 2000 })
    .map(
      (n) =>
        `chain x {\n${Array.from({ length: n }, (_, i) => `    if loop then jump to msgdata.member_moderation_action otherwise msgdata.dmarc_action # ${i}`).join('\n')}\n    accept\n}\n`,
    ),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `chain x {\n    accept # ${'🙂'.repeat(n)}\n}\n`),
);

const WORDS = [
  'chain',
  'x',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  'not',
  'if',
  'then',
  'and',
  'or',
  'accept',
  'hold',
  'for',
  'c',
  'in',
  '"s"',
  '/r/',
  ',',
  '.',
  'loop',
  'let',
  'rule',
  '=',
  '\n',
];
const soup = fc.array(fc.constantFrom(...WORDS), { minLength: 100, maxLength: 5000 }).map((ts) => ts.join(' '));

// Shapes once found by a random run, kept so that every run tries them.
const FOUND: Record<string, string[]> = {
  'deeply nested sources': ['chain x {\nfor c in site.antispam.header_checks {\ndefer\n}\naccept\n}\n'],
  'very long sources': [
    `chain x {\n${'    if loop then jump to msgdata.member_moderation_action otherwise msgdata.dmarc_action\n'.repeat(28)}    accept\n}\n`,
  ],
};

for (const [name, arb, runs] of [
  ['deeply nested sources', nested, 40],
  ['very long sources', long, 25],
  ['long token soups', soup, 25],
] as const) {
  test(`${name}: validate, fmt, graph and explain each end within 2 s, with diagnostics, never an exception`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
    try {
      const examples = (FOUND[name] ?? []).map((text) => [text] as [string]);
      await fc.assert(
        fc.asyncProperty(arb as fc.Arbitrary<string>, (text) => exercise(text, dir)),
        { numRuns: runs, examples },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the deepest source allowed still goes through every stage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  try {
    await exercise(wrap(`${'('.repeat(MAX_NESTING - 1)}loop${')'.repeat(MAX_NESTING - 1)}`), dir);
    const atLimit = compile(wrap(`${'not '.repeat(MAX_NESTING - 2)}loop`), 'x.chain', NAMES);
    assert.ok(atLimit.ir, JSON.stringify(atLimit.diagnostics));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
