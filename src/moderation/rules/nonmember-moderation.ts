// Posts from people who are not members: the nonmember's own moderation action, else the
// list's default_nonmember_action. Unknown senders are recorded as nonmembers, so a
// moderator can later set an action for them (as Mailman does).
import { registry } from '../../registry.js';
import { senders } from '../senders.js';

registry.rules.register({
  name: 'nonmember-moderation',
  description: "The sender is not a member; applies the nonmember's action or the list's default_nonmember_action.",
  record: true,
  async check(ctx) {
    const { mlist, services, dryRun } = ctx;
    const all = senders(ctx);
    if (all.length === 0) {
      const action = mlist.default_nonmember_action;
      if (action === 'defer') return { hit: false };
      return { hit: true, reasons: ['No sender was found in the message.'], msgdata: { member_moderation_action: action, moderation_sender: 'No sender' } };
    }
    for (const email of all) {
      if (await services.members.findMember(mlist.list_id, email, 'member')) return { hit: false };
    }
    let first: { email: string; action: string | null } | undefined;
    for (const email of all) {
      let nonmember = await services.members.findMember(mlist.list_id, email, 'nonmember');
      if (!nonmember && !dryRun) nonmember = (await services.members.subscribe(mlist, email, { role: 'nonmember' })).member;
      first ??= { email, action: nonmember?.moderation_action ?? null };
    }
    const action = first!.action ?? mlist.default_nonmember_action;
    if (action === 'defer') return { hit: false };
    return {
      hit: true,
      reasons: [`The message is not from a list member`],
      msgdata: { member_moderation_action: action, moderation_sender: first!.email },
    };
  },
});
