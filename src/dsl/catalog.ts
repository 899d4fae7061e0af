// Every chain and pipeline a process can use: the built-in files in the package's chains/
// and pipelines/, overridden by name by the site's files. A DslCatalog is one immutable
// snapshot: a runner takes one per message and runs the whole chain (every jump and detour)
// or pipeline against it, so a reload elsewhere never mixes two versions in one run.
//
// Names are global, so jump and detour targets are checked against the whole set of files
// found (whether or not those files compile). A file that does not compile does not take
// its name away (docs/language.md#last-good-versions): the last good version of that name stays in force (status
// "stale"), taken from the last-good store (a site file's previous good text) or, for a
// site file overriding a built-in, the built-in. A name with no good version is "broken":
// a list naming it has its messages shunted, and its diagnostics say why.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compile, type CompileResult } from './compile.js';
import { checkChainGraph } from './graph.js';
import { Codes, diagnostic, formatReport, type Diagnostic } from './diagnostics.js';
import { buildChain, buildPipeline, type ExecutableChain, type ExecutablePipeline } from './executable.js';
import type { DslIr } from './ir.js';
import type { BaseLookup } from './derive.js';
import type { Registries } from './resolve.js';
import { registryFingerprint } from '../registry.js';
import { catalogRules, usesUnchanged, type CatalogRules } from './catalog-rules.js';
import type { DirRulesFiles } from './rules-files.js';
import type { RulesFiles } from './uses.js';
import {
  CompileMemo,
  key,
  readText,
  scan,
  sha,
  type CatalogDirs,
  type CatalogEntry,
  type Compiled,
  type DslKind,
  type DslStatus,
  type Found,
  type LastGoodStore,
} from './catalog-parts.js';

// What callers of the catalog name, kept importable from here.
export {
  CompileMemo,
  type CatalogDirs,
  type CatalogEntry,
  type DslKind,
  type DslStatus,
  type LastGoodStore,
} from './catalog-parts.js';

export interface LoadOptions {
  /** What the files are compiled against; kept by the catalog (DslCatalog.registry). */
  registry: Registries;
  lastGood?: LastGoodStore;
  memo?: CompileMemo;
}

/** What the catalog knows of one name beyond its entry. */
interface Detail {
  entry: CatalogEntry;
  /** The file's text as found. */
  source: string;
  /** The text in force, when it is not the file's (stale). */
  inForceSource?: string;
  ir?: DslIr;
  diagnostics: Diagnostic[];
  /** The .rules files (`a.rules`) its text, or the one in force, read. */
  uses: string[];
}

export class DslCatalog {
  private constructor(
    /** The registry this catalog's files were compiled against. */
    readonly registry: Registries,
    private readonly chains: ReadonlyMap<string, ExecutableChain>,
    private readonly pipelines: ReadonlyMap<string, ExecutablePipeline>,
    private readonly details: ReadonlyMap<string, Detail>,
    private readonly sources: ReadonlyMap<string, string>,
    /** Every name found, compiled or not: what jump and detour targets are checked against. */
    readonly allChainNames: ReadonlySet<string>,
    readonly allPipelineNames: ReadonlySet<string>,
    /** The .rules files: as found, their good texts (what stale names use), each one's state. */
    readonly rules: CatalogRules,
  ) {}

  /** The .rules files as found: what a new text (REST PUT, validate) is compiled against. */
  get rulesFiles(): RulesFiles {
    return this.rules.current;
  }

  /** The .rules files a name's text (or the version in force) read, those they use included. */
  usesOf(kind: DslKind, name: string): readonly string[] {
    return this.details.get(key(kind, name))?.uses ?? [];
  }

  /** Reads and compiles every NAME.chain and NAME.pipeline against the registry given. */
  static async load(dirs: CatalogDirs, options: LoadOptions): Promise<DslCatalog> {
    return DslCatalog.loadSync(dirs, options);
  }

