// unshunt and qfile: looking at and recovering what the runners set aside.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliContext, CliError, out } from '../context.js';
import { Switchboard } from '../../queue/switchboard.js';
import { decodeQueueFile } from '../../queue/qfile.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('unshunt')
    .description('Put shunted messages back in the queue they failed in (or discard them).')
    .option('-d, --discard', 'delete the shunted messages instead')
    .option('--json', 'what was done, as JSON: {"action": "requeued" or "discarded", "count": N, "queues": {...}}')
    .action(async (opts: { discard?: boolean; json?: boolean }) => {
      const queueDir = ctx.config.queueDir;
      const shunt = new Switchboard('shunt', queueDir);
      await shunt.recover(new Switchboard('bad', queueDir));
      let moved = 0;
      const byQueue: Record<string, number> = {};
      for (const base of shunt.files()) {
        const { raw, msgdata } = await shunt.dequeue(base);
        if (!opts.discard) {
          const target = typeof msgdata.whichq === 'string' ? msgdata.whichq : 'in';
          const { whichq: _w, shunt_reason: _r, _bak_count: _b, ...rest } = msgdata;
          await new Switchboard(target, queueDir).enqueue(raw, rest);
          byQueue[target] = (byQueue[target] ?? 0) + 1;
        }
        await shunt.finish(base);
        moved++;
      }
      if (opts.json) {
        const action = opts.discard ? 'discarded' : 'requeued';
        return out(JSON.stringify({ action, count: moved, queues: byQueue }, null, 2));
      }
      out(`${opts.discard ? 'Discarded' : 'Requeued'} ${moved} shunted message${moved === 1 ? '' : 's'}`);
    });

  program
    .command('qfile')
    .argument('<file>', 'a queue file (.qmsg or .bak)')
    .description('Show the metadata and the message of a queue file.')
    .option('-n, --noprint', 'check that it reads, print nothing')
    .option('--json', 'as JSON: {"msgdata": {...}, "message": "..."}')
    .action((file: string, opts: { noprint?: boolean; json?: boolean }) => {
      let entry;
      try {
        entry = decodeQueueFile(readFileSync(file));
      } catch (err) {
        throw new CliError(`Cannot read ${file}: ${(err as Error).message}`);
      }
      if (opts.noprint) return;
      if (opts.json)
        return out(JSON.stringify({ msgdata: entry.msgdata, message: entry.raw.toString('utf8') }, null, 2));
      out('[----- start metadata -----]');
      out(JSON.stringify(entry.msgdata, null, 2));
      out('[----- end metadata -----]');
      out('[----- start message -----]');
      out(entry.raw.toString('utf8'));
      out('[----- end message -----]');
    });
}
