// /addresses: every email address the system knows (subscribers, posters, users' addresses).
import type { Address } from '../../model/entities.js';
import type { Services } from '../../services/services.js';
import { apiOf, collection, isoDate, okay, type Api, type Resource } from '../helpers.js';
import { notFound } from '../errors.js';
import type { RestDeps, RestRouter } from '../context.js';
import { findMembers, memberCollection } from './members.js';

export async function renderAddresses(services: Services, api: Api, addresses: Address[]): Promise<Resource[]> {
  const users = await services.users.usersById(addresses.map((a) => a.user_id));
  return addresses.map((a) => {
    const r: Resource = {
      email: a.email,
      original_email: a.original_email,
      registered_on: isoDate(a.registered_on),
      self_link: api.pathTo(`addresses/${a.email}`),
    };
    // Optional keys are left out when empty, as Mailman does.
    if (a.display_name) r.display_name = a.display_name;
    if (a.verified_on) r.verified_on = isoDate(a.verified_on);
    const user = a.user_id != null ? users.get(a.user_id) : undefined;
    if (user) r.user = api.pathTo(`users/${api.fromUuid(user.user_id)}`);
    return r;
  });
}

export async function requireAddress(services: Services, email: string): Promise<Address> {
  const a = await services.users.getAddress(email);
  if (!a) throw notFound();
  return a;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/addresses', async (ctx) => {
    const all = await services.users.addresses.find({ order: { id: 'ASC' } });
    ctx.body = await collection(ctx, all, (page) => renderAddresses(services, apiOf(ctx), page));
  });

  router.get('/addresses/:email', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    okay(ctx, (await renderAddresses(services, apiOf(ctx), [a]))[0]);
  });

  router.get('/addresses/:email/memberships', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    ctx.body = await memberCollection(
      ctx,
      services,
      await findMembers(services, apiOf(ctx), { subscriber: a.email, exact: true }),
    );
  });
}
