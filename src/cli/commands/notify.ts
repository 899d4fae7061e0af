// notify: remind each list's owners and moderators of what waits for them (held posts,
// subscription and unsubscription requests at the moderator's step), one notice per list
// with something pending, from the list:admin:notice:pending template. Meant for cron.
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { listAdmins, sendToListAdmins } from '../../services/notices.js';
import type { MailingList } from '../../model/entities.js';
import type { Services } from '../../services/services.js';

// A list with thousands waiting still gets a notice a person can read: the first of each
// kind are listed, the rest counted. Posters write the subjects: they are cut to one line.
const MAX_LISTED = 50;
const MAX_FIELD = 120;

interface PendingSummary {
  list_id: string;
  held: number;
  subscriptions: number;
  unsubscriptions: number;
  recipients: string[];
  sent: boolean;
}

function oneLine(text: string): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > MAX_FIELD ? `${flat.slice(0, MAX_FIELD - 1)}…` : flat;
}

function section(title: string, lines: string[]): string[] {
  if (!lines.length) return [];
  const shown = lines.slice(0, MAX_LISTED).map((l) => `    ${l}`);
  if (lines.length > MAX_LISTED) shown.push(`    ... and ${lines.length - MAX_LISTED} more`);
  return [`${title} (${lines.length}):`, ...shown, ''];
}

async function summarise(services: Services, mlist: MailingList, send: boolean): Promise<PendingSummary> {
  const held = await services.requests.heldMessages(mlist.list_id);
  const requests = await services.workflows.requests(mlist.list_id, { tokenOwner: 'moderator' });
  const subscriptions = requests.filter((r) => r.type === 'subscription');
  const unsubscriptions = requests.filter((r) => r.type === 'unsubscription');
  const count = held.length + requests.length;
  const summary: PendingSummary = {
    list_id: mlist.list_id,
    held: held.length,
    subscriptions: subscriptions.length,
    unsubscriptions: unsubscriptions.length,
    recipients: count ? await listAdmins(services, mlist) : [],
    sent: false,
  };
  if (!count || !send) return summary;
  const since = (d: Date) => new Date(d).toISOString().slice(0, 16).replace('T', ' ');
  const data = [
    ...section(
      'Held messages',
      held.map(
        ({ request, data }) =>
          `#${request.id} from ${oneLine(data._mod_sender || 'unknown')}: ${oneLine(data._mod_subject)}` +
          ` (${oneLine(data._mod_reason)})`,
      ),
    ),
    ...section(
      'Subscription requests',
      subscriptions.map((r) => `${oneLine(r.email)} since ${since(r.when)}`),
    ),
    ...section(
      'Unsubscription requests',
      unsubscriptions.map((r) => `${oneLine(r.email)} since ${since(r.when)}`),
    ),
  ]
    .join('\n')
    .trimEnd();
  await sendToListAdmins(services, mlist, 'list:admin:notice:pending', {
    subject: `${count} ${mlist.display_name} moderator request(s) waiting`,
    subs: { count: String(count), data },
  });
  summary.sent = true;
  return summary;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('notify')
    .description("Mail each list's owners a summary of the requests waiting for a moderator.")
    .option(
      '-l, --list <listspec>',
      'only this list (repeatable; default: every list)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('-n, --dry-run', 'send nothing: only say what would be sent')
    .option('-v, --verbose', 'say what is sent to whom')
    .option('--json', 'each list with something pending, as JSON')
    .action(async (opts: { list: string[]; dryRun?: boolean; verbose?: boolean; json?: boolean }) => {
      const services = await ctx.services();
      const lists: MailingList[] = [];
      for (const spec of opts.list) {
        const mlist = await services.lists.get(spec);
        if (!mlist) throw new CliError(`No such list: ${spec}`);
        lists.push(mlist);
      }
      if (!opts.list.length) lists.push(...(await services.lists.all()));
      const pending: PendingSummary[] = [];
      for (const mlist of lists) {
        const summary = await summarise(services, mlist, !opts.dryRun);
        if (summary.held + summary.subscriptions + summary.unsubscriptions > 0) pending.push(summary);
      }
      if (opts.json) return out(JSON.stringify(pending, null, 2));
      if (!opts.verbose && !opts.dryRun) return;
      for (const s of pending) {
        const what = `${s.held} held, ${s.subscriptions} subscription(s), ${s.unsubscriptions} unsubscription(s)`;
        out(`${s.list_id}: ${what}; ${s.sent ? 'notice sent to' : 'would notify'} ${s.recipients.join(', ')}`);
      }
      if (!pending.length) out('Nothing pending');
    });
}
