// delmembers, findmember, changeaddress: roster chores from a shell, as Mailman's commands of
// the same names do them. Each prints what it did, or JSON with --json.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CliContext, CliError, out } from '../context.js';
import { ROLES, type MemberRole } from '../../model/vocabulary.js';
import { tryPattern } from '../../patterns/patterns.js';
import { BadRequestError } from '../../services/errors.js';
import { parseAddresses } from '../../email/addresses.js';

/** Addresses from -m options and a file of one address (or "Name <address>") per line. */
function addressesFrom(members: string[], file: string | undefined): string[] {
  const lines = [...members, ...(file ? readFileSync(file === '-' ? 0 : file, 'utf8').split(/\r?\n/) : [])];
  return lines
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => parseAddresses(l)[0]?.email ?? l.trim().toLowerCase());
}

function roleOf(text: string): MemberRole[] {
  if (text === 'all') return [...ROLES];
  if ((ROLES as readonly string[]).includes(text)) return [text as MemberRole];
  throw new CliError(`Unknown role: ${text} (use ${ROLES.join(', ')} or all)`, 2);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('delmembers')
    .description('Unsubscribe members from a list, or from every list with --fromall.')
    .option('-l, --list <listspec>', 'the list (posting address or list id)')
    .option('-m, --member <address>', 'an address to remove; repeatable', (v, acc: string[]) => [...acc, v], [])
    .option('-f, --file <file>', 'addresses to remove, one per line; - reads standard input')
    .option('-a, --all', 'remove every member of the list')
    .option('--fromall', 'remove the addresses from every list (no --list)')
    .option('-g, --goodbye-msg', 'send the goodbye message (default: as the list says)')
    .option('-G, --no-goodbye-msg', 'send no goodbye message')
    .option('-n, --admin-notify', "notify the list's owners (default: as the list says)")
    .option('-N, --no-admin-notify', 'no notice to the owners')
    .option('--json', 'what was removed and what was not, as JSON')
    .action(
      async (opts: {
        list?: string;
        member: string[];
        file?: string;
        all?: boolean;
        fromall?: boolean;
        goodbyeMsg?: boolean;
        adminNotify?: boolean;
        json?: boolean;
      }) => {
        if (!opts.fromall && !opts.list) throw new CliError('give --list, or --fromall', 2);
        if (opts.fromall && (opts.list || opts.all)) throw new CliError('--fromall takes neither --list nor --all', 2);
        const services = await ctx.services();
        const lists = opts.fromall ? await services.lists.all() : [await services.lists.get(opts.list!)];
        if (!lists[0]) throw new CliError(`No such list: ${opts.list}`);
        const wanted = addressesFrom(opts.member, opts.file);
        if (!opts.all && !wanted.length) throw new CliError('give --member, --file or --all', 2);
        const removed: { list_id: string; email: string }[] = [];
        const notMembers: { list_id: string; email: string }[] = [];
        for (const mlist of lists) {
          const roster = await services.members.roster(mlist!.list_id, 'member');
          const byEmail = new Map(roster.map((v) => [v.address.email, v]));
          const emails = opts.all ? [...byEmail.keys()] : wanted;
          for (const email of emails) {
            const view = byEmail.get(email);
            if (view) {
              await services.workflows.deleteMember(
                mlist!,
                view.member,
                email,
                opts.goodbyeMsg ?? null,
                opts.adminNotify ?? null,
              );
              removed.push({ list_id: mlist!.list_id, email });
            } else if (!opts.fromall) notMembers.push({ list_id: mlist!.list_id, email });
          }
        }
        if (opts.json) return out(JSON.stringify({ removed, not_members: notMembers }, null, 2));
        for (const r of removed) out(`Removed ${r.email} from ${r.list_id}`);
        for (const r of notMembers) out(`Not a member of ${r.list_id}: ${r.email}`);
        if (notMembers.length) process.exitCode = 1;
      },
    );

  program
    .command('findmember')
    .argument('<pattern>', 'a regular expression the address must match somewhere (case ignored)')
    .description('Find the lists whose rosters hold the matching addresses.')
    .option('-r, --role <role>', `${ROLES.join(', ')} or all`, 'all')
    .option('--json', 'the matches as a JSON array')
    .action(async (pattern: string, opts: { role: string; json?: boolean }) => {
      const roles = roleOf(opts.role);
      let why = '';
      // Matched with the linear-time engine every admin regex uses, so no pattern can stall it.
      const re = tryPattern(pattern, { ignoreCase: true }, (reason) => (why = reason));
      if (!re) throw new CliError(`Bad pattern: ${why}`, 2);
      const services = await ctx.services();
      const matches = (await services.members.find({}))
        .filter((v) => roles.includes(v.member.role) && re.test(v.address.email))
        .map((v) => ({ email: v.address.email, list_id: v.member.list_id, role: v.member.role }))
        .sort((a, b) => a.email.localeCompare(b.email) || a.list_id.localeCompare(b.list_id));
      if (opts.json) return out(JSON.stringify(matches, null, 2));
      let last = '';
      for (const m of matches) {
        if (m.email !== last) out(m.email);
        out(`    ${m.list_id} (${m.role})`);
        last = m.email;
      }
      if (!matches.length) process.exitCode = 1;
    });

  program
    .command('changeaddress')
    .argument('<old>', 'the address as it is now')
    .argument('<new>', 'the address it becomes, in every membership and for its user')
    .description('Change an address everywhere it is used.')
    .option('--json', 'the changed address as JSON')
    .action(async (oldEmail: string, newEmail: string, opts: { json?: boolean }) => {
      const services = await ctx.services();
      try {
        const address = await services.users.changeAddress(oldEmail, newEmail);
        if (opts.json) return out(JSON.stringify({ old: oldEmail.trim().toLowerCase(), new: address.email }));
        out(`Address changed from ${oldEmail.trim().toLowerCase()} to ${address.email}`);
      } catch (err) {
        if (err instanceof BadRequestError) throw new CliError(err.message);
        throw err;
      }
    });
}
