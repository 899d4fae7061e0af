// digests: send or renumber lists' digests by hand or from cron, as Mailman's `mailman
// digests` does: --bump moves the numbering on, --send sends what each list has collected
// whatever its size, --periodic does so for the lists with digest_send_periodic. Sending is
// services/digests.ts, as for the size threshold and REST.
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { bumpDigestNumber, sendDigestNow } from '../../services/digests.js';
import type { MailingList } from '../../model/entities.js';

interface DigestReport {
  list_id: string;
  volume: number;
  next_digest_number: number;
  bumped?: { volume: number; next_digest_number: number };
  sent?: { volume: number; digest_number: number } | null;
}

interface Options {
  list: string[];
  send?: boolean;
  bump?: boolean;
  periodic?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('digests')
    .description("Send lists' digests now, or move their numbering on.")
    .option(
      '-l, --list <listspec>',
      'only this list (repeatable; a list id or posting address; default: every list)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('-s, --send', 'send what each list has collected now, whatever its size threshold')
    .option('-b, --bump', 'start the next digest number (or volume); before any sending')
    .option('-p, --periodic', 'send what is collected, for the lists with digest_send_periodic')
    .option('-n, --dry-run', 'change and send nothing; with --verbose, say what would happen')
    .option('-v, --verbose', 'say what is done to each list')
    .option('--json', 'each list with its numbering and what was done, as JSON')
    .action(async (opts: Options) => {
      if (opts.send && opts.periodic) throw new CliError('--send and --periodic cannot be used together', 1);
      const services = await ctx.services();
      const lists: MailingList[] = [];
      for (const spec of opts.list) {
        const mlist = await services.lists.get(spec);
        // As Mailman: an unknown list is reported and the others are still done.
        if (!mlist) process.stderr.write(`No such list found: ${spec}\n`);
        else lists.push(mlist);
      }
      if (!opts.list.length) lists.push(...(await services.lists.all()));
      const reports: DigestReport[] = [];
      const say = (line: string) => {
        if (opts.verbose && !opts.json) out(line);
      };
      for (const mlist of lists) {
        const r: DigestReport = {
          list_id: mlist.list_id,
          volume: mlist.volume,
          next_digest_number: mlist.next_digest_number,
        };
        if (opts.bump) {
          say(`${mlist.list_id} is at volume ${mlist.volume}, number ${mlist.next_digest_number}`);
          if (!opts.dryRun) {
            const next = await bumpDigestNumber(services, mlist);
            r.bumped = { volume: next.volume, next_digest_number: next.next_digest_number };
            say(`${mlist.list_id} bumped to volume ${next.volume}, number ${next.next_digest_number}`);
          }
        }
        if (opts.send || (opts.periodic && mlist.digest_send_periodic)) {
          say(`${mlist.list_id} sent volume ${mlist.volume}, number ${mlist.next_digest_number}`);
          if (!opts.dryRun) {
            const sent = await sendDigestNow(services, mlist, { force: true });
            r.sent = sent && { volume: sent.volume, digest_number: sent.digest_number };
          }
        }
        reports.push(r);
      }
      if (opts.json) out(JSON.stringify(reports, null, 2));
    });
}
