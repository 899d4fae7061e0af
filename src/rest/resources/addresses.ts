// /addresses: every email address the system knows (subscribers, posters, users' addresses).
import type { Context } from 'koa';
import type { Address, User } from '../../model/entities.js';
import type { Services } from '../../services/services.js';
import { apiOf, created, pagedCollection, isoDate, noContent, okay, type Api, type Resource } from '../helpers.js';
import { RestError, notFound } from '../errors.js';
import { bool, inputOf, oneLine, str, validate } from '../validate.js';
import { randomPassword } from '../../services/passwords.js';
import type { RestDeps, RestRouter } from '../context.js';
import { memberCollection } from './members.js';
import { userView } from './users.js';

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
    // Mailman's order: by the address as written.
    ctx.body = await pagedCollection(
      ctx,
      (page) => services.users.addressesPage(page),
      (addresses) => renderAddresses(services, apiOf(ctx), addresses),
    );
  });

  router.get('/addresses/:email', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    okay(ctx, (await renderAddresses(services, apiOf(ctx), [a]))[0]);
  });

  router.get('/addresses/:email/memberships', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    ctx.body = await memberCollection(ctx, services, { subscriber: a.email, exact: true });
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

  // Neither takes a parameter (django_mailman3 sends none): any is refused, as on every write.
  router.post('/addresses/:email/verify', async (ctx) => {
    validate(inputOf(ctx), {});
    await services.users.verify(await requireAddress(services, ctx.params.email));
    noContent(ctx);
  });

  router.post('/addresses/:email/unverify', async (ctx) => {
    validate(inputOf(ctx), {});
    await services.users.unverify(await requireAddress(services, ctx.params.email));
    noContent(ctx);
  });

  router.get('/addresses/:email/user', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    const user = a.user_id != null ? await services.users.getUserById(a.user_id) : null;
    if (!user) throw notFound();
    okay(ctx, userView(apiOf(ctx), user));
  });

  // Links the address to a user: an existing one (user_id, 200) or a new one (auto_create, the
  // default: 201 with its Location). An address that has a user already is a conflict.
  router.post('/addresses/:email/user', async (ctx) => {
    const api = apiOf(ctx);
    const a = await requireAddress(services, ctx.params.email);
    const args = validate(inputOf(ctx), { ...NEW_USER_FIELDS, user_id: str, auto_create: bool }, 'all');
    if (a.user_id != null) throw new RestError(409, 'Address is already linked to a user');
    if (args.user_id !== undefined) {
      await services.users.linkAddress(a, await knownUser(services, api, args.user_id, 400));
      emptyOkay(ctx);
      return;
    }
    if (args.auto_create === false) throw new RestError(403, 'No user given and auto_create is false');
    await linkNewUser(ctx, services, api, a, args);
  });

  // Relinks the address: to the user named, or to a new one when none is.
  router.put('/addresses/:email/user', async (ctx) => {
    const api = apiOf(ctx);
    const a = await requireAddress(services, ctx.params.email);
    const args = validate(inputOf(ctx), { ...NEW_USER_FIELDS, user_id: str }, 'all');
    const user = args.user_id !== undefined ? await knownUser(services, api, args.user_id, 404) : undefined;
    const unlinked = await services.users.unlinkAddress(a);
    if (!user) return linkNewUser(ctx, services, api, unlinked, args);
    await services.users.linkAddress(unlinked, user);
    emptyOkay(ctx);
  });

  router.delete('/addresses/:email/user', async (ctx) => {
    const a = await requireAddress(services, ctx.params.email);
    if (a.user_id == null) throw notFound();
    await services.users.unlinkAddress(a);
    noContent(ctx);
  });
}

// Bounded like everything a client sends; defined here, not imported from users.ts, since the two
// modules import each other and a module-level value must not wait on the other's evaluation.
const bounded =
  <T extends string>(convert: (value: unknown) => T) =>
  (value: unknown): T => {
    const t = convert(value);
    if (t.length > 1024) throw new Error('Expected at most 1024 characters');
    return t;
  };
const boundedName = bounded(oneLine);
const boundedText = bounded(str);

const NEW_USER_FIELDS = { display_name: boundedName, password: boundedText, is_server_owner: bool };

/** The user a client named by id; an unknown one is answered with `status`, as Mailman does per method. */
async function knownUser(services: Services, api: Api, id: string, status: number): Promise<User> {
  const uid = api.toUuid(id);
  const user = uid ? await services.users.getUserByUid(uid) : null;
  if (!user) throw new RestError(status, `No user with ID ${id}`);
  return user;
}

async function linkNewUser(
  ctx: Context,
  services: Services,
  api: Api,
  address: Address,
  args: { display_name?: string; password?: string; is_server_owner?: boolean },
): Promise<void> {
  const user = await services.users.createUser(undefined, args.display_name ?? address.display_name);
  await services.users.updateUser(user, {
    password: args.password ?? randomPassword(),
    is_server_owner: args.is_server_owner ?? false,
  });
  await services.users.linkAddress(address, user);
  created(ctx, api.pathTo(`users/${api.fromUuid(user.user_id)}`));
}

/** 200 with no body (Koa would make an empty body a 204 unless the status comes last). */
function emptyOkay(ctx: Context): void {
  ctx.body = null;
  ctx.status = 200;
}