  /**
   * The same, synchronously: a runner checks for changed site files before each message
   * and must not let another message start on the old snapshot while this one builds.
   */
  static loadSync(dirs: CatalogDirs, options: LoadOptions): DslCatalog {
    const registry = options.registry;
    const memo = options.memo ?? new CompileMemo();
    const files = [
      ...scan(dirs.builtinChains, 'chain', 'builtin', undefined),
      ...scan(dirs.builtinPipelines, 'pipeline', 'builtin', undefined),
    ];
    const builtins = new Map(files.map((f) => [key(f.kind, f.name), f]));
    files.push(
      ...scan(dirs.siteChains, 'chain', 'site', builtins),
      ...scan(dirs.sitePipelines, 'pipeline', 'site', builtins),
    );

    // Site files win: keep the last file found under each name.
    const chosen = new Map<string, Found>();
    for (const f of files) chosen.set(key(f.kind, f.name), f);
    // A file deleted since the scan is left out; the caller's next check sees it gone.
    const texts = new Map<Found, string>();
    for (const f of chosen.values()) {
      const text = readText(f.file);
      if (text !== undefined) texts.set(f, text);
    }
    const entries = [...texts.keys()];
    const chainNames = new Set(entries.filter((f) => f.kind === 'chain').map((f) => f.name));
    const pipelineNames = new Set(entries.filter((f) => f.kind === 'pipeline').map((f) => f.name));
    // What a file compiles to depends on the names around it and on what is registered.
    const names = [...chainNames].sort().join(',') + '|' + [...pipelineNames].sort().join(',');
    const rules = catalogRules(dirs, registry, options.lastGood);
    const rulesNames = rules.current.names().join(',');
    const namesKey = sha(`${names}\0${rulesNames}\0${registryFingerprint(registry)}`);

    // A derived pipeline compiles against its base in force, so bases are settled first
    // (settle() recurses through `from`); `deriving` is the chain of pipelines under way.
    const settled = new Map<Found, Detail>();
    const deriving: Found[] = [];
    const baseLookup = (name: string): BaseLookup => {
      const b = chosen.get(key('pipeline', name));
      if (!b || !texts.has(b)) return undefined;
      const at = deriving.findIndex((d) => d.kind === 'pipeline' && d.name === name);
      if (at >= 0) return { cycle: [name, ...deriving.slice(at + 1).map((d) => d.name)] };
      const ir = settle(b).ir;
      return ir?.kind === 'pipeline' ? { ir } : { broken: true };
    };
    const baseKey = (name: string) => sha(JSON.stringify(baseLookup(name) ?? null));

    const compileText = (f: Found, text: string, rulesFiles: DirRulesFiles = rules.current): Compiled => {
      const make = (): Compiled => {
        const bases = new Map<string, string>();
        const pipelineBase = (name: string): BaseLookup => {
          const found = baseLookup(name);
          bases.set(name, sha(JSON.stringify(found ?? null)));
          return found;
        };
        const result = compile(text, f.file, { chainNames, pipelineNames, registry, pipelineBase, rulesFiles });
        const ir = result.ir;
        try {
          const executable =
            ir?.kind === 'chain'
              ? buildChain(ir, registry)
              : ir?.kind === 'pipeline'
                ? buildPipeline(ir, registry)
                : undefined;
          return { result, executable, bases };
        } catch (err) {
          // compile() never throws; building the closures might (a component gone since):
          // the file is then broken or stale like any file that does not compile.
          const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          const message = `the compiled ${f.kind} cannot be built (${why})`;
          const failure = diagnostic(result.source, { start: 0, end: 1 }, 'error', Codes.CompilerFailure, message);
          return { result: { ...result, ir: undefined, diagnostics: [...result.diagnostics, failure] }, bases };
        }
      };
      // A derived pipeline's result holds while each base it read is as it was.
      // So does any result while each .rules file it used is as it was.
      const fresh = (c: Compiled) =>
        usesUnchanged(c.result.uses, rulesFiles) && [...(c.bases ?? [])].every(([name, was]) => baseKey(name) === was);
      const set = rulesFiles === rules.current ? 'current' : 'good';
      deriving.push(f);
      try {
        return memo.get(`${f.kind}\0${f.file}\0${sha(text)}\0${namesKey}\0${set}`, make, fresh);
      } finally {
        deriving.pop();
      }
    };

    const chains = new Map<string, ExecutableChain>();
    const pipelines = new Map<string, ExecutablePipeline>();
    const details = new Map<string, Detail>();
    const sources = new Map<string, string>();
    const settle = (f: Found): Detail => {
      const done = settled.get(f);
      if (done) return done;
      const text = texts.get(f)!;
      sources.set(f.file, text);
      const current = compileText(f, text);
      const diagnostics = [...current.result.diagnostics];
      if (f.overrides) {
        const decl = current.result.ast.declarations[0];
        diagnostics.push(
          diagnostic(
            current.result.source,
            decl?.name.span ?? { start: 0, end: 0 },
            'note',
            Codes.SiteOverride,
            `site ${f.kind} '${f.name}' overrides the built-in one`,
            `the built-in is ${f.overrides}`,
          ),
        );
      }
      let inForce: Compiled | undefined = current.executable ? current : undefined;
      let inForceSource: string | undefined;
      let from: CatalogEntry['inForce'];
      // Another process may have stored a newer good text meanwhile: store ours only if
      // the file still holds it.
      const store = options.lastGood;
      if (inForce && f.origin === 'site' && store && store.get(f.kind, f.name) !== text && readText(f.file) === text) {
        store.put(f.kind, f.name, text);
      }
      if (!inForce && (f.origin === 'site' || rules.anyBroken)) {
        // The last good text of the site file, else the built-in it overrides; and when a
        // .rules file is broken, each against the last good .rules texts too.
        const previous = f.origin === 'site' ? options.lastGood?.get(f.kind, f.name) : undefined;
        const builtin: Found = { ...f, file: f.overrides ?? f.file, origin: 'builtin' };
        const original = f.overrides ? readFileSync(f.overrides, 'utf8') : undefined;
        const good = rules.anyBroken ? rules.good : undefined;
        const fallbacks: [string | undefined, 'last-good' | 'builtin', Found, DirRulesFiles | undefined][] = [
          [previous, 'last-good', f, undefined],
          [text, 'last-good', f, good],
          [previous, 'last-good', f, good],
          [original, 'builtin', builtin, undefined],
          [original, 'builtin', builtin, good],
        ];
        for (const [older, kindOf, as, against] of fallbacks) {
          if (older === undefined || (older === text && !against)) continue;
          if (against && !good) continue;
          const c = compileText(as, older, against);
          if (c.executable) {
            inForce = c;
            inForceSource = older;
            from = kindOf;
            break;
          }
        }
      }
      const exe = inForce?.executable;
      if (exe && f.kind === 'chain') chains.set(f.name, exe as ExecutableChain);
      if (exe && f.kind === 'pipeline') pipelines.set(f.name, exe as ExecutablePipeline);
      const ir = inForce?.result.ir;
      const status: DslStatus = current.executable ? 'ok' : inForce ? 'stale' : 'broken';
      const description = ir?.description;
      const entry: CatalogEntry = {
        name: f.name,
        kind: f.kind,
        file: f.file,
        origin: f.origin,
        ok: !!inForce,
        status,
        ...(description ? { description } : {}),
        ...(f.overrides ? { overrides: f.overrides } : {}),
        ...(from ? { inForce: from } : {}),
      };
      const stale = inForceSource !== undefined ? { inForceSource } : {};
      const read = [...(current.result.uses?.keys() ?? []), ...(inForce?.result.uses?.keys() ?? [])];
      const used = [...new Set(read.map((u) => basename(u)))];
      const detail: Detail = { entry, source: text, ...stale, ...(ir ? { ir } : {}), diagnostics, uses: used };
      details.set(key(f.kind, f.name), detail);
      settled.set(f, detail);
      return detail;
    };
    for (const f of entries) settle(f);
    // A site file that is gone takes its last good text with it: a new file of that name
    // starts afresh.
    if (options.lastGood) {
      for (const kind of ['chain', 'pipeline'] as const) {
        const dir = kind === 'chain' ? dirs.siteChains : dirs.sitePipelines;
        for (const name of options.lastGood.names(kind)) {
          // Checked again on disk: a file created since this build's scan keeps its text.
          const onDisk = !!dir && readText(join(dir, `${name}.${kind}`)) !== undefined;
          if (chosen.get(key(kind, name))?.origin !== 'site' && !onDisk) options.lastGood.drop(kind, name);
        }
      }
    }
    // Loops through several files are invisible file by file: report them on each file of
    // the loop (status and REST show them; the executor's loop guard still shunts).
    const irs = new Map([...chains].map(([n, c]) => [n, c.ir]));
    let graph: Diagnostic[] = [];
    try {
      graph = checkChainGraph(irs);
    } catch {
      // The loops are only reported here; the executor's loop guard still stops them.
    }
    for (const d of graph) {
      if (d.code !== 'MM501') continue;
      for (const detail of details.values()) {
        if (detail.ir?.kind === 'chain' && detail.ir.file === d.file) detail.diagnostics.push(d);
      }
    }
    memo.sweep();
    return new DslCatalog(registry, chains, pipelines, details, sources, chainNames, pipelineNames, rules);
  }

