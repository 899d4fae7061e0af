// Database answers shared by the rules of one chain run. Three rules ask whether each sender
// is banned and two whether each is a member; within one message the answers cannot change,
// so each is read once. Nonmember rows are not cached: nonmember-moderation creates them.
import type { Member, MemberRole } from '../model/entities.js';
import type { MessageContext } from '../registry.js';

/** An answer read at most once per chain run: `load` runs for the first rule that asks `key`. */
export function once<T>(ctx: MessageContext, key: string, load: () => Promise<T>): Promise<T> {
  const table = ((ctx.run ??= {}).lookups ??= new Map());
  let answer = table.get(key) as Promise<T> | undefined;
  if (!answer) table.set(key, (answer = load()));
  return answer;
}

export function isBanned(ctx: MessageContext, email: string): Promise<boolean> {
  return once(ctx, `ban\0${email.toLowerCase()}`, () => ctx.services.bans.isBanned(email, ctx.mlist.list_id));
}

/** The sender's membership in this role, through any address of their user. */
export function membership(ctx: MessageContext, email: string, role: MemberRole): Promise<Member | null> {
  const load = () => ctx.services.members.findMember(ctx.mlist.list_id, email, role);
  return role === 'nonmember' ? load() : once(ctx, `member\0${role}\0${email.toLowerCase()}`, load);
}
