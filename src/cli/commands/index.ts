// Every `mailman` command module, in the order `mailman --help` lists them. Adding a command
// is a module in this folder exporting `register(program, ctx)` and its name on one line below.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export interface CliCommand {
  register(program: Command, ctx: CliContext): void;
}

const IN_ORDER = [
  'server', // start, stop, restart, status
  'conf',
  'aliases',
  'lists',
  'members',
  'roster', // delmembers, findmember, changeaddress
  'syncmembers',
  'notify',
  'digests',
  'gatenews',
  'inject',
  'queues',
  'held',
  'fmt',
  'explain',
  'listconf',
  'validate',
  'lsp',
  'components',
];

export const COMMAND_NAMES: readonly string[] = IN_ORDER;

export const COMMANDS: readonly CliCommand[] = await Promise.all(
  IN_ORDER.map(async (name) => (await import(`./${name}.js`)) as CliCommand),
);
