// `mailman validate` and `mailman compile`: check chain and pipeline files the way the
// server will load them (docs/language.md#command-line), before they reach a running list.
//
//   validate [PATH...]  every stage up to the graph; without paths, all built-in and site
//                       files; a directory stands for its .chain and .pipeline files. Exit 0
//                       clean, 1 with errors (or warnings under --strict), 2 on a usage error.
//                       Each file's examples (NAME.examples beside it) run too, dry, unless
//                       --no-examples; a failing one is an error (./examples.ts).
//   validate --explain CODE  what a diagnostic code means, a file that draws it, and its fix.
//   compile [--out DIR] validate, then write each file's IR as NAME.chain.json /
//                       NAME.pipeline.json.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { CliContext, CliError, out } from '../context.js';
import { dslPaths } from '../dsl-paths.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../paths.js';
import { buildRegistry } from '../../registry.js';
import {
  checkWorkspace,
  CODE_GUIDE,
  explainCode,
  type Diagnostic,
  type DslFile,
  dslFilesIn,
  formatReport,
  formatSummary,
  hasErrors,
  type Registries,
  type WorkspaceResult,
} from '../../dsl/index.js';

/** A path as shown: relative to the working directory when below it. */
function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function parseFormat(opts: { json?: boolean; format?: string }): 'text' | 'json' {
  const format = opts.format ?? (opts.json ? 'json' : 'text');
  if (format !== 'text' && format !== 'json') throw new CliError(`unknown format '${format}': use text or json`, 2);
  return format;
}

/** Built-in and site files, then the given paths (which must exist), checked together. */
async function check(
  ctx: CliContext,
  given: string[],
): Promise<{ ws: WorkspaceResult; shown: Set<string>; count: number; registry: Registries }> {
  const paths = dslPaths(given);
  if (given.length > 0 && paths.length === 0)
    throw new CliError(`no .chain, .pipeline or .rules files in ${given.join(', ')}`, 2);
  const registry = await buildRegistry();
  const config = ctx.config;
  const files: DslFile[] = [
    ...dslFilesIn(BUILTIN_CHAIN_DIR, 'builtin', show),
    ...dslFilesIn(BUILTIN_PIPELINE_DIR, 'builtin', show),
    ...dslFilesIn(config.path('dsl', 'chain_dir'), 'site', show),
    ...dslFilesIn(config.path('dsl', 'pipeline_dir'), 'site', show),
    ...paths.map((p): DslFile => ({ file: p, path: p, origin: 'given' })),
  ];
  // A given file's `use` also finds the .rules files beside it.
  const rulesDirs = [...new Set(paths.map((p) => dirname(p)))];
  const ws = checkWorkspace(files, { registry, rulesDirs });
  // With paths, the other files are context only: report on the given ones.
  const shown = new Set(paths.length ? paths : ws.files.map((f) => f.file));
  return { ws, shown, count: shown.size, registry };
}

