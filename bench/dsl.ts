// `node dist/bench/dsl.js [--lines=10000] [--runs=20]`: the compiler on a generated chain,
// warm, per stage (lex, parse to CST, AST, resolve, lower/check) and whole. Figures only.
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { tokenize } from '../grammar/tokens.js';
import { parseTokens, dslParser } from '../grammar/parser.js';
import { buildAst } from '../src/dsl/build-ast.js';
import { compile, SourceText } from '../src/dsl/index.js';
import { DiagnosticSink } from '../src/dsl/diagnostics.js';
import { lex, lexAndParse } from '../src/dsl/lex-parse.js';
import { parseAstFast } from '../src/dsl/fast-parse.js';
import { lower } from '../src/dsl/lower.js';
import { resolve } from '../src/dsl/resolve.js';
import { buildRegistry } from '../src/registry.js';
import { GENERATED_TARGETS, generateChain } from './gen-chain.js';

const registry = await buildRegistry();

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const LINES = Number(args.get('lines') ?? 10_000);
const RUNS = Number(args.get('runs') ?? 20);

const text = generateChain(LINES);
const chainNames = new Set([...GENERATED_TARGETS, 'big']);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** On a shared machine the fastest run is the one least disturbed by others. */
function fastest(xs: number[]): number {
  return Math.min(...xs);
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const check = compile(text, 'big.chain', { chainNames, registry });
const errors = check.diagnostics.filter((d) => d.severity === 'error');
if (errors.length) throw new Error(`the generated chain does not compile: ${JSON.stringify(errors.slice(0, 3))}`);

const stages: Record<string, number[]> = {
  lex: [],
  'parse to CST': [],
  'lex+parse (with checks)': [],
  'CST -> AST': [],
  'lex (with checks)': [],
  'parse to AST (fast path)': [],
  resolve: [],
  'lower+check': [],
  'compile (all)': [],
};
for (let r = 0; r < RUNS + 3; r++) {
  const warm = r >= 3;
  const source = new SourceText('big.chain', text);
  let tokens = tokenize(text).tokens;
  const tLex = time(() => (tokens = tokenize(text).tokens));
  const tParse = time(() => parseTokens(tokens));
  if (dslParser.errors.length) throw new Error('parse errors');
  let parsed = lexAndParse(source);
  const tLexParse = time(() => (parsed = lexAndParse(source)));
  const sink = new DiagnosticSink(source);
  let ast = buildAst(parsed.cst, 'big.chain', sink, false);
  const tAst = time(() => (ast = buildAst(parsed.cst, 'big.chain', sink, false)));
  let res = resolve(ast, { registry, chainNames }, sink, []);
  let lexed = lex(source, new DiagnosticSink(source));
  const tLexChecked = time(() => (lexed = lex(source, new DiagnosticSink(source))));
  const tFast = time(() => parseAstFast(lexed.tokens, 'big.chain', new DiagnosticSink(source)));
  const tResolve = time(() => (res = resolve(ast, { registry, chainNames }, sink, [])));
  const tLower = time(() => lower(ast, res, registry, source, sink));
  const tAll = time(() => compile(text, 'big.chain', { chainNames, registry }));
  if (!warm) continue;
  stages.lex.push(tLex);
  stages['parse to CST'].push(tParse);
  stages['lex+parse (with checks)'].push(tLexParse);
  stages['CST -> AST'].push(tAst);
  stages['lex (with checks)'].push(tLexChecked);
  stages['parse to AST (fast path)'].push(tFast);
  stages.resolve.push(tResolve);
  stages['lower+check'].push(tLower);
  stages['compile (all)'].push(tAll);
}
// The loop above interleaves every stage, so the garbage of the CST stages is collected during
// whole compiles; a server recompiling a chain does only whole compiles, measured here alone.
const alone: number[] = [];
for (let r = 0; r < RUNS + 3; r++) {
  const t = time(() => compile(text, 'big.chain', { chainNames, registry }));
  if (r >= 3) alone.push(t);
}
stages['compile (all), alone'] = alone;
console.log(`${text.split('\n').length - 1} lines, ${text.length} characters, ${RUNS} warm runs (wall clock):`);
console.log(`  ${'stage'.padEnd(24)} ${'fastest'.padStart(10)} ${'median'.padStart(10)}`);
for (const [stage, xs] of Object.entries(stages))
  console.log(`  ${stage.padEnd(24)} ${fastest(xs).toFixed(1).padStart(7)} ms ${median(xs).toFixed(1).padStart(7)} ms`);

// Cold: a fresh `mailman validate` process on the same file, as a list admin runs it
// (Node start-up, loading the compiler and the registry, the built-in files as context).
const coldDir = mkdtempSync(join(tmpdir(), 'mailman-bench-dsl-'));
try {
  const file = join(coldDir, 'big.chain');
  writeFileSync(file, text);
  const cli = join(PACKAGE_ROOT, 'bin', 'mailman.js');
  const wall = (argv: string[]): number => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, ...argv], { cwd: coldDir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mailman ${argv.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
    return performance.now() - t;
  };
  const cold = [0, 1, 2, 3, 4].map(() => wall(['validate', file]));
  const bare = [0, 1, 2].map(() => wall(['--version']));
  console.log(
    `  ${'cold mailman validate'.padEnd(24)} ${fastest(cold).toFixed(0).padStart(7)} ms ${median(cold).toFixed(0).padStart(7)} ms   (a bare 'mailman --version' process: ${fastest(bare).toFixed(0)} ms)`,
  );
} finally {
  rmSync(coldDir, { recursive: true, force: true });
}
