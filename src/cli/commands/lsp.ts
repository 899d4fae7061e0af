// `mailman lsp --stdio`: the language server for .chain and .pipeline files (src/lsp/), which
// an editor starts and speaks LSP to over standard input and output. It checks files against
// the built-in ones, the site's (when a configuration is found) and the editor's workspace.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { CliContext, CliError } from '../context.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../paths.js';
import { buildRegistry } from '../../registry.js';
import { startLanguageServer } from '../../lsp/server.js';

/** The site's directories; a missing or broken configuration only means there are none. */
function siteDirs(ctx: CliContext): string[] {
  try {
    return ['chain_dir', 'pipeline_dir'].map((k) => ctx.config.path('dsl', k)).filter((d) => existsSync(d));
  } catch {
    return [];
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('lsp')
    .description('Run the language server for .chain and .pipeline files (LSP over standard input and output).')
    .option('--stdio', 'speak LSP over standard input and output (the only transport)')
    .action(async (opts: { stdio?: boolean }) => {
      if (!opts.stdio) throw new CliError('name the transport: mailman lsp --stdio', 2);
      const registry = await buildRegistry();
      startLanguageServer({
        registry,
        builtinDirs: [BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR],
        siteDirs: siteDirs(ctx),
        input: process.stdin,
        output: process.stdout,
      });
      // Returning leaves the server listening: the client's `exit` (or the end of standard
      // input) ends the process.
    });
}
