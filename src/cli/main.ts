// The `mailman` command. Each command lives in its own module under commands/ (listed in commands/index.ts).
import { Command, CommanderError } from 'commander';
import { CliContext, CliError } from './context.js';
import { ConfigError } from '../config/config.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { runnerTable } from '../registry.js';
import { applyServerUmask } from '../master/umask.js';

// Before any command can write under var (the master and its runners inherit it too).
applyServerUmask();

// `mailman ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const ctx = new CliContext();
const program = new Command('mailman')
  .description('mailman-ts: GNU Mailman 3 Core compatible mailing-list server, with chains and pipelines in files.')
  .version(VERSION, '--version', 'print the version')
  .option('-C, --config <file>', 'configuration file (default: $MAILMAN_CONFIG_FILE, then ./mailman.conf)')
  .showHelpAfterError('(run "mailman --help" or "mailman COMMAND --help" for usage)')
  .exitOverride();

program.hook('preAction', async (cmd) => {
  ctx.configFile = cmd.opts<{ config?: string }>().config;
  ctx.runners = await runnerTable();
});

for (const command of COMMANDS) command.register(program, ctx);

try {
  await program.parseAsync(process.argv);
  await ctx.close();
} catch (err) {
  await ctx.close().catch(() => undefined);
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`mailman: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else if (err instanceof ConfigError) {
    // Found only once the database is opened (a [database] class that disagrees with its url).
    process.stderr.write(`mailman: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`mailman: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  }
}
