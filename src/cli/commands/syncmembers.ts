// syncmembers: make a list's members exactly the addresses of a file, as Mailman's command
// does: the missing are subscribed (pre-verified, confirmed and approved) and the extra
// removed, each with the welcome or goodbye message and owners' notice the options or the
// list's settings ask for. With --no-change it only says what it would do.
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { formatAddress } from '../../email/addresses.js';
import { BadRequestError, ConflictError } from '../../services/errors.js';
import { Progress } from '../progress.js';
import { NoticePool } from '../notice-pool.js';
import { deliveryOption, readRosterFile, type RosterEntry } from '../roster-file.js';

interface SyncOptions {
  delivery?: string;
  welcomeMsg?: boolean;
  goodbyeMsg?: boolean;
  adminNotify?: boolean;
  change?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('syncmembers')
    .argument('<file>', 'one "Name <address>" or address per line; - reads standard input')
    .argument('<listspec>', 'the list (posting address or list id)')
    .description('Make the members of a list the addresses of a file: subscribe the missing, remove the rest.')
    .option(
      '-d, --delivery <mode>',
      'for new members: regular, mime, plain, summary or disabled (default: as the preferences say)',
    )
    .option('-w, --welcome-msg', 'send new members the welcome message (default: as the list says)')
    .option('-W, --no-welcome-msg', 'send no welcome message')
    .option('-g, --goodbye-msg', 'send removed members the goodbye message (default: as the list says)')
    .option('-G, --no-goodbye-msg', 'send no goodbye message')
    .option('-a, --admin-notify', "notify the list's owners of each change (default: as the list says)")
    .option('-A, --no-admin-notify', 'no notices to the owners')
    .option('-n, --no-change', 'change nothing: only show what would be done')
    .option('--dry-run', 'the same as --no-change')
    .option('--json', 'what was (or would be) added, removed and skipped, as JSON')
    .action(async (file: string, listspec: string, opts: SyncOptions) => {
      const delivery = deliveryOption(opts.delivery);
      const dryRun = opts.change === false || !!opts.dryRun;
      const services = await ctx.services();
      const mlist = await services.lists.get(listspec);
      if (!mlist) throw new CliError(`No such list: ${listspec}`);
      const { entries, unparsable } = readRosterFile(file);
      const wanted = new Map<string, RosterEntry>();
      for (const entry of entries) if (!wanted.has(entry.email)) wanted.set(entry.email, entry);
      const roster = await services.members.roster(mlist.list_id, 'member');
      const current = new Set(roster.map((v) => v.address.email));
      const toAdd = [...wanted.values()].filter((e) => !current.has(e.email));
      const toRemove = roster.filter((v) => !wanted.has(v.address.email));

      const added: { email: string; display_name: string }[] = [];
      const removed: { email: string }[] = [];
      const skipped = unparsable.map((line) => ({ line, reason: 'Cannot parse as a valid email address' }));
      const progress = dryRun ? undefined : await Progress.start(toAdd.length + toRemove.length, 'synchronising');
      const notices = new NoticePool();
      try {
        for (const entry of toAdd) {
          progress?.tick();
          if (dryRun) {
            added.push({ email: entry.email, display_name: entry.name });
            continue;
          }
          try {
            const view = await services.members.subscribe(mlist, entry.email, {
              displayName: entry.name,
              deliveryMode: delivery.mode,
              deliveryStatus: delivery.status,
              verified: true,
            });
            await notices.add(() =>
              services.workflows.afterSubscribe(mlist, view, opts.welcomeMsg ?? null, opts.adminNotify ?? null),
            );
            added.push({ email: entry.email, display_name: entry.name });
          } catch (err) {
            // A ban, or a membership made meanwhile: the rest of the file still goes in.
            if (err instanceof BadRequestError || err instanceof ConflictError)
              skipped.push({ line: entry.line, reason: err.message });
            else throw err;
          }
        }
        for (const { member, address } of toRemove) {
          progress?.tick();
          if (!dryRun)
            await services.workflows.deleteMember(
              mlist,
              member,
              address.email,
              opts.goodbyeMsg ?? null,
              opts.adminNotify ?? null,
            );
          removed.push({ email: address.email });
        }
        await notices.drain();
      } finally {
        progress?.stop();
      }

      if (opts.json)
        return out(JSON.stringify({ list_id: mlist.list_id, dry_run: dryRun, added, removed, skipped }, null, 2));
      for (const a of added) out(`[ADD] ${formatAddress(a.email, a.display_name)}`);
      for (const r of removed) out(`[DEL] ${r.email}`);
      for (const s of skipped) out(`${s.reason} (skipping): ${s.line}`);
      if (!added.length && !removed.length) out('Nothing to do');
    });
}
