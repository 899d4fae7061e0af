// A list's rosters (/lists/<list>/roster/<role>) and one membership by role and email
// (/lists/<list>/<role>/<email>, which mailmanclient's get_member and unsubscribe use).
import type { MemberRole } from '../../model/entities.js';
import { ROLES } from '../../model/entities.js';
import { apiOf, okay } from '../helpers.js';
import { notFound } from '../errors.js';
import { inputOf, listOfStrings, validate } from '../validate.js';
import { isValidEmail } from '../../email/addresses.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';
import { deleteMembership, memberCollection, renderMembers } from './members.js';
import type { Services } from '../../services/services.js';

function roleOf(text: string): MemberRole {
  if (!(ROLES as readonly string[]).includes(text)) throw notFound();
  return text as MemberRole;
}

async function membership(services: Services, ctx: RestContext) {
  const mlist = await services.lists.require(ctx.params.list);
  const role = roleOf(ctx.params.role);
  const address = await services.users.getAddress(ctx.params.email);
  const member = address ? await services.members.getMembership(mlist.list_id, role, address.id) : null;
  if (!member || !address) throw notFound();
  return { member, address };
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/lists/:list/roster/:role', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const q = { listId: mlist.list_id, role: roleOf(ctx.params.role), exact: true };
    ctx.body = await memberCollection(ctx, services, q, { order: 'email' });
  });

  // Mass unsubscription: {emails: [...]} -> {email: whether it was removed}.
  router.delete('/lists/:list/roster/:role', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const role = roleOf(ctx.params.role);
    // As Mailman: any string is asked about; one that is no member's address is simply false.
    const args = validate(inputOf(ctx), { emails: listOfStrings });
    const result: Record<string, boolean> = {};
    for (const e of new Set(args.emails!)) {
      const address = isValidEmail(e) ? await services.users.getAddress(e) : null;
      const member = address ? await services.members.getMembership(mlist.list_id, role, address.id) : null;
      if (member) await services.members.unsubscribe(member);
      result[e] = !!member;
    }
    okay(ctx, result);
  });

  // Registered last: the more specific /lists/<list>/config|held|roster/... routes win.
  router.get('/lists/:list/:role/:email', async (ctx) => {
    const view = await membership(services, ctx);
    okay(ctx, (await renderMembers(services, apiOf(ctx), [view]))[0]);
  });

  router.delete('/lists/:list/:role/:email', async (ctx) => {
    await deleteMembership(ctx, services, await membership(services, ctx));
  });
}