  /** The chain in force, or undefined if there is none of that name or it never compiled. */
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

  /** Names of the chains in force, sorted. */
  chainNames(): string[] {
    return [...this.chains.keys()].sort();
  }

  pipelineNames(): string[] {
    return [...this.pipelines.keys()].sort();
  }

  /** Every name found, compiled or not, sorted by kind then name. */
  entries(): CatalogEntry[] {
    return [...this.details.values()].map((d) => d.entry).sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1));
  }

  entry(kind: DslKind, name: string): CatalogEntry | undefined {
    return this.details.get(key(kind, name))?.entry;
  }

  /** The file's text as found (for a stale name, the text that does not compile). */
  source(kind: DslKind, name: string): string | undefined {
    return this.details.get(key(kind, name))?.source;
  }

  /** For a stale name: the older text in force. */
  inForceSource(kind: DslKind, name: string): string | undefined {
    return this.details.get(key(kind, name))?.inForceSource;
  }

  /** The IR of the version in force. */
  ir(kind: DslKind, name: string): DslIr | undefined {
    return this.details.get(key(kind, name))?.ir;
  }

  /**
   * The bases in force, for compiling a new text of pipeline `self` against this catalog (REST
   * PUT and validate): a base that derives, through `from`, from `self` is a loop.
   */
  pipelineBase(self: string): (name: string) => BaseLookup {
    return (name) => {
      if (!this.details.has(key('pipeline', name))) return undefined;
      const path: string[] = [];
      for (let n: string | undefined = name; n !== undefined && path.length <= this.details.size;) {
        path.push(n);
        if (n === self) return { cycle: path };
        const ir = this.ir('pipeline', n);
        n = ir?.kind === 'pipeline' ? ir.from : undefined;
      }
      const ir = this.ir('pipeline', name);
      return ir?.kind === 'pipeline' ? { ir } : { broken: true };
    };
  }

  /** The diagnostics of the file as found. */
  diagnosticsOf(kind: DslKind, name: string): Diagnostic[] {
    return this.details.get(key(kind, name))?.diagnostics ?? [];
  }

  /** Every diagnostic of every file (errors, warnings and notes). */
  diagnostics(): Diagnostic[] {
    return [...this.details.values()].flatMap((d) => d.diagnostics);
  }

  /** Diagnostics by file; files without any are absent. */
  diagnosticsByFile(): ReadonlyMap<string, Diagnostic[]> {
    const withProblems = [...this.details.values()].filter((d) => d.diagnostics.length);
    return new Map(withProblems.map((d) => [d.entry.file, d.diagnostics]));
  }

  /** The text of a file the catalog read, for formatting diagnostics. */
  sourceOfFile(file: string): string | undefined {
    return this.sources.get(file);
  }

  /** All diagnostics in the text format of docs/language.md#diagnostics, with the summary line. */
  report(): string {
    return formatReport(this.diagnostics(), this.sources);
  }
}
