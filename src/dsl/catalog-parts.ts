// The pieces of the catalog that are not the build itself: where files are found (scan), the
// shapes of what it reports (CatalogEntry, DslStatus), the last-good store's interface, and
// the memo of compile results that lets a reload recompile only what changed.
import { readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { CompileResult } from './compile.js';
import { readSourceFile } from './source.js';
import type { ExecutableChain, ExecutablePipeline } from './executable.js';

export interface CatalogDirs {
  builtinChains: string;
  builtinPipelines: string;
  /** Searched first; a missing directory is fine. */
  siteChains?: string;
  sitePipelines?: string;
}

export type DslKind = 'chain' | 'pipeline';

/** ok: the file is in force; stale: it does not compile, an older good version is; broken: nothing is. */
export type DslStatus = 'ok' | 'stale' | 'broken';

/** One name of the catalog, compiled or not (for `GET /3.1/chains`). */
export interface CatalogEntry {
  name: string;
  kind: DslKind;
  file: string;
  origin: 'builtin' | 'site';
  /** Some version of the name is in force (status ok or stale). */
  ok: boolean;
  status: DslStatus;
  description?: string;
  /** The built-in file this site file replaces. */
  overrides?: string;
  /** For a stale name: where the version in force comes from. */
  inForce?: 'last-good' | 'builtin';
}

/**
 * Where a site file's last good text is kept between reloads and restarts
 * (var/cache/dsl/ in a server). Only site names are stored.
 */
export interface LastGoodStore {
  /** Kind 'rules': a shared definitions file (catalog-rules.ts). */
  get(kind: DslKind | 'rules', name: string): string | undefined;
  put(kind: DslKind | 'rules', name: string, text: string): void;
  drop(kind: DslKind | 'rules', name: string): void;
  names(kind: DslKind | 'rules'): string[];
}

/**
 * Compile results by file, text and name set, so a reload recompiles only what changed
 * (and what a change of the name set may change). sweep() forgets what the last build did
 * not use.
 */
export class CompileMemo {
  private entries = new Map<string, Compiled>();
  private used = new Set<string>();

  get(key: string, make: () => Compiled, fresh: (c: Compiled) => boolean = () => true): Compiled {
    this.used.add(key);
    let c = this.entries.get(key);
    if (!c || !fresh(c)) {
      c = make();
      this.entries.set(key, c);
    }
    return c;
  }

  sweep(): void {
    for (const k of this.entries.keys()) if (!this.used.has(k)) this.entries.delete(k);
    this.used.clear();
  }
}

export interface Compiled {
  result: CompileResult;
  executable?: ExecutableChain | ExecutablePipeline;
  /** For a derived pipeline: each base it read, and a fingerprint of what it read. */
  bases?: Map<string, string>;
}

export interface Found {
  name: string;
  kind: DslKind;
  file: string;
  origin: 'builtin' | 'site';
  overrides?: string;
}

export const key = (kind: DslKind, name: string) => `${kind}:${name}`;
export const sha = (text: string) => createHash('sha256').update(text).digest('hex');

export function readText(file: string): string | undefined {
  try {
    return readSourceFile(file);
  } catch {
    return undefined;
  }
}

export function scan(
  dir: string | undefined,
  kind: DslKind,
  origin: 'builtin' | 'site',
  builtins: Map<string, Found> | undefined,
): Found[] {
  if (!dir) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const suffix = `.${kind}`;
  return names
    .filter((n) => n.endsWith(suffix) && n.length > suffix.length && !n.startsWith('.'))
    .sort()
    .map((n) => {
      const name = n.slice(0, -suffix.length);
      const over = builtins?.get(key(kind, name));
      return { name, kind, file: join(dir, n), origin, ...(over ? { overrides: over.file } : {}) };
    });
}
