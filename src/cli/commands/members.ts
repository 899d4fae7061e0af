// addmembers and members: rosters from the command line.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { CliContext, CliError, out } from '../context.js';
import { formatAddress } from '../../email/addresses.js';
import { ConflictError, BadRequestError } from '../../services/errors.js';
import { ROLES, DELIVERY_STATUSES, type MemberRole } from '../../model/vocabulary.js';
import { Progress } from '../progress.js';
import type { EffectivePreferences } from '../../model/preferences.js';
import { NoticePool } from '../notice-pool.js';
import { deliveryOption, readRosterFile } from '../roster-file.js';

/** --digest KIND: the delivery modes it selects (Mailman's names). */
const DIGESTS: Record<string, string[]> = {
  any: ['plaintext_digests', 'mime_digests', 'summary_digests'],
  plaintext: ['plaintext_digests'],
  mime: ['mime_digests'],
  summary: ['summary_digests'],
};

/** --nomail KIND: the delivery statuses it selects; Mailman spells them byuser etc., REST by_user. */
const NOMAIL: Record<string, string[]> = {
  enabled: ['enabled'],
  any: DELIVERY_STATUSES.filter((s) => s !== 'enabled'),
  unknown: ['unknown'],
  byadmin: ['by_moderator'],
  by_admin: ['by_moderator'],
  by_moderator: ['by_moderator'],
  byuser: ['by_user'],
  by_user: ['by_user'],
  bybounces: ['by_bounces'],
  by_bounces: ['by_bounces'],
};

function rolesOf(role: string): MemberRole[] {
  if (role === 'any') return [...ROLES];
  if (role === 'administrator') return ['owner', 'moderator'];
  if ((ROLES as readonly string[]).includes(role)) return [role as MemberRole];
  throw new CliError(`Unknown role: ${role} (use ${ROLES.join(', ')}, administrator or any)`, 2);
}

function choice(table: Record<string, string[]>, value: string, option: string): string[] {
  const picked = table[value];
  if (!picked) throw new CliError(`Unknown ${option}: ${value} (use ${Object.keys(table).join(', ')})`, 2);
  return picked;
}

interface MembersOptions {
  role: string;
  regular?: boolean;
  digest?: string | true;
  nomail?: string | true;
  emailOnly?: boolean;
  countOnly?: boolean;
  output?: string;
  json?: boolean;
}

