// /addresses: every email address the system knows (subscribers, posters, users' addresses).
import type { Address } from '../../model/entities.js';
import type { Services } from '../../services/services.js';
import { apiOf, collection, isoDate, noContent, okay, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { bool, inputOf, oneLine, str, validate } from '../validate.js';
import type { RestDeps, RestRouter } from '../context.js';
import { findMembers, memberCollection } from './members.js';
import { requireUser, userView } from './users.js';

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

  router.patch('/addresses/:email', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    const { display_name } = validate(inputOf(ctx), { display_name: boundedName }, 'all');
    if (display_name !== undefined) {
      a.display_name = display_name;
      await services.users.addresses.save(a);
    }
    noContent(ctx);
  });

  router.delete('/addresses/:email', async (ctx) => {
    await services.users.deleteAddress(await requireAddress(services, ctx.params.email));
    noContent(ctx);
  });

  router.post('/addresses/:email/verify', async (ctx) => {
    await services.users.verify(await requireAddress(services, ctx.params.email));
    noContent(ctx);
  });

  router.post('/addresses/:email/unverify', async (ctx) => {
    await services.users.unverify(await requireAddress(services, ctx.params.email));
    noContent(ctx);
  });

  router.get('/addresses/:email/user', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    const user = a.user_id != null ? await services.users.getUserById(a.user_id) : null;
    if (!user) throw notFound();
    okay(ctx, userView(apiOf(ctx), user));
  });

  // Links the address to a user: an existing one (user_id), or a new one (auto_create, 201).
  router.post('/addresses/:email/user', async (ctx) => {
    const api = apiOf(ctx);
    const a = await requireAddress(services, ctx.params.email);
    const args = validate(inputOf(ctx), { user_id: str, auto_create: bool, display_name: boundedName }, 'all');
    if (a.user_id != null) throw badRequest('Address is already linked to a user');
    if (args.user_id !== undefined) {
      const user = await requireUser(services, api, args.user_id);
      await services.users.linkAddress(a, user);
      okay(ctx, userView(api, user));
      return;
    }
    if (args.auto_create === false) throw badRequest('No matching user and auto_create is false');
    const user = await services.users.createUser(undefined, args.display_name ?? a.display_name);
    await services.users.linkAddress(a, user);
    ctx.body = null;
    ctx.status = 201;
    ctx.set('Location', api.pathTo(`users/${api.fromUuid(user.user_id)}`));
  });

  router.put('/addresses/:email/user', async (ctx) => {
    const api = apiOf(ctx);
    const a = await requireAddress(services, ctx.params.email);
    const args = validate(inputOf(ctx), { user_id: str });
    const user = await requireUser(services, api, args.user_id!);
    if (a.user_id !== user.id) await services.users.linkAddress(await services.users.unlinkAddress(a), user);
    noContent(ctx);
  });

  router.delete('/addresses/:email/user', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    if (a.user_id == null) throw notFound();
    await services.users.unlinkAddress(a);
    noContent(ctx);
  });
}

const boundedName = (value: unknown): string => {
  const t = oneLine(value);
  if (t.length > 1024) throw new Error('Expected at most 1024 characters');
  return t;
};
