// The compiler's front door: source text and file name in, IR and diagnostics out.
//   lex + parse (lex-parse.ts) -> AST (build-ast.ts) -> names (resolve.ts) -> IR (lower.ts)
// Every stage runs even after errors, so one pass reports as much as it can; a syntax error
// mutes the semantic checks of its own definition, link or step only. Any error means no IR.
import { buildAst } from './build-ast.js';
import { checkShape } from './shape.js';
import { parseAstFast } from './fast-parse.js';
import { Codes, DiagnosticSink, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { MAX_SOURCE_CHARS } from '../../grammar/limits.js';
import type { FileAst } from './ast.js';
import type { DslIr } from './ir.js';
import type { BaseLookup } from './derive.js';
import { lex, lexAndParse } from './lex-parse.js';
import { lower } from './lower.js';
import { resolve, type Registries, type Resolution } from './resolve.js';
import { SourceText } from './source.js';
import { isRulesFile } from './shape.js';
import { emptyScope, gatherUses, type RulesFiles, type SharedScope, type UseContext, type UsedResult } from './uses.js';

export interface CompileOptions {
  /** Every chain name known (the catalog's); undefined: jump and detour targets are not checked. */
  chainNames?: ReadonlySet<string>;
  /** Every pipeline name known, so a jump to one is reported as the wrong kind (MM309). */
  pipelineNames?: ReadonlySet<string>;
  /** Where rules, effects, handlers and link sources are looked up. */
  registry: Registries;
  /**
   * The base of a derived pipeline (`from NAME`), as the catalog has it in force; undefined:
   * the base is not checked and a derived pipeline lowers to its own steps only (never run).
   */
  pipelineBase?: (name: string) => BaseLookup;
  /** The .rules files `use` may name; undefined: none (every `use` is MM315). */
  rulesFiles?: RulesFiles;
  /** Inside the compile of a file that uses this one: the uses under way (uses.ts). */
  useContext?: UseContext;
}

export interface CompileResult {
  /** Present only when there is no error. */
  ir?: DslIr;
  /**
   * The IR as lowered even with errors (placeholders where something failed), for the graph
   * checks of a whole catalog (graph.ts); absent when the declaration holds a syntax error.
   * Never run it.
   */
  lowered?: DslIr;
  /** Sorted by position. Warnings and notes do not prevent the IR. */
  diagnostics: Diagnostic[];
  /** The tree, even with errors (for tools: explain, fmt, a language server). */
  ast: FileAst;
  source: SourceText;
  /** Every .rules file read for `use`, path to text: the result holds while they do. */
  uses?: ReadonlyMap<string, string>;
  /** Of a .rules file: its definitions and those it uses, for the files that use it. */
  exports?: SharedScope;
  /** What the file's `use` declarations brought in (for tools: definition, completion). */
  shared?: SharedScope;
}

/**
 * Text to AST. Well-formed text takes the fast path (fast-parse.ts: no CST); anything with a
 * lexical or syntax problem goes through the recovering parser, which reports it.
 */
function parse(source: SourceText, sink: DiagnosticSink): { ast: FileAst; syntaxErrorOffsets: number[] } {
  const lexSink = new DiagnosticSink(source);
  const lexed = lex(source, lexSink);
  if (lexSink.items.length === 0) {
    const fastSink = new DiagnosticSink(source);
    const ast = parseAstFast(lexed.tokens, source.file, fastSink);
    if (ast) {
      for (const d of fastSink.items) sink.items.push(d);
      checkShape(ast, sink, false);
      return { ast, syntaxErrorOffsets: [] };
    }
  }
  const parsed = lexAndParse(source, 'file', { ...lexed, diagnostics: lexSink.items });
  for (const d of parsed.diagnostics) sink.items.push(d); // not push(...): a broken file may have very many
  const ast = buildAst(parsed.cst, source.file, sink, parsed.syntaxErrorOffsets.length > 0);
  return { ast, syntaxErrorOffsets: parsed.syntaxErrorOffsets };
}

/**
 * The lexical and syntax problems of a file (MM1xx, MM201, MM204, MM205), without the checks
 * that need a registry: what `mailman fmt` reports for a file it will not touch.
 */
export function syntaxDiagnostics(text: string, file: string): Diagnostic[] {
  const source = new SourceText(file, text);
  if (text.length > MAX_SOURCE_CHARS) {
    const sink = new DiagnosticSink(source);
    sink.error(
      { start: 0, end: 1 },
      Codes.TooLarge,
      `the file is ${text.length} characters long; the limit is ${MAX_SOURCE_CHARS}`,
    );
    return sink.items;
  }
  return sortDiagnostics(lexAndParse(source).diagnostics.filter((d) => d.severity === 'error'));
}

/** The tree of a file nothing could be salvaged from. */
function emptyAst(file: string): FileAst {
  return { kind: 'File', file, uses: [], definitions: [], declarations: [], items: [], span: { start: 0, end: 0 } };
}

/**
 * Compiles one file. It never throws: whatever goes wrong inside a stage becomes an MM206 error
 * on this file, so one file can never take down a runner, `validate` of other files, or the
 * catalog (which keeps the file's last good version in force).
 */
export function compile(text: string, file: string, options: CompileOptions): CompileResult {
  const source = new SourceText(file, text);
  const sink = new DiagnosticSink(source);
  if (text.length > MAX_SOURCE_CHARS) {
    // Not even lexed: a file this size is a mistake, and lexing it would stall the caller.
    sink.error(
      { start: 0, end: 1 },
      Codes.TooLarge,
      `the file is ${text.length} characters long; the limit is ${MAX_SOURCE_CHARS}`,
      'split it into several chains joined by jump or detour',
    );
    return { diagnostics: sink.items, ast: emptyAst(file), source };
  }
  try {
    return compileChecked(source, sink, options);
  } catch (err) {
    const why = err instanceof RangeError ? 'the file is too complex to compile' : 'the compiler failed on this file';
    const fresh = new DiagnosticSink(source);
    fresh.error(
      { start: 0, end: 1 },
      Codes.CompilerFailure,
      `${why} (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`,
      'simplify the file; if it looks ordinary, please report it with the file attached',
    );
    return { diagnostics: fresh.items, ast: emptyAst(file), source };
  }
}

function compileChecked(source: SourceText, sink: DiagnosticSink, options: CompileOptions): CompileResult {
  const { registry, chainNames, pipelineNames, pipelineBase, rulesFiles } = options;
  const { ast, syntaxErrorOffsets } = parse(source, sink);
  const rulesFile = isRulesFile(source.file);
  const self = source.file.split(/[\\/]/).pop() ?? source.file;
  const context = options.useContext ?? { stack: rulesFile ? [self] : [], done: new Map(), read: new Map() };
  const shared = ast.uses.length ? gatherUses(ast, sink, rulesFiles, context, compileUsed(options)) : emptyScope();
  const definedIn = rulesFiles?.definedIn?.bind(rulesFiles);
  const env = { registry, chainNames, pipelineNames, shared, definedIn };
  const resolution = resolve(ast, env, sink, syntaxErrorOffsets);
  const ir = lower(ast, resolution, registry, source, sink, { pipelineBase, pipelineNames, chainNames });
  const diagnostics = sortDiagnostics(sink.items);
  // A derived pipeline compiled with no catalog lacks its base's steps: never one to run.
  const whole = !(ast.declarations[0]?.kind === 'Pipeline' && ast.declarations[0].base && !pipelineBase);
  const uses = options.useContext ? {} : { uses: context.read };
  const exports = rulesFile ? { exports: exportsOf(ast, source, shared, resolution) } : {};
  const out = ir && whole && !hasErrors(diagnostics) ? ir : undefined;
  const used = ast.uses.length ? { shared } : {};
  return { ir: out, lowered: ir, diagnostics, ast, source, ...uses, ...exports, ...used };
}

/** Compiles a used .rules file inside the compile of the file that uses it. */
function compileUsed(options: CompileOptions) {
  return (text: string, file: string, useContext: UseContext): UsedResult => {
    const r = compile(text, file, { ...options, useContext });
    const names = r.ast.definitions.map((d) => d.name.name);
    return { diagnostics: r.diagnostics, source: r.source, names, ...(r.exports ? { exports: r.exports } : {}) };
  };
}

/** What a .rules file passes on: what it uses, then its own definitions that resolved. */
function exportsOf(ast: FileAst, source: SourceText, shared: SharedScope, res: Resolution): SharedScope {
  const from = source.file.split(/[\\/]/).pop() ?? source.file;
  const own = ast.definitions.filter((d) => !res.muted.has(d)).map((def) => ({ def, from, source }));
  const paths = new Map(shared.paths);
  for (const [p, b] of res.paths) paths.set(p, b);
  return { defs: [...shared.defs, ...own], paths, broken: new Set() };
}

/** The definitions of a file as written, for finding where a name is defined; none if it does not parse. */
export function definitionsOf(text: string, file: string): { definitions: FileAst['definitions']; source: SourceText } {
  const source = new SourceText(file, text);
  if (text.length > MAX_SOURCE_CHARS) return { definitions: [], source };
  try {
    return { definitions: parse(source, new DiagnosticSink(source)).ast.definitions, source };
  } catch {
    return { definitions: [], source };
  }
}
