// who: the list's members, to whoever member_roster_visibility lets see them (everybody, the
// members and the list's admins, or its admins only), identified by the message's From.
import { defineEmailCommand, type EmailCommandContext } from '../registry.js';
import { listAddresses } from '../model/list-addresses.js';
import { formatAddress } from '../email/addresses.js';
import type { MemberRole } from '../model/entities.js';
import type { MemberView } from '../services/members.js';

/** The `delivery=` and `mode=` words, each a test of a membership. */
const FILTERS: Record<string, (v: MemberView) => boolean> = {
  'delivery=enabled': (v) => v.member.delivery_status === 'enabled',
  'delivery=disabled': (v) => v.member.delivery_status !== 'enabled',
  'mode=regular': (v) => v.member.delivery_mode === 'regular',
  'mode=digest': (v) => v.member.delivery_mode !== 'regular',
};

async function mayRead(ctx: EmailCommandContext): Promise<boolean> {
  const visibility = String(ctx.mlist.member_roster_visibility ?? 'moderators');
  if (visibility === 'public') return true;
  if (!ctx.sender) return false;
  const roles: MemberRole[] = visibility === 'members' ? ['owner', 'moderator', 'member'] : ['owner', 'moderator'];
  for (const role of roles) if (await ctx.services.members.findMember(ctx.mlist.list_id, ctx.sender, role)) return true;
  return false;
}

export default defineEmailCommand({
  name: 'who',
  description: "List the list's members, if the list lets you see them.",
  argumentSyntax: '[delivery=enabled|disabled] [mode=digest|regular]',
  details: 'The arguments narrow the list to the members whose delivery is on or off, or who get digests or not.',
  async process(ctx, args) {
    const { mlist, services, results } = ctx;
    const filters: ((v: MemberView) => boolean)[] = [];
    for (const arg of args) {
      const filter = Object.hasOwn(FILTERS, arg) ? FILTERS[arg] : undefined;
      if (!filter) {
        results.say(`Bad argument: ${arg}`);
        results.respond();
        return 'stop';
      }
      filters.push(filter);
    }
    if (!(await mayRead(ctx))) {
      results.say('You are not authorized to see the membership list.');
      results.respond();
      return 'stop';
    }
    const members = (await services.members.roster(mlist.list_id, 'member')).filter((v) => filters.every((f) => f(v)));
    results.say(`Members of the ${listAddresses(mlist).posting} mailing list:`);
    for (const v of members)
      results.say(`    ${formatAddress(v.address.email, v.member.display_name || v.address.display_name)}`);
    if (!members.length) results.say('    (none)');
    return 'continue';
  },
});
