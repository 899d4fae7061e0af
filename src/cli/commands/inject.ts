// inject: put a message file straight into a queue, for a list, as if it had arrived.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliContext, CliError, out } from '../context.js';
import { QUEUE_NAMES } from '../../queue/switchboard.js';
import { injectedMsgdata } from '../../services/inject.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('inject')
    .argument('<listspec>', 'the list (posting address or list id)')
    .description("Inject a message into one of the server's queues.")
    .option('-q, --queue <queue>', 'the queue', 'in')
    .option('-s, --show', 'list the queue names and exit')
    .option('-f, --filename <file>', 'the message file (default: standard input)')
    .option(
      '-m, --metadata <key=value>',
      'extra metadata (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--json', 'as JSON: the queue file written (or, with --show, the queue names)')
    .action(
      async (
        listspec: string,
        opts: { queue: string; show?: boolean; filename?: string; metadata: string[]; json?: boolean },
      ) => {
        if (opts.show && opts.json) return out(JSON.stringify(QUEUE_NAMES));
        if (opts.show) {
          out('Available queues:');
          for (const q of QUEUE_NAMES) out(`    ${q}`);
          return;
        }
        if (!(QUEUE_NAMES as readonly string[]).includes(opts.queue))
          throw new CliError(`No such queue: ${opts.queue}`, 2);
        const services = await ctx.services();
        const mlist = await services.lists.get(listspec);
        if (!mlist) throw new CliError(`No such list: ${listspec}`);
        const raw = readFileSync(opts.filename ?? 0);
        const extra: Record<string, string> = {};
        for (const kv of opts.metadata) {
          const eq = kv.indexOf('=');
          if (eq <= 0) throw new CliError(`Metadata must be key=value: ${kv}`, 2);
          extra[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        const file = await services.queues.get(opts.queue).enqueue(raw, injectedMsgdata(mlist, raw, extra));
        if (opts.json) out(JSON.stringify({ list_id: mlist.list_id, queue: opts.queue, file, bytes: raw.length }));
      },
    );
}
