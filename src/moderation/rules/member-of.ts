// Membership of another list, as Sympa's `is_subscriber(other-list, [sender])`: a staff list's
// members may post to the announcement list, say. The list is named by its posting address or
// its list-id; a list that does not exist is logged and the rule misses (a typo must not open
// the list to everyone, nor shunt every post).
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';
import { logger } from '../../logging.js';
import type { MemberRole } from '../../model/entities.js';

const ROLES = ['member', 'owner', 'moderator', 'nonmember'];
const LIST = /^([a-z0-9][a-z0-9._+-]*@[a-z0-9.-]+|[a-z0-9][a-z0-9._+-]*\.[a-z0-9.-]+)$/i;

export default defineRule({
  name: 'member-of',
  description: 'A sender is a member (or the given role) of another list, named by address or list-id.',
  record: true,
  params: [
    {
      name: 'list',
      type: 'string',
      required: true,
      description: 'the other list, as "staff@example.com" or "staff.example.com"',
      check: (v) => (typeof v === 'string' && LIST.test(v) ? undefined : `"${v}" is not a list address or list-id`),
    },
    {
      name: 'role',
      type: 'string',
      default: 'member',
      description: 'member, owner, moderator or nonmember',
      check: (v) => (typeof v === 'string' && ROLES.includes(v) ? undefined : `the roles are ${ROLES.join(', ')}`),
    },
  ],
  async check(ctx, args) {
    const spec = String(args.list ?? '');
    const role = String(args.role ?? 'member') as MemberRole;
    const other = await ctx.services.lists.get(spec);
    if (!other) {
      logger('vette').error({ list: ctx.mlist.list_id, other: spec }, `member-of: no list ${spec}; the rule misses`);
      return { hit: false };
    }
    for (const email of senders(ctx)) {
      if (await ctx.services.members.findMember(other.list_id, email, role))
        return { hit: true, reasons: [`${email} is a ${role} of ${other.list_id}`] };
    }
    return { hit: false };
  },
});
