// The chains and pipelines a process uses, kept live: the built-in files, overridden by the
// site's files of the same name under [dsl] chain_dir / pipeline_dir, reloaded when a site
// file is changed, added or deleted, without a restart.
//
// snapshot() is what a runner calls once per message. It first checks the site directories
// (one readdir and a stat per file, a few microseconds): fs.watch alone can report a change
// after the next message has started, and a REST PUT that has answered must be in force for
// the next message received. A change builds a new DslCatalog and swaps the reference;
// messages already running keep the snapshot they took. fs.watch only makes the reload (and
// its log lines and status file) happen without waiting for mail.
//
// Last good versions (docs/language.md#last-good-versions) live in var/cache/dsl/last-good/, shared by every process
// and kept across restarts: a site file that stops compiling leaves its previous text (or
// the built-in it overrides) in force, reported as stale.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../queue/atomic-file.js';
import type { Config } from '../config/config.js';
import { CompileMemo, DslCatalog, type CatalogDirs, type DslKind, type LastGoodStore } from './catalog.js';
import { formatDiagnostic, type Diagnostic } from './diagnostics.js';
import type { Registries } from './resolve.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../paths.js';
import { logger } from '../logging.js';

/** The status file the `in` runner keeps for `mailman status`. */
export const DSL_STATUS_FILE = 'dsl.json';

export interface DslStatusFile {
  pid: number;
  updated: string;
  names: {
    kind: DslKind;
    name: string;
    origin: string;
    file: string;
    status: string;
    in_force?: string;
    diagnostics: Diagnostic[];
  }[];
  /** The .rules files, each compiled on its own (absent from files written before they were). */
  rules?: { name: string; origin: string; file: string; status: 'ok' | 'error'; diagnostics: Diagnostic[] }[];
}

/** Last good texts as files: DIR/NAME.chain and DIR/NAME.pipeline. */
export class FileLastGoodStore implements LastGoodStore {
  constructor(readonly dir: string) {}

  private file(kind: DslKind | 'rules', name: string): string {
    return join(this.dir, `${name}.${kind}`);
  }

