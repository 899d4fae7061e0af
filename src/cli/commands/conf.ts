import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { VERSION } from '../../version.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('conf')
    .description('Print the effective configuration (defaults overlaid by the site file).')
    .option('-s, --section <section>', 'only this section')
    .option('-k, --key <key>', 'only this key (in every section that has it, or in --section)')
    .option('--json', 'as a JSON object: section -> key -> value')
    .action((opts: { section?: string; key?: string; json?: boolean }) => {
      const dump = ctx.config.dump();
      if (opts.section && !dump[opts.section]) throw new CliError(`No such section: ${opts.section}`);
      const sections = opts.section ? [opts.section] : Object.keys(dump).sort();
      if (opts.json) {
        const picked: Record<string, Record<string, string>> = {};
        for (const s of sections) {
          const keys = Object.entries(dump[s]).filter(([k]) => !opts.key || k === opts.key);
          if (keys.length) picked[s] = Object.fromEntries(keys.sort(([a], [b]) => a.localeCompare(b)));
        }
        if (opts.key && !Object.keys(picked).length) throw new CliError(`No such key: ${opts.key}`);
        return out(JSON.stringify(picked, null, 2));
      }
      let printed = 0;
      for (const s of sections) {
        for (const [k, v] of Object.entries(dump[s]).sort()) {
          if (opts.key && k !== opts.key) continue;
          printed++;
          out(opts.key && opts.section ? v : `[${s}] ${k}: ${v.includes('\n') ? v.replace(/\n/g, '\n    ') : v}`);
        }
      }
      if (opts.key && !printed) throw new CliError(`No such key: ${opts.key}`);
    });

  program
    .command('version')
    .description('Print the version.')
    .option('--json', 'as JSON: {"version": "..."}')
    .action((opts: { json?: boolean }) =>
      out(opts.json ? JSON.stringify({ version: VERSION }) : `GNU Mailman compatible mailman-ts ${VERSION}`),
    );
}
