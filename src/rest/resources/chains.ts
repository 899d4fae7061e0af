// /chains and /pipelines: the language over REST (docs/language.md#rest), plus Mailman's
// /system/chains and /system/pipelines name lists. Each /chains resource has a /pipelines
// twin.
//
//   GET    /chains                  collection: name, description, origin, file, status
//   GET    /chains/NAME             the same plus source, ir, lists, diagnostics
//   GET    /chains/NAME/graph       (3.1) ?format=dot|svg: the version in force, drawn;
//                                   409 if it has never compiled, 400 for another format
//   PUT    /chains/NAME {source[, examples]}
//                                   compile against the live names, then run the examples
//                                   (the given text, else the site's NAME.examples) dry against
//                                   the new version; 400 {title, description, diagnostics} and
//                                   nothing written on an error or a failed example; else
//                                   written atomically to the site directory (the examples
//                                   beside it; "" removes them), in force at once, 200 with the
//                                   resource (its warnings included). A new name is created
//                                   the same way.
//   DELETE /chains/NAME             204, with its examples; a site override reverts to the
//                                   built-in; 403 for a built-in; 409 while a list names it
//                                   (or, for a chain, another chain jumps or detours to it).
//   POST   /chains/validate {source[, name][, examples]}   200 {ok, diagnostics}; nothing stored.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../queue/atomic-file.js';
import {
  buildExecutable,
  type ChainIr,
  checkChainGraph,
  compile,
  type Diagnostic,
  type DslCatalog,
  type DslKind,
  type DslIr,
  examplesPathOf,
  type ExecutableChain,
  type ExecutablePipeline,
  GRAPH_FORMATS,
  type GraphFormat,
  hasErrors,
  type LiveCatalog,
  parseExamples,
  toDot,
} from '../../dsl/index.js';
import type { ExplainCatalog } from '../../explain/index.js';
import { writeListSetting } from './listconf.js';
import { checkName as checkDslName, diagnosticJson, firstError, refuse } from '../dsl-replies.js';
import type { MailingList } from '../../model/entities.js';
import { apiOf, collection, noContent, okay, queryParam, type Resource } from '../helpers.js';
import { drawGraph, type GraphLimits } from '../graph-job.js';
import { RestError, badRequest, notFound } from '../errors.js';
import { inputOf, str, validate } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

