// /users: people, each owning addresses. Looked up by user id or by one of their emails.
import type { Context } from 'koa';
import type { User } from '../../model/entities.js';
import type { Services } from '../../services/services.js';
import { isValidEmail } from '../../email/addresses.js';
import {
  apiOf,
  collection,
  created,
  pagedCollection,
  isoDate,
  noContent,
  okay,
  type Api,
  type Resource,
} from '../helpers.js';
import { RestError, badRequest, notFound } from '../errors.js';
import { bool, email, inputOf, oneLine, str, validate } from '../validate.js';
import { hashPassword, randomPassword, verifyPassword } from '../../services/passwords.js';
import type { RestDeps, RestRouter } from '../context.js';
import { renderAddresses } from './addresses.js';

export function userView(api: Api, u: User): Resource {
  const id = api.fromUuid(u.user_id);
  const r: Resource = {
    created_on: isoDate(u.created_on),
    is_server_owner: u.is_server_owner,
    self_link: api.pathTo(`users/${id}`),
    user_id: id,
  };
  // Left out when empty, as Mailman does.
  if (u.password) r.password = u.password;
  if (u.display_name) r.display_name = u.display_name;
  return r;
}

/** Search text and passwords: bounded, as anything a client sends. */
const boundedText = (value: unknown): string => {
  const t = str(value);
  if (t.length > 1024) throw new Error('Expected at most 1024 characters');
  return t;
};

const displayName = (value: unknown): string => {
  const t = oneLine(value);
  if (t.length > 1024) throw new Error('Expected at most 1024 characters');
  return t;
};

const USER_FIELDS = {
  display_name: displayName,
  password: boundedText,
  cleartext_password: boundedText,
  is_server_owner: bool,
};
const OPTIONAL_ON_PUT = ['password', 'cleartext_password'] as const;

export async function requireUser(services: Services, api: Api, idOrEmail: string): Promise<User> {
  const uid = idOrEmail.includes('@') ? undefined : api.toUuid(idOrEmail);
  const user = uid
    ? await services.users.getUserByUid(uid)
    : isValidEmail(idOrEmail)
      ? await services.users.userOfAddress(idOrEmail)
      : null;
  if (!user) throw notFound();
  return user;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/users', async (ctx) => {
    ctx.body = await pagedCollection(
      ctx,
      (page) => services.users.usersPage(page),
      (users) => users.map((u) => userView(apiOf(ctx), u)),
    );
  });

  router.post('/users', async (ctx) => {
    const args = validate(
      inputOf(ctx),
      { email: str, display_name: oneLine, password: str, is_server_owner: bool },
      'all',
    );
    // Mailman's words for it, not the validator's; 254 is the longest address SMTP carries.
    if (args.email !== undefined && (!isValidEmail(args.email) || args.email.length > 254))
      throw badRequest(`Invalid email address ${args.email.slice(0, 254)}`);
    // Checked first: the user row must not be created when its address cannot be linked.
    if (args.email && (await services.users.getAddress(args.email))?.user_id != null)
      throw badRequest(`User already exists: ${args.email}`);
    const user = await services.users.createUser(args.email, args.display_name ?? '');
    user.password = hashPassword(args.password ?? randomPassword());
    user.is_server_owner = args.is_server_owner ?? false;
    await services.users.users.save(user);
    created(ctx, apiOf(ctx).pathTo(`users/${apiOf(ctx).fromUuid(user.user_id)}`));
  });

  const find = async (ctx: Context) => {
    // count and page are the collection's paging, read by collection().
    const { count: _count, page: _page, ...input } = inputOf(ctx, { query: true });
    const { q } = validate(input, { q: boundedText }, ['q']);
    const found = await services.users.findUsers(q ?? '');
    ctx.body = await collection(ctx, found, (page) => page.map((u) => userView(apiOf(ctx), u)));
  };
  router.get('/users/find', find);
  router.post('/users/find', find);

  router.get('/users/:user', async (ctx) => {
    okay(ctx, userView(apiOf(ctx), await requireUser(services, apiOf(ctx), ctx.params.user)));
  });

  // PATCH changes what is given; PUT replaces all three, as Mailman requires.
  for (const method of ['patch', 'put'] as const) {
    router[method]('/users/:user', async (ctx) => {
      const user = await requireUser(services, apiOf(ctx), ctx.params.user);
      const input = inputOf(ctx);
      // mailmanclient names the password cleartext_password; `password` is taken too.
      const args = validate(input, USER_FIELDS, method === 'patch' ? 'all' : OPTIONAL_ON_PUT);
      if (method === 'put' && args.password === undefined && args.cleartext_password === undefined)
        throw badRequest('Missing Parameter: cleartext_password');
      await services.users.updateUser(user, {
        display_name: args.display_name,
        password: args.cleartext_password ?? args.password,
        is_server_owner: args.is_server_owner,
      });
      noContent(ctx);
    });
  }

  router.delete('/users/:user', async (ctx) => {
    await services.users.deleteUser(await requireUser(services, apiOf(ctx), ctx.params.user));
    noContent(ctx);
  });

  router.post('/users/:user/login', async (ctx) => {
    const user = await requireUser(services, apiOf(ctx), ctx.params.user);
    const { cleartext_password } = validate(inputOf(ctx), { cleartext_password: boundedText });
    if (!user.password || !verifyPassword(cleartext_password!, user.password)) throw new RestError(403, 'Forbidden');
    noContent(ctx);
  });

  router.post('/users/:user/addresses', async (ctx) => {
    const api = apiOf(ctx);
    const user = await requireUser(services, api, ctx.params.user);
    const args = validate(inputOf(ctx), { email, display_name: oneLine, absorb_existing: bool }, [
      'display_name',
      'absorb_existing',
    ]);
    const addr = await services.users.addAddressToUser(
      user,
      args.email!,
      args.display_name ?? '',
      args.absorb_existing ?? false,
    );
    created(ctx, api.pathTo(`addresses/${addr.email}`));
  });

  router.get('/users/:user/preferred_address', async (ctx) => {
    const api = apiOf(ctx);
    const addr = await services.users.preferredAddress(await requireUser(services, api, ctx.params.user));
    if (!addr) throw notFound();
    okay(ctx, (await renderAddresses(services, api, [addr]))[0]);
  });

  for (const method of ['post', 'put'] as const) {
    router[method]('/users/:user/preferred_address', async (ctx) => {
      const user = await requireUser(services, apiOf(ctx), ctx.params.user);
      const args = validate(inputOf(ctx), { email });
      await services.users.setPreferredAddress(user, args.email!);
      noContent(ctx);
    });
  }

  router.delete('/users/:user/preferred_address', async (ctx) => {
    await services.users.clearPreferredAddress(await requireUser(services, apiOf(ctx), ctx.params.user));
    noContent(ctx);
  });

  router.get('/owners', async (ctx) => {
    const owners = await services.users.serverOwners();
    ctx.body = await collection(ctx, owners, (page) => page.map((u) => userView(apiOf(ctx), u)));
  });

  router.get('/users/:user/addresses', async (ctx) => {
    const api = apiOf(ctx);
    const user = await requireUser(services, api, ctx.params.user);
    const addresses = await services.users.addressesOfUser(user.id);
    // Mailman's order: by the address as written, code point by code point.
    addresses.sort((a, b) => (a.original_email < b.original_email ? -1 : a.original_email > b.original_email ? 1 : 0));
    ctx.body = await collection(ctx, addresses, (page) => renderAddresses(services, api, page));
  });
}