/** The filter the options ask for: a membership is shown when every given criterion holds. */
function memberFilter(opts: MembersOptions): (p: EffectivePreferences) => boolean {
  if (opts.regular && opts.digest) throw new CliError('give --regular or --digest, not both', 2);
  const modes = opts.regular
    ? ['regular']
    : opts.digest
      ? choice(DIGESTS, opts.digest === true ? 'any' : opts.digest, '--digest kind')
      : undefined;
  const statuses = opts.nomail
    ? choice(NOMAIL, opts.nomail === true ? 'any' : opts.nomail, '--nomail kind')
    : undefined;
  return (p) => (!modes || modes.includes(p.delivery_mode)) && (!statuses || statuses.includes(p.delivery_status));
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('addmembers')
    .argument('<file>', 'one "Name <address>" or address per line; - reads standard input')
    .argument('<listspec>', 'the list (posting address or list id)')
    .description('Subscribe the addresses in a file to a list (pre-verified, confirmed and approved).')
    .option('-d, --delivery <mode>', 'regular, mime, plain, summary or disabled (default: as the preferences say)')
    .option('-r, --role <role>', 'member, owner, moderator or nonmember', 'member')
    .option('-w, --welcome-msg', 'send each new member the welcome message (default: as the list says)')
    .option('-W, --no-welcome-msg', 'send no welcome message')
    .option('-a, --admin-notify', "notify the list's owners of each new member (default: as the list says)")
    .option('-A, --no-admin-notify', 'no notice to the owners')
    .option('--json', 'what was subscribed and what was skipped, as JSON')
    .action(
      async (
        file: string,
        listspec: string,
        opts: { delivery?: string; role: string; welcomeMsg?: boolean; adminNotify?: boolean; json?: boolean },
      ) => {
        const delivery = deliveryOption(opts.delivery);
        if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`Unknown role: ${opts.role}`, 2);
        const role = opts.role as MemberRole;
        const services = await ctx.services();
        const mlist = await services.lists.get(listspec);
        if (!mlist) throw new CliError(`No such list: ${listspec}`);
        const { entries, unparsable } = readRosterFile(file);
        const skipped = unparsable.map((line) => ({ line, reason: 'Cannot parse as a valid email address' }));
        const added: { email: string; display_name: string }[] = [];
        // What was skipped is said after the bar is gone, so the two never share a line.
        const progress = await Progress.start(entries.length + unparsable.length, 'subscribing');
        for (const _ of unparsable) progress.tick();
        const notices = new NoticePool();
        try {
          for (const entry of entries) {
            progress.tick();
            try {
              const view = await services.members.subscribe(mlist, entry.email, {
                role,
                displayName: entry.name,
                deliveryMode: delivery.mode,
                deliveryStatus: delivery.status,
                verified: true,
              });
              // Welcome and owners' notice come with a membership, not with an owner or a moderator.
              if (role === 'member')
                await notices.add(() =>
                  services.workflows.afterSubscribe(mlist, view, opts.welcomeMsg ?? null, opts.adminNotify ?? null),
                );
              added.push({ email: entry.email, display_name: entry.name });
            } catch (err) {
              if (err instanceof ConflictError)
                skipped.push({ line: formatAddress(entry.email, entry.name), reason: 'Already subscribed' });
              else if (err instanceof BadRequestError) skipped.push({ line: entry.line, reason: err.message });
              else throw err;
            }
          }
          await notices.drain();
        } finally {
          progress.stop();
        }
        if (opts.json) return out(JSON.stringify({ list_id: mlist.list_id, role, added, skipped }, null, 2));
        for (const s of skipped) out(`${s.reason} (skipping): ${s.line}`);
      },
    );

  program
    .command('members')
    .argument('<listspec>', 'the list (posting address or list id)')
    .description("Show a list's members.")
    .option('-R, --role <role>', 'member, owner, moderator, nonmember, administrator or any', 'member')
    .option('-r, --regular', 'only members with regular delivery')
    .option('-d, --digest [kind]', 'only digest members: any (the default), plaintext, mime or summary')
    .option(
      '-n, --nomail [kind]',
      'only members with delivery off: any (the default), byuser, byadmin, bybounces, unknown; enabled: on',
    )
    .option('-e, --email-only', 'addresses only, without display names')
    .option('-c, --count-only', 'only the number of members')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--json', 'the memberships as a JSON array (with --count-only: {"count": N})')
    .action(async (listspec: string, opts: MembersOptions) => {
      const roles = rolesOf(opts.role);
      const keep = memberFilter(opts);
      const services = await ctx.services();
      const mlist = await services.lists.get(listspec);
      if (!mlist) throw new CliError(`No such list: ${listspec}`);
      const all = (await Promise.all(roles.map((r) => services.members.roster(mlist.list_id, r)))).flat();
      // Delivery is what the preference cascade makes of it, not only what the membership says.
      const prefs = await services.preferences.effectiveOf(all.map((v) => v.member));
      const views = all.filter((v) => keep(prefs.get(v.member.id)!));
      const lines: string[] = [];
      if (opts.json && opts.countOnly) lines.push(JSON.stringify({ count: views.length }));
      else if (opts.json) {
        const rows = views.map(({ member, address }) => ({
          email: address.email,
          original_email: address.original_email,
          display_name: member.display_name || address.display_name,
          role: member.role,
          delivery_mode: prefs.get(member.id)!.delivery_mode,
          delivery_status: prefs.get(member.id)!.delivery_status,
          moderation_action: member.moderation_action,
          subscribed_on: member.subscribed_on,
        }));
        lines.push(JSON.stringify(rows, null, 2));
      } else if (opts.countOnly) lines.push(String(views.length));
      else if (!views.length) lines.push(`${mlist.list_name}@${mlist.mail_host} has no members`);
      else {
        for (const { member, address } of views) {
          const name = member.display_name || address.display_name;
          lines.push(opts.emailOnly ? address.original_email : formatAddress(address.original_email, name));
        }
      }
      if (!opts.output) return lines.forEach((line) => out(line));
      try {
        writeFileSync(opts.output, lines.map((line) => line + '\n').join(''));
      } catch (err) {
        throw new CliError(`${opts.output}: cannot write: ${(err as Error).message}`);
      }
    });
}