/** A NAME (docs/language.md#lexical-structure): also what keeps a name a plain file name in the site directory. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*$/;

function checkName(kind: DslKind, name: string): void {
  checkDslName(kind, name, NAME);
}

const KINDS: readonly { kind: DslKind; plural: string; settings: readonly (keyof MailingList)[] }[] = [
  { kind: 'chain', plural: 'chains', settings: ['posting_chain', 'owner_chain'] },
  { kind: 'pipeline', plural: 'pipelines', settings: ['posting_pipeline', 'owner_pipeline'] },
];

/** The text of a file, or undefined when there is none. */
function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function routes(router: RestRouter, deps: RestDeps): void {
  const { services } = deps;
  const graphLimits: GraphLimits = {
    maxNodes: services.config.int('webservice', 'graph_max_nodes'),
    timeoutMs: services.config.durationMs('webservice', 'graph_timeout'),
    concurrency: 2,
  };
  const live = (): LiveCatalog => {
    if (!deps.catalog) throw new RestError(404, 'This server has no chain and pipeline catalog');
    return deps.catalog;
  };

  router.get('/system/chains', (ctx) => okay(ctx, { chains: live().snapshot().chainNames() }));
  router.get('/system/pipelines', (ctx) => okay(ctx, { pipelines: live().snapshot().pipelineNames() }));

  let exampleRuns: Promise<unknown> = Promise.resolve();
  for (const { kind, plural, settings } of KINDS) {
    const usedBy = async (name: string): Promise<string[]> =>
      (await services.lists.all())
        .filter((l) => settings.some((s) => l[s] === name))
        .map((l) => l.list_id)
        .sort();

    const summary = (ctx: RestContext, snap: DslCatalog, name: string): Resource => {
      const e = snap.entry(kind, name)!;
      return {
        name: e.name,
        description: e.description ?? '',
        origin: e.origin,
        file: e.file,
        status: e.status,
        self_link: apiOf(ctx).pathTo(`${plural}/${e.name}`),
      };
    };

    const full = async (ctx: RestContext, snap: DslCatalog, name: string): Promise<Resource> => {
      const e = snap.entry(kind, name)!;
      const older = snap.inForceSource(kind, name);
      return {
        ...summary(ctx, snap, name),
        ...(e.overrides ? { overrides: e.overrides } : {}),
        ...(e.inForce ? { in_force: e.inForce } : {}),
        source: snap.source(kind, name) ?? '',
        ...(older !== undefined ? { in_force_source: older } : {}),
        ir: snap.ir(kind, name) ?? null,
        lists: await usedBy(name),
        examples: readIfThere(examplesPathOf(e.file) ?? '') ?? null,
        diagnostics: snap.diagnosticsOf(kind, name).map(diagnosticJson),
      };
    };

    /**
     * The examples (text of a NAME.examples file) run dry against `ir` as the version of `name`
     * and the rest of the catalog in force. One run at a time: each opens a sandbox database.
     */
    const examplesOf = (snap: DslCatalog, name: string, ir: DslIr, text: string, file: string) => {
      const run = exampleRuns.then(async (): Promise<Diagnostic[]> => {
        const parsed = parseExamples(file, text, kind);
        if (parsed.diagnostics.length) return parsed.diagnostics;
        const exe = buildExecutable(ir, snap.registry);
        const catalog: ExplainCatalog = {
          chain: (n) => (exe.kind === 'chain' && n === name ? (exe as ExecutableChain) : snap.chain(n)),
          pipeline: (n) => (exe.kind === 'pipeline' && n === name ? (exe as ExecutablePipeline) : snap.pipeline(n)),
          registry: snap.registry,
        };
        // Loaded on first use: it brings in explain and the pipeline executor.
        const { runExampleSets } = await import('../../explain/examples.js');
        const sets = [{ name, kind, file, examples: parsed.examples }];
        const run = await runExampleSets(
          sets,
          catalog,
          services.config,
          services.config.runnerTable(),
          writeListSetting,
        );
        return run.diagnostics;
      });
      exampleRuns = run.catch(() => undefined);
      return run;
    };

    const known = (ctx: RestContext): { snap: DslCatalog; name: string } => {
      const snap = live().snapshot();
      const name = ctx.params.name;
      if (!snap.entry(kind, name)) throw notFound(`No such ${kind}: ${name}`);
      return { snap, name };
    };

    /** Compiles against the live name set, with this name added (PUT may create it). */
    const check = (snap: DslCatalog, name: string, source: string, file: string) => {
      const chainNames = new Set(snap.allChainNames);
      const pipelineNames = new Set(snap.allPipelineNames);
      (kind === 'chain' ? chainNames : pipelineNames).add(name);
      const pipelineBase = snap.pipelineBase(name);
      const registry = snap.registry;
      const result = compile(source, file, {
        chainNames,
        pipelineNames,
        registry,
        pipelineBase,
        rulesFiles: snap.rulesFiles,
      });
      if (result.ir?.kind !== 'chain') return result;
      // A jump or detour that closes a loop through chains in force is refused too (MM501).
      const irs = new Map<string, ChainIr>();
      for (const n of snap.chainNames()) {
        const ir = snap.ir('chain', n);
        if (ir?.kind === 'chain') irs.set(n, ir);
      }
      irs.set(name, result.ir);
      const cycles = checkChainGraph(irs, new Map([[file, result.source]])).filter(
        (d) => d.code === 'MM501' && d.file === file,
      );
      return cycles.length ? { ...result, ir: undefined, diagnostics: [...result.diagnostics, ...cycles] } : result;
    };

    router.get(`/${plural}`, async (ctx) => {
      const snap = live().snapshot();
      const names = snap
        .entries()
        .filter((e) => e.kind === kind)
        .map((e) => e.name)
        .sort();
      ctx.body = await collection(ctx, names, (page) => page.map((n) => summary(ctx, snap, n)));
    });

    router.post(`/${plural}/validate`, async (ctx) => {
      const input = validate(inputOf(ctx), { source: str, name: str, examples: str }, ['name', 'examples']);
      const source = input.source!;
      const snap = live().snapshot();
      // Without a name, the file is taken to be named after what it declares.
      let name = input.name;
      if (name === undefined) {
        name = compile(source, '<source>', { registry: snap.registry }).ast.declarations[0]?.name.name;
      }
      if (name !== undefined) checkName(kind, name);
      const result = check(snap, name ?? '', source, name ? `${name}.${kind}` : `<source>`);
      const diagnostics = [...result.diagnostics];
      if (input.examples !== undefined && result.ir && !hasErrors(diagnostics))
        diagnostics.push(
          ...(await examplesOf(snap, result.ir.name, result.ir, input.examples, `${result.ir.name}.examples`)),
        );
      okay(ctx, { ok: !hasErrors(diagnostics), diagnostics: diagnostics.map(diagnosticJson) });
    });

    router.get(`/${plural}/:name`, async (ctx) => {
      const { snap, name } = known(ctx);
      okay(ctx, await full(ctx, snap, name));
    });

    // The chain or pipeline in force, drawn (src/dsl/graph-dot.ts); new in 3.1.
    router.get(`/${plural}/:name/graph`, async (ctx) => {
      if (apiOf(ctx).version !== '3.1') throw notFound();
      const { snap, name } = known(ctx);
      const format = queryParam(ctx, 'format') ?? 'dot';
      if (!(GRAPH_FORMATS as readonly string[]).includes(format))
        throw badRequest(`format must be one of ${GRAPH_FORMATS.join(', ')}`);
      const compiled = kind === 'chain' ? snap.chain(name) : snap.pipeline(name);
      if (!compiled) throw new RestError(409, `${kind} '${name}' has never compiled`);
      // SVG is laid out in a worker thread, within limits: a big chain must not stall REST.
      ctx.body = await drawGraph(compiled.ir, format as GraphFormat, graphLimits, toDot);
      ctx.type = format === 'svg' ? 'image/svg+xml; charset=utf-8' : 'text/vnd.graphviz; charset=utf-8';
      ctx.status = 200;
    });

    router.put(`/${plural}/:name`, async (ctx) => {
      const name = ctx.params.name;
      checkName(kind, name);
      const { source, examples } = validate(inputOf(ctx), { source: str, examples: str }, ['examples']);
      const catalog = live();
      const dir = catalog.siteDir(kind);
      if (!dir) throw new RestError(403, `No site ${kind} directory is configured`);
      const file = join(dir, `${name}.${kind}`);
      const snap = catalog.snapshot();
      const result = check(snap, name, source!, file);
      if (hasErrors(result.diagnostics)) {
        refuse(ctx, firstError(`${kind} '${name}' does not compile`, result.diagnostics), result.diagnostics);
        return;
      }
      // The examples that stand beside the file must still hold for the new version: a change
      // that breaks them is refused like one that does not compile.
      const examplesFile = join(dir, `${name}.examples`);
      const exampleText = examples ?? readIfThere(examplesFile);
      if (exampleText && result.ir) {
        const failed = await examplesOf(snap, name, result.ir, exampleText, examplesFile);
        if (hasErrors(failed)) {
          refuse(ctx, firstError(`${kind} '${name}' fails its examples`, failed), [...result.diagnostics, ...failed]);
          return;
        }
      }
      if (examples === '') rmSync(examplesFile, { force: true });
      else if (examples !== undefined) writeFileAtomically(examplesFile, examples, { mkdir: true });
      writeFileAtomically(file, source!, { mkdir: true });
      okay(ctx, await full(ctx, catalog.reload(), name));
    });

    router.delete(`/${plural}/:name`, async (ctx) => {
      const { snap, name } = known(ctx);
      const e = snap.entry(kind, name)!;
      if (e.origin === 'builtin') throw new RestError(403, `The built-in ${kind} '${name}' cannot be deleted`);
      // A site file overriding a built-in can always go: the name stays, as the built-in.
      if (!e.overrides) {
        const lists = await usedBy(name);
        if (lists.length) throw new RestError(409, `${kind} '${name}' is in use by ${lists.join(', ')}`);
        const chains =
          kind === 'chain'
            ? snap
                .entries()
                .filter((o) => o.kind === 'chain' && o.name !== name)
                .filter((o) => {
                  const ir = snap.ir('chain', o.name);
                  return ir?.kind === 'chain' && ir.targets.includes(name);
                })
                .map((o) => o.name)
            : [];
        if (chains.length) throw new RestError(409, `chain '${name}' is the target of chain ${chains.join(', ')}`);
      }
      rmSync(e.file, { force: true });
      const examples = examplesPathOf(e.file);
      if (examples) rmSync(examples, { force: true });
      live().reload();
      noContent(ctx);
    });
  }
}
