// The files a document is checked against, as `mailman validate` checks a file against the
// built-in and site ones: names are global, so a `jump` target is known only from the other
// files. The directories are the built-in chains/ and pipelines/, the site's (when a
// configuration is found), each workspace folder with its chains/ and pipelines/, and the
// folder of each open document; later ones override earlier ones of the same name, as a site
// file overrides a built-in. Only file names are read here; a file's text only when a
// definition in it is asked for.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirRulesFiles, dslFilesIn, expectedFromFile } from '../dsl/index.js';

/** Files indexed at most, over every directory: a huge folder opened by mistake stays cheap. */
export const MAX_INDEXED_FILES = 10_000;

export type DslKindName = 'chain' | 'pipeline';

/** The path of a document's URI, or the URI itself when it is not a file (an unsaved buffer). */
export function uriPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/** A directory's files; one that cannot be read (permissions, a file in its place) gives none. */
function readable(dir: string): ReturnType<typeof dslFilesIn> {
  try {
    return dslFilesIn(dir, 'site');
  } catch {
    return [];
  }
}

export class LspWorkspace {
  private roots: string[] = [];
  private readonly openDirs = new Map<string, number>();
  /** `kind:name` -> path of the file in force. */
  private files = new Map<string, string>();
  /** Bumped on each rescan, so analyses made against older names are redone. */
  generation = 0;
  private rules: DirRulesFiles | undefined;

  constructor(
    private readonly builtinDirs: readonly string[],
    private readonly siteDirs: readonly string[],
  ) {
    this.rescan();
  }

  setRoots(roots: readonly string[]): void {
    this.roots = [...new Set(roots)];
    this.rescan();
  }

  /** A document opened: its folder joins the directories (its siblings are what it jumps to). */
  opened(uri: string): void {
    if (!uri.startsWith('file:')) return;
    const dir = dirname(uriPath(uri));
    const count = this.openDirs.get(dir) ?? 0;
    this.openDirs.set(dir, count + 1);
    if (count === 0) this.rescan();
  }

  closed(uri: string): void {
    if (!uri.startsWith('file:')) return;
    const dir = dirname(uriPath(uri));
    const count = this.openDirs.get(dir) ?? 0;
    if (count <= 1) this.openDirs.delete(dir);
    else this.openDirs.set(dir, count - 1);
  }

  private directories(): string[] {
    const fromRoots = this.roots.flatMap((r) => [r, join(r, 'chains'), join(r, 'pipelines')]);
    return [...new Set([...this.builtinDirs, ...this.siteDirs, ...fromRoots, ...this.openDirs.keys()])];
  }

  /** Reads the directories again (a file was created, renamed or deleted). */
  rescan(): void {
    const files = new Map<string, string>();
    let seen = 0;
    for (const dir of this.directories()) {
      for (const f of readable(dir)) {
        if (++seen > MAX_INDEXED_FILES) break;
        const expected = expectedFromFile(f.path);
        if (expected) files.set(`${expected.kind.toLowerCase()}:${expected.name}`, f.path);
      }
    }
    this.files = files;
    this.rules = undefined;
    this.generation++;
  }

  /** The .rules files `use` finds: later directories first, as for chains (read when asked). */
  rulesFiles(): DirRulesFiles {
    this.rules ??= new DirRulesFiles([...this.directories()].reverse());
    return this.rules;
  }

  names(kind: DslKindName): Set<string> {
    const out = new Set<string>();
    for (const key of this.files.keys()) if (key.startsWith(`${kind}:`)) out.add(key.slice(kind.length + 1));
    return out;
  }

  /** The file in force for a chain or pipeline name. */
  fileOf(kind: DslKindName, name: string): string | undefined {
    return this.files.get(`${kind}:${name}`);
  }
}
