// components: what a chain or pipeline file can name, read from the one registry, so the
// list is never out of date: rules (with their parameters), effects for `run`, handlers for
// pipeline steps, the link sources of `for`; and the email commands -request understands.
import type { Command } from 'commander';
import { CliError, out } from '../context.js';
import { buildRegistry, type Component, type EmailCommand, type ParamSpec, type Registry } from '../../registry.js';

/** Each kind the command lists, and the part of the registry it is. */
const KINDS = {
  rules: 'rules',
  effects: 'effects',
  handlers: 'handlers',
  sources: 'linkSources',
  commands: 'emailCommands',
  archivers: 'archivers',
} as const satisfies Record<string, keyof Registry>;
type Kind = keyof typeof KINDS;

function param(p: ParamSpec): string {
  const def =
    p.default === undefined
      ? ''
      : typeof p.default === 'string' && p.default.startsWith('list.')
        ? ` = ${p.default}`
        : ` = ${JSON.stringify(p.default)}`;
  return `${p.name}: ${p.type}${p.required ? '' : '?'}${def}`;
}

export function register(program: Command): void {
  program
    .command('components')
    .argument('[kind]', `${Object.keys(KINDS).join(', ')}; without it, all of them`)
    .description(
      'List the rules, effects, handlers and link sources that chain and pipeline files can name, ' +
        'and the email commands.',
    )
    .option('--json', 'as JSON')
    .action(async (kind: string | undefined, opts: { json?: boolean }) => {
      if (kind !== undefined && !(kind in KINDS))
        throw new CliError(`Unknown kind: ${kind} (use ${Object.keys(KINDS).join(', ')})`, 2);
      const registry = await buildRegistry();
      const kinds = (kind ? [kind] : Object.keys(KINDS)) as Kind[];
      const describe = (c: Component & Partial<EmailCommand>) => ({
        name: c.name,
        description: c.description,
        params: c.params ?? [],
        ...(c.argumentSyntax !== undefined ? { aliases: c.aliases ?? [], argumentSyntax: c.argumentSyntax } : {}),
      });
      const all = (k: Kind) => registry[KINDS[k]].all() as Component[];
      const listing = Object.fromEntries(kinds.map((k) => [k, all(k).map(describe)]));
      if (opts.json) return out(JSON.stringify(listing, null, 2));
      for (const k of kinds) {
        out(`${k}:`);
        for (const c of listing[k]) {
          const shape = c.argumentSyntax
            ? ` ${c.argumentSyntax}`
            : c.params.length
              ? `(${c.params.map(param).join(', ')})`
              : '';
          const also = c.aliases?.length ? ` (also: ${c.aliases.join(', ')})` : '';
          out(`  ${c.name}${shape}${also}\n      ${c.description}`);
        }
        out();
      }
    });
}
