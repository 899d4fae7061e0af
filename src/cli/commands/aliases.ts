// aliases: writes the MTA's map files now, as the server does after every list change; for
// a new installation, a restored database, or maps deleted by hand.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CliContext, CliError, out } from '../context.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('aliases')
    .description(
      'Write the MTA map files for every list (Postfix: postfix_lmtp, postfix_domains, postfix_vmap in data_dir).',
    )
    .option('-d, --directory <dir>', 'write them here instead of [paths] data_dir')
    .option('--json', 'as JSON: {"files": [...]}')
    .action(async (opts: { directory?: string; json?: boolean }) => {
      const services = await ctx.services();
      const incoming = ctx.config.get('mta', 'incoming');
      let files: string[];
      try {
        files = await services.mtaMaps.regenerate(opts.directory ? resolve(opts.directory) : undefined);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (opts.json) return out(JSON.stringify({ incoming, files }));
      if (!files.length) return out(`[mta] incoming is ${incoming}: it needs no map files.`);
      for (const f of files) out(f);
    });
}
