// /rules: the shared definitions files, NAME.rules (docs/language.md#shared-definitions), over
// REST, shaped like /chains. The path is /rules, not /rules-files: the files hold rules and
// lets, and nothing else in the API is called a rule. A NAME is the file name without
// `.rules`, as `use` accepts it.
//
//   GET    /rules                   collection: name, file, origin, status (ok, error), used_by
//                                   {chains, pipelines, rules}: who reads it, directly or not
//   GET    /rules/NAME              the same plus source and diagnostics
//   PUT    /rules/NAME {source}     compile the text as NAME.rules, then every chain, pipeline
//                                   and .rules file that reads NAME (and is in force) against
//                                   it; any error: 400 {title, description, diagnostics} and
//                                   nothing written; else written atomically to [dsl]
//                                   chain_dir (403 without one), in force at once, 200 with
//                                   the resource. A new name is created the same way.
//   DELETE /rules/NAME              204; 403 for a built-in one; 409 while anything reads it.
//   POST   /rules/validate {source[, name]}   200 {ok, diagnostics}; nothing stored. With a
//                                   name, the readers of NAME are checked as by PUT.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../queue/atomic-file.js';
import {
  compile,
  type Diagnostic,
  type DslCatalog,
  hasErrors,
  type LiveCatalog,
  type RulesFiles,
  type RulesFileState,
} from '../../dsl/index.js';
import { apiOf, collection, noContent, okay, type Resource } from '../helpers.js';
import { RestError, notFound } from '../errors.js';
import { inputOf, str, validate } from '../validate.js';
import { checkName, diagnosticJson, firstError, refuse } from '../dsl-replies.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

/** What `use "NAME.rules"` accepts before the suffix (src/dsl/uses.ts): a plain file name. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const SUFFIX = '.rules';

/** The .rules files of `base`, with NAME.rules read as `text` instead. */
function withText(base: RulesFiles, name: string, file: string, text: string): RulesFiles {
  const own = `${name}${SUFFIX}`;
  return {
    read: (n) => (n === own ? { file, text } : base.read(n)),
    names: () => [...new Set([...base.names(), own])].sort(),
    // Hints only; the old text's definitions are close enough for them.
    ...(base.definedIn ? { definedIn: (n: string) => base.definedIn!(n) } : {}),
  };
}

/** Who reads NAME.rules: chains, pipelines and other .rules files, directly or through others. */
function readersOf(snap: DslCatalog, name: string): { chains: string[]; pipelines: string[]; rules: string[] } {
  const own = `${name}${SUFFIX}`;
  const chains: string[] = [];
  const pipelines: string[] = [];
  for (const e of snap.entries()) {
    if (snap.usesOf(e.kind, e.name).includes(own)) (e.kind === 'chain' ? chains : pipelines).push(e.name);
  }
  const rules = snap.rules.files.filter((r) => r.name !== name && r.uses.includes(own)).map((r) => r.name);
  return { chains: chains.sort(), pipelines: pipelines.sort(), rules: rules.sort() };
}

/** A refusal: what broke, and the diagnostics that say why. */
interface Refusal {
  description: string;
  diagnostics: Diagnostic[];
}

/**
 * Compiles `source` as NAME.rules against the .rules files as they are, then each reader in
 * force against it: a reader's version in force (a stale one's older text) must still compile.
 * A reader that compiles in no version now is not held against the text (it may be its fix).
 */
function check(snap: DslCatalog, name: string, source: string, file: string): Refusal | Diagnostic[] {
  const registry = snap.registry;
  const own = `${name}${SUFFIX}`;
  const current = withText(snap.rules.current, name, file, source);
  const result = compile(source, file, { registry, rulesFiles: current });
  if (hasErrors(result.diagnostics))
    return {
      description: firstError(`rules '${name}' does not compile`, result.diagnostics),
      diagnostics: result.diagnostics,
    };
  // Stale readers run on the last good texts of the other files: so are they checked.
  const good = withText(snap.rules.good, name, file, source);
  for (const e of snap.entries()) {
    if (e.status === 'broken' || !snap.usesOf(e.kind, e.name).includes(own)) continue;
    const text = snap.inForceSource(e.kind, e.name) ?? snap.source(e.kind, e.name) ?? '';
    const at = e.inForce === 'builtin' && e.overrides ? e.overrides : e.file;
    const r = compile(text, at, {
      chainNames: snap.allChainNames,
      pipelineNames: snap.allPipelineNames,
      registry,
      pipelineBase: e.kind === 'pipeline' ? snap.pipelineBase(e.name) : undefined,
      rulesFiles: good,
    });
    if (hasErrors(r.diagnostics))
      return {
        description: firstError(`rules '${name}' would break ${e.kind} '${e.name}'`, r.diagnostics),
        diagnostics: r.diagnostics,
      };
  }
  for (const other of snap.rules.files) {
    if (!other.ok || other.name === name || !other.uses.includes(own)) continue;
    const r = compile(other.text, other.file, { registry, rulesFiles: current });
    if (hasErrors(r.diagnostics))
      return {
        description: firstError(`rules '${name}' would break rules '${other.name}'`, r.diagnostics),
        diagnostics: r.diagnostics,
      };
  }
  return result.diagnostics;
}

