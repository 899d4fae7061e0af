// Every chain and pipeline a process can use, compiled once at start-up: the built-in files
// in the package's chains/ and pipelines/, overridden by name by the site's files. Names
// are global, so jump and detour targets are checked against the whole set of files found
// (whether or not those files compile). A file that does not compile is absent: a list
// naming it has its messages shunted, and its diagnostics say why.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile } from './compile.js';
import { Codes, diagnostic, formatReport, type Diagnostic } from './diagnostics.js';
import { buildChain, buildPipeline, type ExecutableChain, type ExecutablePipeline } from './executable.js';
import type { Registries } from './resolve.js';
import { registry as globalRegistry } from '../registry.js';

export interface CatalogDirs {
  builtinChains: string;
  builtinPipelines: string;
  /** Searched first; a missing directory is fine. */
  siteChains?: string;
  sitePipelines?: string;
}

export type DslKind = 'chain' | 'pipeline';

/** One file of the catalog, compiled or not (for `GET /3.1/chains`). */
export interface CatalogEntry {
  name: string;
  kind: DslKind;
  file: string;
  origin: 'builtin' | 'site';
  ok: boolean;
  description?: string;
  /** The built-in file this site file replaces. */
  overrides?: string;
}

interface Found {
  name: string;
  kind: DslKind;
  file: string;
  origin: 'builtin' | 'site';
  overrides?: string;
}

export class DslCatalog {
  private constructor(
    private readonly chains: ReadonlyMap<string, ExecutableChain>,
    private readonly pipelines: ReadonlyMap<string, ExecutablePipeline>,
    private readonly found: readonly CatalogEntry[],
    private readonly byFile: ReadonlyMap<string, Diagnostic[]>,
    private readonly sources: ReadonlyMap<string, string>,
  ) {}

  /** Reads and compiles every NAME.chain and NAME.pipeline; call after loadBuiltins(). */
  static async load(dirs: CatalogDirs, options: { registry?: Registries } = {}): Promise<DslCatalog> {
    const registry = options.registry ?? globalRegistry;
    const files = [
      ...(await scan(dirs.builtinChains, 'chain', 'builtin', undefined)),
      ...(await scan(dirs.builtinPipelines, 'pipeline', 'builtin', undefined)),
    ];
    const byName = (kind: DslKind) => new Map(files.filter((f) => f.kind === kind).map((f) => [f.name, f]));
    const builtinChains = byName('chain');
    const builtinPipelines = byName('pipeline');
    files.push(...(await scan(dirs.siteChains, 'chain', 'site', builtinChains)), ...(await scan(dirs.sitePipelines, 'pipeline', 'site', builtinPipelines)));

    // Site files win: keep the last file found under each name.
    const chosen = new Map<string, Found>();
    for (const f of files) chosen.set(`${f.kind}:${f.name}`, f);
    const entries = [...chosen.values()];
    const chainNames = new Set(entries.filter((f) => f.kind === 'chain').map((f) => f.name));
    const pipelineNames = new Set(entries.filter((f) => f.kind === 'pipeline').map((f) => f.name));

    const chains = new Map<string, ExecutableChain>();
    const pipelines = new Map<string, ExecutablePipeline>();
    const byFile = new Map<string, Diagnostic[]>();
    const sources = new Map<string, string>();
    const catalogEntries: CatalogEntry[] = [];
    for (const f of entries) {
      const text = await readFile(f.file, 'utf8');
      sources.set(f.file, text);
      const result = compile(text, f.file, { chainNames, pipelineNames, registry });
      const diagnostics = [...result.diagnostics];
      if (f.overrides) {
        const decl = result.ast.declarations[0];
        diagnostics.push(diagnostic(result.source, decl?.name.span ?? { start: 0, end: 0 }, 'note', Codes.SiteOverride, `site ${f.kind} '${f.name}' overrides the built-in one`, `the built-in is ${f.overrides}`));
      }
      if (diagnostics.length) byFile.set(f.file, diagnostics);
      const ir = result.ir;
      if (ir?.kind === 'chain') chains.set(f.name, buildChain(ir, registry));
      else if (ir?.kind === 'pipeline') pipelines.set(f.name, buildPipeline(ir, registry));
      catalogEntries.push({ name: f.name, kind: f.kind, file: f.file, origin: f.origin, ok: !!ir, ...(ir?.description ? { description: ir.description } : {}), ...(f.overrides ? { overrides: f.overrides } : {}) });
    }
    catalogEntries.sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1));
    return new DslCatalog(chains, pipelines, catalogEntries, byFile, sources);
  }

  /** The compiled chain, or undefined if there is none of that name or it does not compile. */
  chain(name: string): ExecutableChain | undefined {
    return this.chains.get(name);
  }

  pipeline(name: string): ExecutablePipeline | undefined {
    return this.pipelines.get(name);
  }

  hasChain(name: string): boolean {
    return this.chains.has(name);
  }

  hasPipeline(name: string): boolean {
    return this.pipelines.has(name);
  }

  /** Names of the chains that compiled, sorted. */
  chainNames(): string[] {
    return [...this.chains.keys()].sort();
  }

  pipelineNames(): string[] {
    return [...this.pipelines.keys()].sort();
  }

  /** Every file found, compiled or not. */
  entries(): CatalogEntry[] {
    return [...this.found];
  }

  /** Every diagnostic of every file (errors, warnings and notes). */
  diagnostics(): Diagnostic[] {
    return [...this.byFile.values()].flat();
  }

  /** Diagnostics by file; files without any are absent. */
  diagnosticsByFile(): ReadonlyMap<string, Diagnostic[]> {
    return this.byFile;
  }

  /** All diagnostics in the dsl.md §9 text format, with the summary line. */
  report(): string {
    return formatReport(this.diagnostics(), this.sources);
  }
}

async function scan(dir: string | undefined, kind: DslKind, origin: 'builtin' | 'site', builtins: Map<string, Found> | undefined): Promise<Found[]> {
  if (!dir) return [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const suffix = `.${kind}`;
  return names
    .filter((n) => n.endsWith(suffix) && n.length > suffix.length)
    .sort()
    .map((n) => {
      const name = n.slice(0, -suffix.length);
      const over = builtins?.get(name);
      return { name, kind, file: join(dir, n), origin, ...(over ? { overrides: over.file } : {}) };
    });
}
