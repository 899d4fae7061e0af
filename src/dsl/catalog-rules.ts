// The .rules files of a catalog (docs/language.md#shared-definitions): those of the site's
// chain directory, then the package's chains/. Each is compiled on its own; one that compiles
// becomes its name's last good text. A chain that does not compile because a file it uses
// broke is compiled again against the last good texts of the .rules files, so a broken shared
// file never replaces a working one: the chains using it stay in force, stale.
import { basename, join } from 'node:path';
import { compile } from './compile.js';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { DirRulesFiles } from './rules-files.js';
import type { CatalogDirs, LastGoodStore } from './catalog-parts.js';
import type { Registries } from './resolve.js';

/** The last-good store's kind for .rules files (NAME.rules in its directory). */
export const RULES_KIND = 'rules';

/** One .rules file as found, compiled on its own (REST /rules, `mailman status`). */
export interface RulesFileState {
  /** The name without its suffix: `site` for site.rules. */
  name: string;
  file: string;
  origin: 'builtin' | 'site';
  text: string;
  /** Whether the file as found compiles. */
  ok: boolean;
  diagnostics: Diagnostic[];
  /** The .rules files its compile read (`a.rules`), those they use included. */
  uses: string[];
}

export interface CatalogRules {
  /** The files as they are. */
  current: DirRulesFiles;
  /** Each file's text if it compiles, else its last good text: what a stale chain compiles against. */
  good: DirRulesFiles;
  /** Whether some site .rules file does not compile (only then is `good` worth trying). */
  anyBroken: boolean;
  /** Every file as found, by name. */
  files: RulesFileState[];
}

export function catalogRules(
  dirs: CatalogDirs,
  registry: Registries,
  lastGood: LastGoodStore | undefined,
): CatalogRules {
  const search = [dirs.siteChains, dirs.builtinChains];
  const current = new DirRulesFiles(search);
  const good = new Map<string, { file: string; text: string }>();
  let anyBroken = false;
  const files: RulesFileState[] = [];
  for (const name of current.names()) {
    const found = current.read(name);
    if (!found) continue;
    const r = compile(found.text, found.file, { registry, rulesFiles: current });
    const stem = name.slice(0, -'.rules'.length);
    const ok = !hasErrors(r.diagnostics);
    const origin = dirs.siteChains && found.file === join(dirs.siteChains, name) ? 'site' : 'builtin';
    const uses = [...(r.uses?.keys() ?? [])].map((f) => basename(f));
    files.push({ name: stem, file: found.file, origin, text: found.text, ok, diagnostics: r.diagnostics, uses });
    if (ok) {
      good.set(name, found);
      if (lastGood && lastGood.get(RULES_KIND, stem) !== found.text) lastGood.put(RULES_KIND, stem, found.text);
      continue;
    }
    anyBroken = true;
    const older = lastGood?.get(RULES_KIND, stem);
    good.set(name, older !== undefined ? { file: found.file, text: older } : found);
  }
  // A .rules file that is gone takes its last good text with it, as a chain's does.
  for (const stem of lastGood?.names(RULES_KIND) ?? []) {
    if (!current.names().includes(`${stem}.rules`)) lastGood?.drop(RULES_KIND, stem);
  }
  return { current, good: new DirRulesFiles(search, good), anyBroken, files };
}

/** Whether the .rules files a compile read hold the same texts in `rules`. */
export function usesUnchanged(uses: ReadonlyMap<string, string> | undefined, rules: DirRulesFiles): boolean {
  for (const [file, text] of uses ?? []) if (rules.read(basename(file))?.text !== text) return false;
  return true;
}
