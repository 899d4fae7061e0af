// /users: people, each owning addresses. Looked up by user id or by one of their emails.
import type { User } from '../../model/entities.js';
import type { Services } from '../../services/services.js';
import { isValidEmail } from '../../email/addresses.js';
import { apiOf, collection, created, isoDate, okay, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { bool, email, inputOf, oneLine, str, validate } from '../validate.js';
import { hashPassword, randomPassword } from '../../services/passwords.js';
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
    const all = await services.users.users.find({ order: { id: 'ASC' } });
    ctx.body = await collection(ctx, all, (page) => page.map((u) => userView(apiOf(ctx), u)));
  });

  router.post('/users', async (ctx) => {
    const args = validate(inputOf(ctx), { email, display_name: oneLine, password: str, is_server_owner: bool }, 'all');
    // Checked first: the user row must not be created when its address cannot be linked.
    if (args.email && (await services.users.getAddress(args.email))?.user_id != null)
      throw badRequest(`User already exists: ${args.email}`);
    const user = await services.users.createUser(args.email, args.display_name ?? '');
    user.password = hashPassword(args.password ?? randomPassword());
    user.is_server_owner = args.is_server_owner ?? false;
    await services.users.users.save(user);
    created(ctx, apiOf(ctx).pathTo(`users/${apiOf(ctx).fromUuid(user.user_id)}`));
  });

  router.get('/users/:user', async (ctx) => {
    okay(ctx, userView(apiOf(ctx), await requireUser(services, apiOf(ctx), ctx.params.user)));
  });

  router.get('/users/:user/addresses', async (ctx) => {
    const api = apiOf(ctx);
    const user = await requireUser(services, api, ctx.params.user);
    const addresses = await services.users.addressesOfUser(user.id);
    addresses.sort((a, b) => a.email.localeCompare(b.email));
    ctx.body = await collection(ctx, addresses, (page) => renderAddresses(services, api, page));
  });
}
