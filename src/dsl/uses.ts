// Shared definitions: `use "site.rules"` brings the `rule` and `let` definitions of a NAME.rules
// file into scope (docs/language.md#shared-definitions). A used file is compiled on its own
// (its problems are reported on it), and what it passes on is its own definitions and those
// it uses in turn. This module follows the uses of one file: it looks each name up, bounds
// depth and count (hostile input), finds loops, and merges what the used files define,
// refusing a name defined twice.
import type * as A from './ast.js';
import { Codes, hasErrors, type Diagnostic, type DiagnosticSink } from './diagnostics.js';
import { didYouMean } from './suggest.js';
import type { SourceText } from './source.js';
import type { Binding } from './resolve.js';

/** How deep `use` may nest (a file, a file it uses, …) and how many files one compile reads. */
export const MAX_USE_DEPTH = 16;
export const MAX_USE_FILES = 64;

/** The .rules files `use` may name: the site's chain directory, then the built-in ones. */
export interface RulesFiles {
  /** The text of NAME.rules (name with its suffix), or undefined when there is none. */
  read(name: string): { file: string; text: string } | undefined;
  /** Every name known, for suggestions. */
  names(): string[];
  /** Where some known .rules file defines a name (for the hint of an unknown name). */
  definedIn?(name: string): { from: string; at: string } | undefined;
}

/** One definition brought in by `use`, with the file it is written in. */
export interface SharedDef {
  def: A.Definition;
  /** The .rules name it came from (`site.rules`). */
  from: string;
  source: SourceText;
}

/** What a file's uses bring in. */
export interface SharedScope {
  defs: SharedDef[];
  /** What each path inside the shared definitions denotes (resolved in their own file). */
  paths: Map<A.Path, Binding>;
  /** Names a used file that does not compile defines: their uses are not reported again. */
  broken: Set<string>;
}

/** What compiling one .rules file gives a file that uses it. */
export interface UsedResult {
  diagnostics: Diagnostic[];
  /** Its own definitions and those it uses, when it compiles. */
  exports?: SharedScope;
  /** The names it defines itself, compiling or not. */
  names: string[];
  source: SourceText;
}

/** The state of one compile across the files it uses: the path of uses under way, and results. */
export interface UseContext {
  /** The .rules names being compiled, outermost first (a loop comes back to one). */
  stack: string[];
  done: Map<string, UsedResult>;
  /** Every .rules file read, with its text: what the compile result depends on. */
  read: Map<string, string>;
}

export function emptyScope(): SharedScope {
  return { defs: [], paths: new Map(), broken: new Set() };
}

const RULES_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.rules$/;

/** `file:line:col` of a shared definition's name. */
export function whereDefined(s: SharedDef): string {
  return `${s.from}:${s.source.at(s.def.name.span.start)}`;
}

/** The first error of a used file, preferring its own to those of files it uses. */
function firstCause(result: UsedResult): Diagnostic | undefined {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  return errors.find((d) => d.code !== Codes.BrokenUse) ?? errors[0];
}

function describe(d: Diagnostic): string {
  const base = d.file.split(/[\\/]/).pop() ?? d.file;
  return `${base}:${d.line}:${d.column}: ${d.code} ${d.message}`;
}

/**
 * Follows the `use` declarations of a file. `compileUsed` compiles a .rules file's text with
 * the context given (it calls back in here for that file's own uses).
 */
export function gatherUses(
  ast: A.FileAst,
  sink: DiagnosticSink,
  rules: RulesFiles | undefined,
  context: UseContext,
  compileUsed: (text: string, file: string, context: UseContext) => UsedResult,
): SharedScope {
  const scope = emptyScope();
  const seen = new Map<string, SharedDef>();
  const taken = new Set<string>();
  for (const use of ast.uses) {
    const name = use.path.value;
    const span = use.path.span;
    if (!RULES_NAME.test(name)) {
      sink.error(
        span,
        Codes.UnknownUse,
        `'${name}' is not the name of a .rules file`,
        'name a file of the site\'s chain directory (or a built-in one) as "NAME.rules", without a directory',
      );
      continue;
    }
    if (taken.has(name)) continue; // used twice in one file: once is enough
    taken.add(name);
    const at = context.stack.indexOf(name);
    if (at >= 0) {
      const loop = [...context.stack.slice(at), name].join(' → ');
      sink.error(
        span,
        Codes.UseCycle,
        `'${name}' is used in a loop: ${loop}`,
        'a .rules file cannot use itself, directly or through others',
      );
      continue;
    }
    if (context.stack.length >= MAX_USE_DEPTH) {
      sink.error(
        span,
        Codes.UseLimit,
        `'use' nests ${context.stack.length + 1} files deep here; the limit is ${MAX_USE_DEPTH}`,
        'use the files you need directly from the chain instead of through each other',
      );
      continue;
    }
    let result = context.done.get(name);
    if (!result) {
      if (context.done.size >= MAX_USE_FILES) {
        sink.error(
          span,
          Codes.UseLimit,
          `more than ${MAX_USE_FILES} .rules files are used in all`,
          'gather the definitions into fewer .rules files',
        );
        continue;
      }
      const found = rules?.read(name);
      if (!found) {
        const known = rules?.names() ?? [];
        sink.error(
          span,
          Codes.UnknownUse,
          `no .rules file '${name}'`,
          didYouMean(name, known) ??
            (known.length ? `the .rules files are ${known.sort().join(', ')}` : "put it in the site's chain directory"),
        );
        continue;
      }
      context.stack.push(name);
      try {
        result = compileUsed(found.text, found.file, context);
      } finally {
        context.stack.pop();
      }
      context.done.set(name, result);
      context.read.set(found.file, found.text);
    }
    if (!result.exports || hasErrors(result.diagnostics)) {
      const cause = firstCause(result);
      // A file broken by one it uses says where: pass that on rather than "X does not compile".
      const hint =
        cause?.code === Codes.BrokenUse && cause.hint
          ? cause.hint
          : cause
            ? `the first error is ${describe(cause)}`
            : `run 'mailman validate' on ${name}`;
      sink.error(span, Codes.BrokenUse, `'${name}' does not compile`, hint);
      for (const n of result.names) scope.broken.add(n);
      continue;
    }
    for (const [p, b] of result.exports.paths) scope.paths.set(p, b);
    for (const s of result.exports.defs) {
      const before = seen.get(s.def.name.name);
      if (before === s) continue; // reached through two files: one definition
      if (before) {
        sink.error(
          span,
          Codes.SharedDuplicate,
          `'${s.def.name.name}' is defined twice: at ${whereDefined(before)} and at ${whereDefined(s)}`,
          'rename one of them, or use only one of the files',
        );
        continue;
      }
      seen.set(s.def.name.name, s);
      scope.defs.push(s);
    }
  }
  return scope;
}
