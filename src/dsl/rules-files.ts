// Where `use "NAME.rules"` looks: the .rules files of a few directories, searched in order
// (the site's chain directory, then the package's chains/), with texts given in memory first
// (a REST upload, the files named on a validate command line).
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { definitionsOf } from './compile.js';
import { readSourceFile } from './source.js';
import { MAX_USE_FILES, type RulesFiles } from './uses.js';

export const RULES_SUFFIX = '.rules';

export class DirRulesFiles implements RulesFiles {
  private listed: string[] | undefined;
  private readonly texts = new Map<string, { file: string; text: string } | null>();
  private defined: Map<string, { from: string; at: string }> | undefined;

  constructor(
    private readonly dirs: readonly (string | undefined)[],
    /** Files by name that stand before any directory's, with their texts. */
    private readonly given: ReadonlyMap<string, { file: string; text: string }> = new Map(),
  ) {}

  read(name: string): { file: string; text: string } | undefined {
    const given = this.given.get(name);
    if (given) return given;
    if (!this.texts.has(name)) {
      let found: { file: string; text: string } | null = null;
      for (const dir of this.dirs) {
        if (!dir || !this.namesIn(dir).includes(name)) continue;
        const file = join(dir, name);
        try {
          found = { file, text: readSourceFile(file) };
          break;
        } catch {
          // Gone or unreadable since the listing: look further.
        }
      }
      this.texts.set(name, found);
    }
    return this.texts.get(name) ?? undefined;
  }

  names(): string[] {
    this.listed ??= [
      ...new Set([...this.given.keys(), ...this.dirs.flatMap((d) => (d ? this.namesIn(d) : []))]),
    ].sort();
    return this.listed;
  }

  definedIn(name: string): { from: string; at: string } | undefined {
    if (!this.defined) {
      this.defined = new Map();
      // Only for a hint, so bounded as `use` itself is: a directory of thousands of .rules
      // files must not make one typo parse all of them.
      for (const n of this.names().slice(0, MAX_USE_FILES)) {
        const found = this.read(n);
        if (!found) continue;
        const { definitions, source } = definitionsOf(found.text, found.file);
        for (const def of definitions) {
          if (!this.defined.has(def.name.name))
            this.defined.set(def.name.name, { from: n, at: source.at(def.name.span.start) });
        }
      }
    }
    return this.defined.get(name);
  }

  private readonly listings = new Map<string, string[]>();

  private namesIn(dir: string): string[] {
    let names = this.listings.get(dir);
    if (!names) {
      try {
        names = readdirSync(dir).filter(
          (n) => n.endsWith(RULES_SUFFIX) && n.length > RULES_SUFFIX.length && !n.startsWith('.'),
        );
      } catch {
        names = [];
      }
      this.listings.set(dir, names);
    }
    return names;
  }
}

/** Texts by their file's name, for DirRulesFiles' `given`. */
export function givenRules(
  files: readonly { file: string; text: string }[],
): Map<string, { file: string; text: string }> {
  return new Map(files.map((f) => [basename(f.file), f]));
}
