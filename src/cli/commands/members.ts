// addmembers and members: rosters from the command line.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliContext, CliError, out } from '../context.js';
import { parseAddresses, formatAddress } from '../../email/addresses.js';
import { ConflictError, BadRequestError } from '../../services/errors.js';
import { ROLES, type MemberRole } from '../../model/vocabulary.js';
import { Progress } from '../progress.js';

const DELIVERY: Record<string, { mode: string; status?: string }> = {
  regular: { mode: 'regular' },
  mime: { mode: 'mime_digests' },
  plain: { mode: 'plaintext_digests' },
  summary: { mode: 'summary_digests' },
  disabled: { mode: 'regular', status: 'by_moderator' },
};

export function register(program: Command, ctx: CliContext): void {
  program
    .command('addmembers')
    .argument('<file>', 'one "Name <address>" or address per line; - reads standard input')
    .argument('<listspec>', 'the list (posting address or list id)')
    .description('Subscribe the addresses in a file to a list.')
    .option('-d, --delivery <mode>', 'regular, mime, plain, summary or disabled', 'regular')
    .option('-r, --role <role>', 'member, owner, moderator or nonmember', 'member')
    .action(async (file: string, listspec: string, opts: { delivery: string; role: string }) => {
      const delivery = DELIVERY[opts.delivery];
      if (!delivery)
        throw new CliError(`Unknown delivery mode: ${opts.delivery} (use ${Object.keys(DELIVERY).join(', ')})`, 2);
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`Unknown role: ${opts.role}`, 2);
      const services = await ctx.services();
      const mlist = await services.lists.get(listspec);
      if (!mlist) throw new CliError(`No such list: ${listspec}`);
      const lines = readFileSync(file === '-' ? 0 : file, 'utf8')
        .split(/\r?\n/)
        .filter((line) => line.trim() && !line.trim().startsWith('#'));
      // What was skipped is said after the bar is gone, so the two never share a line.
      const progress = await Progress.start(lines.length, 'subscribing');
      const skipped: string[] = [];
      for (const line of lines) {
        progress.tick();
        const [addr] = parseAddresses(line);
        if (!addr) {
          skipped.push(`Cannot parse as a valid email address (skipping): ${line}`);
          continue;
        }
        try {
          await services.members.subscribe(mlist, addr.email, {
            role: opts.role as MemberRole,
            displayName: addr.name,
            deliveryMode: delivery.mode,
            deliveryStatus: delivery.status,
            verified: true,
          });
        } catch (err) {
          if (err instanceof ConflictError)
            skipped.push(`Already subscribed (skipping): ${formatAddress(addr.email, addr.name)}`);
          else if (err instanceof BadRequestError) skipped.push(`${err.message} (skipping): ${line}`);
          else {
            progress.stop();
            throw err;
          }
        }
      }
      progress.stop();
      for (const line of skipped) out(line);
    });

  program
    .command('members')
    .argument('<listspec>', 'the list (posting address or list id)')
    .description("Show a list's members.")
    .option('-R, --role <role>', 'member, owner, moderator, nonmember, administrator or any', 'member')
    .option('-e, --email-only', 'addresses only, without display names')
    .option('-c, --count-only', 'only the number of members')
    .option('--json', 'the memberships as a JSON array (with --count-only: {"count": N})')
    .action(
      async (listspec: string, opts: { role: string; emailOnly?: boolean; countOnly?: boolean; json?: boolean }) => {
        const services = await ctx.services();
        const mlist = await services.lists.get(listspec);
        if (!mlist) throw new CliError(`No such list: ${listspec}`);
        let roles: MemberRole[];
        if (opts.role === 'any') roles = [...ROLES];
        else if (opts.role === 'administrator') roles = ['owner', 'moderator'];
        else if ((ROLES as readonly string[]).includes(opts.role)) roles = [opts.role as MemberRole];
        else throw new CliError(`Unknown role: ${opts.role}`, 2);
        const views = (await Promise.all(roles.map((r) => services.members.roster(mlist.list_id, r)))).flat();
        if (opts.json && opts.countOnly) return out(JSON.stringify({ count: views.length }));
        if (opts.json) {
          const rows = views.map(({ member, address }) => ({
            email: address.email,
            original_email: address.original_email,
            display_name: member.display_name || address.display_name,
            role: member.role,
            delivery_mode: member.delivery_mode,
            delivery_status: member.delivery_status,
            moderation_action: member.moderation_action,
            subscribed_on: member.subscribed_on,
          }));
          return out(JSON.stringify(rows, null, 2));
        }
        if (opts.countOnly) return out(String(views.length));
        if (!views.length) return out(`${mlist.list_name}@${mlist.mail_host} has no members`);
        for (const { member, address } of views) {
          out(
            opts.emailOnly
              ? address.original_email
              : formatAddress(address.original_email, member.display_name || address.display_name),
          );
        }
      },
    );
}
