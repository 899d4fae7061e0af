// conf, info and version: what this installation is and how it is configured.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
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

  program
    .command('info')
    .description('Show the version, the configuration file, the REST root URL and (with -v) every path.')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('-v, --verbose', 'every [paths] entry too')
    .option('--json', 'as a JSON object (every path included)')
    .action((opts: { output?: string; verbose?: boolean; json?: boolean }) => {
      const config = ctx.config;
      const web = (key: string) => config.get('webservice', key);
      const scheme = config.bool('webservice', 'use_https') ? 'https' : 'http';
      const info = {
        version: VERSION,
        node: process.version,
        config_file: config.file ?? null,
        rest_root_url: `${scheme}://${web('hostname')}:${web('port')}/${web('api_version')}/`,
        // The password stays in the configuration file: this output is often pasted into bug reports.
        rest_user: web('admin_user'),
        paths: Object.fromEntries(
          Object.keys(config.dump().paths ?? {})
            .sort()
            .map((key) => [key, config.path('paths', key)]),
        ),
      };
      const lines = opts.json
        ? [JSON.stringify(info, null, 2)]
        : [
            `GNU Mailman compatible mailman-ts ${info.version}`,
            `Node ${info.node}`,
            `config file: ${info.config_file ?? '(none: the built-in defaults)'}`,
            `REST root url: ${info.rest_root_url}`,
            `REST user: ${info.rest_user}`,
            ...(opts.verbose ? Object.entries(info.paths).map(([k, v]) => `File system paths: ${k} = ${v}`) : []),
          ];
      if (!opts.output) return lines.forEach((line) => out(line));
      try {
        writeFileSync(opts.output, lines.map((line) => line + '\n').join(''));
      } catch (err) {
        throw new CliError(`${opts.output}: cannot write: ${(err as Error).message}`);
      }
    });
}
