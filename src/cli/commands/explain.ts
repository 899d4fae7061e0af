// explain and graph: what a list's moderation would do with a message, and a chain or
// pipeline drawn as a graph.
//
// `mailman explain --list LIST [--chain NAME] FILE` (FILE `-` reads standard input) prints
// one line per link visited, then the decision; `--json` prints the trace of
// src/explain/ instead. Nothing is changed. Exit status: 0 explained (whatever
// the decision); 1 unknown list, chain or pipeline, or a malformed message; 2 the file
// cannot be read (as for a usage error).
//
// `mailman graph NAME [--kind chain|pipeline] [--format dot|svg] [--out FILE]` writes the
// DOT (or SVG) of a chain or pipeline of the catalog. Exit status: 0 written; 1 no such name,
// a name both a chain and a pipeline without --kind, or a file that does not compile; 2 a
// bad option or an output file that cannot be written.
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { CliContext, CliError } from '../context.js';
import {
  type DslCatalog,
  type DslIr,
  GRAPH_FORMATS,
  type GraphFormat,
  GraphTooLarge,
  openCatalog,
  renderGraph,
  toDot,
} from '../../dsl/index.js';
import { explainMessage, ExplainError, formatExplain } from '../../explain/index.js';
import { buildRegistry } from '../../registry.js';

function readMessage(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw new CliError(`cannot read ${file === '-' ? 'standard input' : file}: ${(err as Error).message}`, 2);
  }
}

/** The IR of a chain or pipeline by name, or a CliError saying why there is none. */
export function findIr(catalog: DslCatalog, name: string, kind?: 'chain' | 'pipeline'): DslIr {
  const entries = catalog.entries().filter((e) => e.name === name && (!kind || e.kind === kind));
  if (entries.length === 0) throw new CliError(`no ${kind ?? 'chain or pipeline'} named '${name}'`);
  if (entries.length > 1) throw new CliError(`'${name}' is both a chain and a pipeline: say which with --kind`);
  const entry = entries[0];
  const compiled = entry.kind === 'chain' ? catalog.chain(name) : catalog.pipeline(name);
  if (!compiled) {
    const diagnostics = catalog.diagnosticsByFile().get(entry.file) ?? [];
    throw new CliError(
      `${entry.kind} '${name}' (${entry.file}) does not ` +
        `compile${diagnostics.length ? `; run \`mailman validate ${entry.file}\`` : ''}`,
    );
  }
  return compiled.ir;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('explain')
    .argument('<file>', 'the message file (- for standard input)')
    .description("Show what the list's moderation would do with a message, link by link, without doing it.")
    .requiredOption('-l, --list <list>', 'the list (posting address or list id)')
    .option('--chain <name>', "the start chain (default: the list's posting_chain)")
    .option('--pipeline <name>', "the pipeline to show (default: the list's, when the message would be accepted)")
    .option('--sender <address>', 'the envelope sender (default: X-MailFrom or Return-Path of the message)')
    .option('--owner', "as mail to the list's -owner address (owner_chain)")
    .option('--json', 'print the trace as JSON')
    .action(
      async (
        file: string,
        opts: { list: string; chain?: string; pipeline?: string; sender?: string; owner?: boolean; json?: boolean },
      ) => {
        const raw = readMessage(file);
        const services = await ctx.services();
        const mlist = await services.lists.get(opts.list);
        if (!mlist) throw new CliError(`No such list: ${opts.list}`);
        const catalog = openCatalog(ctx.config, await buildRegistry(), { log: false });
        try {
          const trace = await explainMessage({
            services,
            catalog,
            mlist,
            raw,
            chain: opts.chain,
            pipeline: opts.pipeline,
            sender: opts.sender,
            owner: opts.owner,
          });
          process.stdout.write(opts.json ? JSON.stringify(trace, null, 2) + '\n' : formatExplain(trace));
        } catch (err) {
          if (err instanceof ExplainError) throw new CliError(err.message);
          throw err;
        }
      },
    );

  program
    .command('graph')
    .argument('<name>', 'a chain or pipeline of the catalog')
    .description('Draw a chain or pipeline as a Graphviz graph (DOT or SVG).')
    .option('--kind <kind>', 'chain or pipeline, when a name is both')
    .option('--format <format>', 'dot or svg', 'dot')
    .option('-o, --out <file>', 'write to this file (default: standard output)')
    .option('--json', 'the compiled graph the drawing is made of (its IR), as JSON')
    .action(async (name: string, opts: { kind?: string; format: string; out?: string; json?: boolean }) => {
      if (opts.kind !== undefined && opts.kind !== 'chain' && opts.kind !== 'pipeline')
        throw new CliError(`--kind must be chain or pipeline, not '${opts.kind}'`, 2);
      if (opts.json) {
        const catalog = openCatalog(ctx.config, await buildRegistry(), { log: false });
        const ir = findIr(catalog, name, opts.kind as 'chain' | 'pipeline' | undefined);
        const text = JSON.stringify(ir, null, 2) + '\n';
        if (!opts.out) return void process.stdout.write(text);
        try {
          return writeFileSync(opts.out, text);
        } catch (err) {
          throw new CliError(`cannot write ${opts.out}: ${(err as Error).message}`, 2);
        }
      }
      if (!(GRAPH_FORMATS as readonly string[]).includes(opts.format))
        throw new CliError(`--format must be one of ${GRAPH_FORMATS.join(', ')}, not '${opts.format}'`, 2);
      const catalog = openCatalog(ctx.config, await buildRegistry(), { log: false });
      let text: string;
      try {
        text = await renderGraph(
          toDot(findIr(catalog, name, opts.kind as 'chain' | 'pipeline' | undefined)),
          opts.format as GraphFormat,
        );
      } catch (err) {
        if (err instanceof GraphTooLarge) throw new CliError(`${name}: ${err.message}`);
        throw err;
      }
      if (!opts.out) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(opts.out, text);
      } catch (err) {
        throw new CliError(`cannot write ${opts.out}: ${(err as Error).message}`, 2);
      }
    });
}
