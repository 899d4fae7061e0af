// Checking a set of files together, as `mailman validate` and `mailman compile` do: names are
// global, so each file is compiled against the names of all the others (built-in, site, and
// the files named on the command line, later ones overriding earlier ones by name), and the
// graph checks (graph.ts) run over every chain at once.
import { readdirSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile, type CompileResult } from './compile.js';
import { Codes, diagnostic, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { checkChainGraph } from './graph.js';
import type { ChainIr } from './ir.js';
import type { BaseLookup } from './derive.js';
import type { Registries } from './resolve.js';
import { readSourceFile, type SourceText } from './source.js';
import { DirRulesFiles } from './rules-files.js';

export type FileOrigin = 'builtin' | 'site' | 'given';

export interface DslFile {
  /** The path as shown in diagnostics. */
  file: string;
  /** The path to read. */
  path: string;
  origin: FileOrigin;
}

export interface CheckedFile extends DslFile {
  /** Replaced by a later file of the same name and kind (a site or given file). */
  overridden: boolean;
  name: string;
  kind: 'chain' | 'pipeline' | undefined;
  text: string;
  result: CompileResult;
}

export interface WorkspaceResult {
  /** The files checked, in the order given. */
  files: CheckedFile[];
  /** Every diagnostic of every file (compile, graph, overrides, duplicates), sorted. */
  diagnostics: Diagnostic[];
  /** File (as shown) -> text, for formatReport. */
  sources: Map<string, string>;
}

/** What a file declares: its first declaration after comments and definitions. */
const DECLARED_KIND = /^\s*(?:#[^\n]*\n\s*)*(?:(?:let|rule)\b[\s\S]*?)?\b(chain|pipeline)\s/m;

/** NAME.chain, NAME.pipeline and NAME.rules files of a directory, sorted; none when it does not exist. */
export function dslFilesIn(
  dir: string | undefined,
  origin: FileOrigin,
  show: (path: string) => string = (p) => p,
): DslFile[] {
  if (!dir) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  return names
    .filter((n) => /^.+\.(chain|pipeline|rules)$/.test(n))
    .sort()
    .map((n) => ({ file: show(join(dir, n)), path: join(dir, n), origin }));
}

function nameOf(path: string): { name: string; kind: 'chain' | 'pipeline' | undefined } {
  const m = /^(.*)\.(chain|pipeline)$/.exec(basename(path));
  return m ? { name: m[1], kind: m[2] as 'chain' | 'pipeline' } : { name: basename(path), kind: undefined };
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Compiles `files` together. Later files override earlier ones of the same name and kind
 * (built-in, then site, then given); a site or given file overriding a built-in gets MM310;
 * two given files of one name get MM307.
 */
export function checkWorkspace(
  files: readonly DslFile[],
  options: {
    registry: Registries;
    /** Where else `use` looks (the directories of given files). */ rulesDirs?: string[];
  },
): WorkspaceResult {
  // A file named twice (a site file also given on the command line) is checked once, as given.
  const last = new Map<string, number>();
  files.forEach((f, i) => last.set(real(f.path), i));
  const unique = files.filter((f, i) => last.get(real(f.path)) === i);
  const read = unique.map((f) => ({ ...f, ...nameOf(f.path), text: readSourceFile(f.path) }));
  // Undeclared kinds (an odd extension) take the kind their text declares.
  for (const f of read) {
    if (!f.path.endsWith('.rules')) f.kind ??= DECLARED_KIND.exec(f.text)?.[1] as 'chain' | 'pipeline' | undefined;
  }
  // `use` finds the .rules files among these (later ones first, as for chains), then in rulesDirs.
  const rulesGiven = new Map(
    read.filter((f) => f.path.endsWith('.rules')).map((f) => [basename(f.path), { file: f.file, text: f.text }]),
  );
  const rulesFiles = new DirRulesFiles(options.rulesDirs ?? [], rulesGiven);
  const chosen = new Map<string, (typeof read)[number]>();
  const builtins = new Map<string, (typeof read)[number]>();
  for (const f of read) {
    const key = `${f.kind}:${f.name}`;
    if (f.origin === 'builtin' && !builtins.has(key)) builtins.set(key, f);
    chosen.set(key, f);
  }
  const chainNames = new Set([...chosen.values()].filter((f) => f.kind === 'chain').map((f) => f.name));
  const pipelineNames = new Set([...chosen.values()].filter((f) => f.kind === 'pipeline').map((f) => f.name));

  const checked: CheckedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const sourceTexts = new Map<string, SourceText>();
  const seenGiven = new Map<string, string>();
  // A derived pipeline is checked against its base as compiled here, so bases compile first
  // (through `from`); `deriving` holds the pipelines under way, to catch a loop.
  const results = new Map<(typeof read)[number], CompileResult>();
  const deriving: string[] = [];
  const compileFile = (f: (typeof read)[number]): CompileResult => {
    const done = results.get(f);
    if (done) return done;
    deriving.push(f.kind === 'pipeline' ? f.name : '');
    try {
      const registry = options.registry;
      const result = compile(f.text, f.file, { chainNames, pipelineNames, registry, pipelineBase, rulesFiles });
      results.set(f, result);
      return result;
    } finally {
      deriving.pop();
    }
  };
  const pipelineBase = (name: string): BaseLookup => {
    const b = chosen.get(`pipeline:${name}`);
    if (!b) return undefined;
    const at = deriving.indexOf(name);
    if (at >= 0) return { cycle: [name, ...deriving.slice(at + 1)] };
    const compiled = compileFile(b);
    if (compiled.ir?.kind === 'pipeline') return { ir: compiled.ir };
    // A base that fails because it leads back here: the loop is the news, on each file of it.
    const loop = [name];
    for (let n = compiled.lowered?.kind === 'pipeline' ? compiled.lowered.from : undefined; n !== undefined;) {
      loop.push(n);
      if (n === deriving[deriving.length - 1]) return { cycle: loop };
      if (loop.length > chosen.size) break;
      const next = chosen.get(`pipeline:${n}`);
      const lowered = next ? results.get(next)?.lowered : undefined;
      n = lowered?.kind === 'pipeline' ? lowered.from : undefined;
    }
    return { broken: true };
  };
  for (const f of read) {
    const result = compileFile(f);
    checked.push({ ...f, result, overridden: chosen.get(`${f.kind}:${f.name}`) !== f });
    sources.set(f.file, f.text);
    sourceTexts.set(f.file, result.source);
    for (const d of result.diagnostics) diagnostics.push(d); // not push(...): a broken file may have very many
    const decl = result.ast.declarations[0];
    const span = decl?.name.span ?? { start: 0, end: 1 };
    const key = `${f.kind}:${f.name}`;
    if (f.origin !== 'builtin') {
      const builtin = builtins.get(key);
      if (builtin && real(builtin.path) !== real(f.path)) {
        diagnostics.push(
          diagnostic(
            result.source,
            span,
            'note',
            Codes.SiteOverride,
            `this ${f.kind} replaces the built-in ${f.kind} '${f.name}'`,
            `the built-in is ${builtin.file}; lists naming '${f.name}' will use this file`,
          ),
        );
      }
    }
    if (f.origin !== 'builtin') {
      const first = seenGiven.get(key);
      if (first !== undefined && f.origin === 'given') {
        diagnostics.push(
          diagnostic(
            result.source,
            span,
            'error',
            Codes.Duplicate,
            `${f.kind} '${f.name}' is also in ${first}`,
            'names are global: give one of them another name (and file name)',
          ),
        );
      } else if (f.origin === 'given') seenGiven.set(key, f.file);
    }
  }

  // The graph: every chain in force, as lowered (even with errors elsewhere in its file).
  const chains = new Map<string, ChainIr>();
  for (const f of chosen.values()) {
    const ir = checked.find((c) => c.path === f.path)?.result.lowered;
    if (ir?.kind === 'chain') chains.set(ir.name, ir);
  }
  const shown = new Set(checked.map((c) => c.file));
  for (const d of checkChainGraph(chains, sourceTexts)) if (shown.has(d.file)) diagnostics.push(d);
  return { files: checked, diagnostics: sortDiagnostics(diagnostics), sources };
}