function print(
  diagnostics: Diagnostic[],
  sources: ReadonlyMap<string, string>,
  count: number,
  format: 'text' | 'json',
  examplesLine?: string,
): void {
  if (format === 'json') return out(JSON.stringify(diagnostics, null, 2));
  const report = formatReport(diagnostics, sources, count);
  if (!examplesLine) return out(report);
  // Just above the summary, which stays the last line as scripts read it.
  const summary = formatSummary(diagnostics, count);
  out(`${report.slice(0, report.length - summary.length)}${examplesLine}\n${summary}`);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description(
      'Check chain and pipeline files: names, types, regexes, targets, cycles (default: every built-in and site file).',
    )
    .argument(
      '[paths...]',
      '.chain and .pipeline files or directories of them, checked against the built-in and site files',
    )
    .option('--json', 'diagnostics as JSON (same as --format json)')
    .option('--format <format>', 'text or json', undefined)
    .option('--strict', 'warnings fail too')
    .option('--no-examples', 'do not run the examples files (NAME.examples) of the files checked')
    .option('--explain <code>', 'print what a diagnostic code means, with a broken example and its fix')
    .action(
      async (
        paths: string[],
        opts: { json?: boolean; format?: string; strict?: boolean; examples: boolean; explain?: string },
      ) => {
        if (opts.explain !== undefined) {
          const entry = explainCode(opts.explain);
          if (!entry)
            throw new CliError(`unknown code '${opts.explain}': the codes are ${[...CODE_GUIDE.keys()].join(', ')}`, 2);
          process.stdout.write(entry);
          return;
        }
        const format = parseFormat(opts);
        const { ws, shown, count, registry } = await check(ctx, paths);
        const diagnostics = ws.diagnostics.filter((d) => shown.has(d.file));
        let sources: ReadonlyMap<string, string> = ws.sources;
        let examplesLine: string | undefined;
        if (opts.examples) {
          // Loaded only here: running examples opens a database, which plain checking never needs.
          const { runExamples } = await import('../examples.js');
          const report = await runExamples(ws, shown, registry, ctx.config, ctx.runners);
          diagnostics.push(...report.diagnostics);
          sources = new Map([...ws.sources, ...report.sources]);
          examplesLine = report.run
            ? `${report.run} example${report.run === 1 ? '' : 's'} run, ${report.failed} failed`
            : undefined;
        }
        print(diagnostics, sources, count, format, examplesLine);
        const failed =
          hasErrors(diagnostics) || (opts.strict === true && diagnostics.some((d) => d.severity === 'warning'));
        process.exitCode = failed ? 1 : 0;
      },
    );

  program
    .command('compile')
    .description(
      'Validate every built-in and site file (or the given ones), then write each IR as NAME.chain.json or ' +
        'NAME.pipeline.json.',
    )
    .argument('[paths...]', 'only these files (checked against the built-in and site files)')
    .option('--out <dir>', 'where to write the IR (default: the cache, $var_dir/cache/dsl)')
    .option('--format <format>', 'text or json', undefined)
    .option('--strict', 'warnings fail too')
    .action(async (paths: string[], opts: { out?: string; format?: string; strict?: boolean }) => {
      const format = parseFormat(opts);
      const { ws, shown, count } = await check(ctx, paths);
      const dir = opts.out ?? join(ctx.config.varDir, 'cache', 'dsl');
      mkdirSync(dir, { recursive: true });
      const summary: {
        name: string;
        kind: string;
        file: string;
        ok: boolean;
        out?: string;
        count?: number;
        errors: number;
      }[] = [];
      for (const f of ws.files) {
        if (!shown.has(f.file) || f.overridden) continue; // a replaced built-in is not what runs
        if (f.path.endsWith('.rules')) continue; // no IR of its own: its rules are in the chains that use it
        const ir = f.result.ir;
        const errors = ws.diagnostics.filter((d) => d.file === f.file && d.severity === 'error').length;
        if (!ir || errors > 0) {
          summary.push({ name: f.name, kind: f.kind ?? '?', file: f.file, ok: false, errors });
          continue;
        }
        const target = join(dir, `${ir.name}.${ir.kind}.json`);
        writeFileSync(target, JSON.stringify(ir, null, 2) + '\n');
        summary.push({
          name: ir.name,
          kind: ir.kind,
          file: f.file,
          ok: true,
          out: show(target),
          count: ir.kind === 'chain' ? ir.links.length : ir.steps.length,
          errors: 0,
        });
      }
      const diagnostics = ws.diagnostics.filter((d) => shown.has(d.file));
      if (format === 'json') out(JSON.stringify({ files: summary, diagnostics }, null, 2));
      else {
        const width = Math.max(0, ...summary.map((s) => s.name.length));
        for (const s of summary) {
          const what = s.ok
            ? `${s.count} ${s.kind === 'chain' ? 'link' : 'step'}${s.count === 1 ? '' : 's'}, ok -> ${s.out}`
            : `not compiled: ${s.errors} error${s.errors === 1 ? '' : 's'}`;
          out(`${s.name.padEnd(width)}  ${s.kind.padEnd(8)}  ${what}`);
        }
        if (diagnostics.some((d) => d.severity !== 'note')) {
          out();
          out(formatReport(diagnostics, ws.sources, count));
        }
      }
      const failed =
        hasErrors(diagnostics) || (opts.strict === true && diagnostics.some((d) => d.severity === 'warning'));
      process.exitCode = failed ? 1 : 0;
    });
}
