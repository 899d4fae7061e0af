// who: the list's members, to whoever member_roster_visibility lets see them (everybody, the
// members and the list's admins, or its admins only), identified by the message's From.
import { defineEmailCommand, type EmailCommandContext } from '../registry.js';
import { listAddresses } from '../model/list-addresses.js';
import { formatAddress } from '../email/addresses.js';
import type { MemberRole } from '../model/entities.js';
import type { EffectivePreferences } from '../model/preferences.js';

/** The `delivery=` and `mode=` words, each a test of a member's effective preferences. */
const FILTERS: Record<string, (p: EffectivePreferences) => boolean> = {
  'delivery=enabled': (p) => p.delivery_status === 'enabled',
  'delivery=disabled': (p) => p.delivery_status !== 'enabled',
  'mode=regular': (p) => p.delivery_mode === 'regular',
  'mode=digest': (p) => p.delivery_mode !== 'regular',
};

async function hasRole(ctx: EmailCommandContext, roles: MemberRole[]): Promise<boolean> {
  if (!ctx.sender) return false;
  for (const role of roles) if (await ctx.services.members.findMember(ctx.mlist.list_id, ctx.sender, role)) return true;
  return false;
}

async function mayRead(ctx: EmailCommandContext, admin: boolean): Promise<boolean> {
  const visibility = String(ctx.mlist.member_roster_visibility ?? 'moderators');
  if (visibility === 'public' || admin) return true;
  return visibility === 'members' && hasRole(ctx, ['member']);
}

export default defineEmailCommand({
  name: 'who',
  description: "List the list's members, if the list lets you see them.",
  argumentSyntax: '[delivery=enabled|disabled] [mode=digest|regular]',
  details: 'The arguments narrow the list to the members whose delivery is on or off, or who get digests or not.',
  async process(ctx, args) {
    const { mlist, services, results } = ctx;
    const filters: ((p: EffectivePreferences) => boolean)[] = [];
    for (const arg of args) {
      const filter = Object.hasOwn(FILTERS, arg) ? FILTERS[arg] : undefined;
      if (!filter) {
        results.say(`Bad argument: ${arg}`);
        results.respond();
        return 'stop';
      }
      filters.push(filter);
    }
    const admin = await hasRole(ctx, ['owner', 'moderator']);
    if (!(await mayRead(ctx, admin))) {
      results.say('You are not authorized to see the membership list.');
      results.respond();
      return 'stop';
    }
    const roster = await services.members.roster(mlist.list_id, 'member');
    const prefs = await services.preferences.effectiveOf(roster.map((v) => v.member));
    const members = roster.filter((v) => {
      const p = prefs.get(v.member.id);
      return !!p && filters.every((f) => f(p));
    });
    results.say(`Members of the ${listAddresses(mlist).posting} mailing list:`);
    for (const v of members)
      results.say(`    ${formatAddress(v.address.email, v.member.display_name || v.address.display_name)}`);
    if (!members.length) results.say('    (none)');
    return 'continue';
  },
});
