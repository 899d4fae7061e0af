// Posts from people who are not members, decided in Mailman's order: the nonmember's own
// moderation action; else the list's legacy accept/hold/reject/discard_these_nonmembers
// entries (an address, or a `^regex` matched from the start, ignoring case; an accept entry
// means "no decision here"); else the list's default_nonmember_action. Unknown senders are
// recorded as nonmembers, so a moderator can later give them an action (not under explain).
import { defineRule, type RuleResult } from '../../registry.js';
import { logger } from '../../logging.js';
import { senders } from '../senders.js';
import { isBanned, membership } from '../../dsl/index.js';
import { tryPattern } from '../../patterns/patterns.js';
import { ADDRESS_PATTERN } from '../../patterns/setting-patterns.js';

const LEGACY = ['accept', 'hold', 'reject', 'discard'] as const;

function decide(action: string, sender: string, reason: string): RuleResult {
  if (action === 'defer') return { hit: false };
  return { hit: true, reasons: [reason], msgdata: { member_moderation_action: action, moderation_sender: sender } };
}

/** Whether an entry of a *_these_nonmembers list names this sender. */
export function legacyEntryMatches(entry: string, sender: string): boolean {
  if (!entry.startsWith('^')) return entry.trim().toLowerCase() === sender;
  const re = tryPattern(entry, ADDRESS_PATTERN, (why) =>
    logger('vette').warn({ entry, err: why }, `bad regex in a *_these_nonmembers entry: ${entry}`),
  );
  return re?.test(sender) ?? false;
}

export default defineRule({
  name: 'nonmember-moderation',
  description:
    "The sender is not a member; applies the nonmember's action, the legacy *_these_nonmembers lists, or " +
    'default_nonmember_action.',
  record: true,
  async check(ctx) {
    const { mlist, services, dryRun, msgdata } = ctx;
    const all = senders(ctx);
    for (const email of all) if (await isBanned(ctx, email)) return { hit: false };
    if (all.length === 0)
      return decide(mlist.default_nonmember_action, 'No sender', 'No sender was found in the message.');
    if (msgdata.fromusenet) return { hit: false };

    const nonmembers = new Map<string, string | null>();
    let isMember = false;
    for (const email of all) {
      if (await membership(ctx, email, 'member')) {
        isMember = true;
        continue;
      }
      let nonmember = await services.members.findMember(mlist.list_id, email, 'nonmember');
      if (!nonmember && !dryRun) {
        try {
          nonmember = (await services.members.subscribe(mlist, email, { role: 'nonmember' })).member;
        } catch {
          // A concurrent post registered them first.
          nonmember = await services.members.findMember(mlist.list_id, email, 'nonmember');
        }
      }
      nonmembers.set(email, nonmember?.moderation_action ?? null);
    }
    // A member among the senders: member-moderation has had its say.
    if (isMember) return { hit: false };

    for (const email of all) {
      const own = nonmembers.get(email) ?? null;
      if (own === 'defer') return { hit: false };
      if (own !== null) return decide(own, email, 'The message is not from a list member');
      for (const action of LEGACY) {
        const entries = mlist[`${action}_these_nonmembers`];
        if (!Array.isArray(entries)) continue;
        if (!entries.some((e) => legacyEntryMatches(String(e), email))) continue;
        if (action === 'accept') return { hit: false };
        return decide(action, email, `The sender is in the nonmember ${action} list`);
      }
    }
    return decide(mlist.default_nonmember_action, all[0], 'The message is not from a list member');
  },
});
