// gatenews: News to mail, as Mailman's `mailman gatenews`: each list with gateway_to_mail gets
// the new articles of its linked newsgroup as posts (src/delivery/gatenews.ts). The nntp runner
// runs the same every [nntp] gatenews_every; this is for cron or by hand.
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { gateAllNews } from '../../delivery/gatenews.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('gatenews')
    .description("Post the new articles of each gateway_to_mail list's linked newsgroup to the list.")
    .option('-n, --dry-run', 'read the groups, queue nothing and move no watermark')
    .option('--json', 'each list with its group, what was gated and skipped, and its watermark, as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const services = await ctx.services();
      const reports = await gateAllNews(services, opts.dryRun);
      if (opts.json) out(JSON.stringify(reports, null, 2));
      else
        for (const r of reports) {
          if (r.error) process.stderr.write(`${r.list_id}: ${r.error}\n`);
          else if (r.first)
            out(`${r.list_id}: ${r.group} starts at article ${r.watermark}; nothing gated the first time`);
          else out(`${r.list_id}: ${r.gated} gated, ${r.skipped} of its own skipped, watermark ${r.watermark}`);
        }
      if (reports.some((r) => r.error)) throw new CliError('some lists could not be gated', 1);
    });
}