export function routes(router: RestRouter, deps: RestDeps): void {
  const live = (): LiveCatalog => {
    if (!deps.catalog) throw new RestError(404, 'This server has no chain and pipeline catalog');
    return deps.catalog;
  };

  const summary = (ctx: RestContext, snap: DslCatalog, r: RulesFileState): Resource => ({
    name: r.name,
    file: r.file,
    origin: r.origin,
    status: r.ok ? 'ok' : 'error',
    used_by: readersOf(snap, r.name),
    self_link: apiOf(ctx).pathTo(`rules/${r.name}`),
  });

  const full = (ctx: RestContext, snap: DslCatalog, r: RulesFileState): Resource => ({
    ...summary(ctx, snap, r),
    source: r.text,
    diagnostics: r.diagnostics.map(diagnosticJson),
  });

  const stateOf = (snap: DslCatalog, name: string) => snap.rules.files.find((r) => r.name === name);

  const known = (ctx: RestContext): { snap: DslCatalog; state: RulesFileState } => {
    const name = ctx.params.name;
    checkName('rules', name, NAME);
    const snap = live().snapshot();
    const state = stateOf(snap, name);
    if (!state) throw notFound(`No such rules file: ${name}`);
    return { snap, state };
  };

  router.get('/rules', async (ctx) => {
    const snap = live().snapshot();
    const files = [...snap.rules.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    ctx.body = await collection(ctx, files, (page) => page.map((r) => summary(ctx, snap, r)));
  });

  router.post('/rules/validate', (ctx) => {
    const input = validate(inputOf(ctx), { source: str, name: str }, ['name']);
    const name = input.name;
    if (name !== undefined) checkName('rules', name, NAME);
    const snap = live().snapshot();
    // Without a name the text is checked on its own, as a .rules file no one reads yet.
    const result = check(snap, name ?? '<source>', input.source!, `${name ?? '<source>'}${SUFFIX}`);
    const diagnostics = Array.isArray(result) ? result : result.diagnostics;
    okay(ctx, { ok: !hasErrors(diagnostics), diagnostics: diagnostics.map(diagnosticJson) });
  });

  router.get('/rules/:name', (ctx) => {
    const { snap, state } = known(ctx);
    okay(ctx, full(ctx, snap, state));
  });

  router.put('/rules/:name', (ctx) => {
    const name = ctx.params.name;
    checkName('rules', name, NAME);
    const { source } = validate(inputOf(ctx), { source: str }, []);
    const catalog = live();
    // .rules files live beside the chains (docs/language.md#shared-definitions).
    const dir = catalog.siteDir('chain');
    if (!dir) throw new RestError(403, 'No site chain directory is configured');
    const file = join(dir, `${name}${SUFFIX}`);
    const result = check(catalog.snapshot(), name, source!, file);
    if (!Array.isArray(result)) {
      refuse(ctx, result.description, result.diagnostics);
      return;
    }
    writeFileAtomically(file, source!, { mkdir: true });
    const snap = catalog.reload();
    const state = stateOf(snap, name);
    // Gone again already (another writer): say so rather than answer for a file not there.
    if (!state) throw new RestError(409, `rules '${name}' was removed while it was written`);
    okay(ctx, full(ctx, snap, state));
  });

  router.delete('/rules/:name', (ctx) => {
    const { snap, state } = known(ctx);
    if (state.origin === 'builtin')
      throw new RestError(403, `The built-in rules file '${state.name}' cannot be deleted`);
    const { chains, pipelines, rules } = readersOf(snap, state.name);
    const readers = [
      ...chains.map((n) => `chain ${n}`),
      ...pipelines.map((n) => `pipeline ${n}`),
      ...rules.map((n) => `rules ${n}`),
    ];
    if (readers.length) throw new RestError(409, `rules '${state.name}' is in use by ${readers.join(', ')}`);
    rmSync(state.file, { force: true });
    // The reload drops its last good copy with it (src/dsl/catalog-rules.ts).
    live().reload();
    noContent(ctx);
  });
}