  get(kind: DslKind | 'rules', name: string): string | undefined {
    try {
      return readFileSync(this.file(kind, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  put(kind: DslKind | 'rules', name: string, text: string): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileAtomically(this.file(kind, name), text);
    } catch (err) {
      logger('error').error({ err, kind, name }, 'cannot keep the last good version of a site file');
    }
  }

  drop(kind: DslKind | 'rules', name: string): void {
    rmSync(this.file(kind, name), { force: true });
  }

  names(kind: DslKind | 'rules'): string[] {
    try {
      const suffix = `.${kind}`;
      return readdirSync(this.dir)
        .filter((n) => n.endsWith(suffix) && !n.startsWith('.'))
        .map((n) => n.slice(0, -suffix.length));
    } catch {
      return [];
    }
  }
}

export interface LiveCatalogOptions {
  dirs: CatalogDirs;
  /** Where last good texts are kept; none: only this process's memory. */
  lastGoodDir?: string;
  /** Written on every change of status (the in runner's var/run/dsl.json). */
  statusFile?: string;
  /** What the files are compiled against: the process's registry, built at its start. */
  registry: Registries;
  /** Log names that do not compile (default true); a one-off reader (the CLI) does not. */
  log?: boolean;
}

/** One line per diagnostic for logs and `mailman status`. */
function summary(kind: DslKind, name: string, status: string, inForce: string | undefined): string {
  const version = inForce === 'builtin' ? 'built-in' : 'last good';
  if (status === 'stale') return `${kind} '${name}' does not compile; the ${version} version stays in force`;
  return `${kind} '${name}' does not compile and has no good version; messages for it are shunted`;
}

export class LiveCatalog {
  private current: DslCatalog;
  private signature: string;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly memo = new CompileMemo();
  private readonly lastGood: LastGoodStore | undefined;
  /** Per name, what was last reported, so a reload logs only what changed. */
  private reported = new Map<string, string>();
  private statusText = '';

  /** What this catalog's files are compiled against (REST compiles uploads against it too). */
  get registry(): Registries {
    return this.options.registry;
  }

  constructor(readonly options: LiveCatalogOptions) {
    this.lastGood = options.lastGoodDir ? new FileLastGoodStore(options.lastGoodDir) : undefined;
    this.signature = this.siteSignature();
    this.current = this.build();
  }

  /** The site directory files of a kind are written to. */
  siteDir(kind: DslKind): string | undefined {
    return kind === 'chain' ? this.options.dirs.siteChains : this.options.dirs.sitePipelines;
  }

  /** The catalog as the site directories are now; take one per message. */
  snapshot(): DslCatalog {
    const sig = this.siteSignature();
    if (sig !== this.signature) {
      try {
        this.current = this.build();
        this.signature = sig;
      } catch (err) {
        // An unreadable directory or file: keep what is in force and try again next time.
        logger('error').error({ err }, 'cannot reload the site chains and pipelines; the previous ones stay in force');
      }
    }
    return this.current;
  }

  /** Rebuilds whatever the signature says (after this process wrote a file itself). */
  reload(): DslCatalog {
    this.signature = this.siteSignature();
    this.current = this.build();
    return this.current;
  }

  /** Reload soon after a change even when no message asks (logs and status stay current). */
  watch(): this {
    for (const dir of [this.options.dirs.siteChains, this.options.dirs.sitePipelines]) {
      if (!dir) continue;
      try {
        mkdirSync(dir, { recursive: true });
        const w = watch(dir, { persistent: false }, () => {
          clearTimeout(this.timer);
          this.timer = setTimeout(() => this.snapshot(), 30);
          this.timer.unref();
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch (err) {
        logger('error').warn({ err, dir }, 'cannot watch a site directory; changes are still seen before each message');
      }
    }
    return this;
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private build(): DslCatalog {
    const { dirs, registry } = this.options;
    const catalog = DslCatalog.loadSync(dirs, { registry, lastGood: this.lastGood, memo: this.memo });
    this.report(catalog);
    return catalog;
  }

  /** Logs each name whose status or diagnostics changed, and rewrites the status file. */
  private report(catalog: DslCatalog): void {
    const seen = new Map<string, string>();
    const names: DslStatusFile['names'] = [];
    for (const e of catalog.entries()) {
      const diagnostics = catalog.diagnosticsOf(e.kind, e.name);
      const k = `${e.kind}:${e.name}`;
      const state = JSON.stringify([e.status, diagnostics]);
      seen.set(k, state);
      const { kind, name, origin, file, status } = e;
      names.push({ kind, name, origin, file, status, ...(e.inForce ? { in_force: e.inForce } : {}), diagnostics });
      if (this.reported.get(k) === state || this.options.log === false) continue;
      if (e.status !== 'ok') {
        const text = diagnostics
          .filter((d) => d.severity === 'error')
          .map((d) => formatDiagnostic(d, catalog.sourceOfFile(d.file)))
          .join('\n\n');
        const what = { kind: e.kind, name: e.name, file: e.file, status: e.status };
        logger('error').error(
          { ...what, codes: diagnostics.map((d) => d.code) },
          `${summary(e.kind, e.name, e.status, e.inForce)}\n${text}`,
        );
      } else if (this.reported.has(k) && JSON.parse(this.reported.get(k)!)[0] !== 'ok') {
        const what = { kind: e.kind, name: e.name, file: e.file, status: e.status };
        logger('error').info(what, `${e.kind} '${e.name}' compiles again and is in force`);
      }
    }
    const rules: NonNullable<DslStatusFile['rules']> = [];
    for (const r of catalog.rules.files) {
      const { name, origin, file, diagnostics } = r;
      rules.push({ name, origin, file, status: r.ok ? 'ok' : 'error', diagnostics });
      const k = `rules:${name}`;
      const state = JSON.stringify([r.ok, diagnostics]);
      seen.set(k, state);
      if (this.reported.get(k) === state || this.options.log === false) continue;
      if (!r.ok) {
        const text = diagnostics
          .filter((d) => d.severity === 'error')
          .map((d) => formatDiagnostic(d, r.text))
          .join('\n\n');
        const why = `'${name}.rules' does not compile; the chains and pipelines using it keep its last good text`;
        logger('error').error({ kind: 'rules', name, file, codes: diagnostics.map((d) => d.code) }, `${why}\n${text}`);
      } else if (this.reported.has(k) && JSON.parse(this.reported.get(k)!)[0] !== true) {
        logger('error').info({ kind: 'rules', name, file }, `'${name}.rules' compiles again`);
      }
    }
    this.reported = seen;
    if (this.options.statusFile) {
      const body = JSON.stringify([names, rules]);
      if (body !== this.statusText) {
        this.statusText = body;
        const status: DslStatusFile = { pid: process.pid, updated: new Date().toISOString(), names, rules };
        try {
          writeFileAtomically(this.options.statusFile, JSON.stringify(status, null, 2), { mkdir: true });
        } catch (err) {
          logger('error').error({ err }, 'cannot write the chain and pipeline status file');
        }
      }
    }
  }

  /** Names, inode, size and mtime of every site file: any write, rename or delete changes it. */
  private siteSignature(): string {
    const parts: string[] = [];
    for (const [dir, suffixes] of [
      [this.options.dirs.siteChains, ['.chain', '.rules']],
      [this.options.dirs.sitePipelines, ['.pipeline']],
    ] as const) {
      if (!dir) continue;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        parts.push('-');
        continue;
      }
      for (const n of names.sort()) {
        if (!suffixes.some((s) => n.endsWith(s)) || n.startsWith('.')) continue;
        try {
          const s = statSync(join(dir, n));
          parts.push(`${n}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`);
        } catch {
          parts.push(`${n}:gone`);
        }
      }
      parts.push('|');
    }
    return parts.join('\n');
  }
}

/** The site and built-in directories and the last-good store of a configuration. */
export function catalogOptions(config: Config, registry: Registries): LiveCatalogOptions {
  return {
    dirs: {
      builtinChains: BUILTIN_CHAIN_DIR,
      builtinPipelines: BUILTIN_PIPELINE_DIR,
      siteChains: config.path('dsl', 'chain_dir'),
      sitePipelines: config.path('dsl', 'pipeline_dir'),
    },
    lastGoodDir: join(config.varDir, 'cache', 'dsl', 'last-good'),
    registry,
  };
}

/** A live catalog of this configuration; call watch() in long-running processes. */
export function openLiveCatalog(
  config: Config,
  registry: Registries,
  opts: { statusFile?: string; log?: boolean } = {},
): LiveCatalog {
  return new LiveCatalog({ ...catalogOptions(config, registry), ...opts });
}

/** One snapshot, with last good versions in force (the master at start, the CLI). */
export function openCatalog(config: Config, registry: Registries, opts: { log?: boolean } = {}): DslCatalog {
  return new LiveCatalog({ ...catalogOptions(config, registry), ...opts }).snapshot();
}
