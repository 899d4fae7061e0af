// /lists: the mailing lists, their styles, and the lists an address belongs to.
import type { MailingList } from '../../model/entities.js';
import { ROLES } from '../../model/entities.js';
import type { Services } from '../../services/services.js';
import {
  apiOf,
  collection,
  created,
  methodNotAllowed,
  noContent,
  okay,
  pagedCollection,
  queryParam,
  type Api,
  type Resource,
} from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { bool, inputOf, oneOf, str, validate } from '../validate.js';
import { LIST_STYLES } from '../../model/list-styles.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';
import { findMembers } from './members.js';

export async function renderLists(services: Services, api: Api, lists: MailingList[]): Promise<Resource[]> {
  const counts = await services.members.countsByList(lists.map((l) => l.list_id));
  return lists.map((l) => ({
    advertised: l.advertised,
    description: l.description,
    display_name: l.display_name,
    fqdn_listname: `${l.list_name}@${l.mail_host}`,
    list_id: l.list_id,
    list_name: l.list_name,
    mail_host: l.mail_host,
    member_count: counts.get(l.list_id) ?? 0,
    self_link: api.pathTo(`lists/${l.list_id}`),
    volume: l.volume,
  }));
}

/** `?advertised=true` keeps only the advertised lists (of /lists and /domains/D/lists), as Mailman. */
export function advertisedOnly(ctx: RestContext): boolean {
  const raw = queryParam(ctx, 'advertised');
  try {
    return raw === undefined ? false : bool(raw);
  } catch (err) {
    throw badRequest(`Invalid Parameter "advertised": ${(err as Error).message}.`);
  }
}

const FIXED: Record<string, string[]> = { styles: ['HEAD', 'GET'], find: ['HEAD', 'GET', 'POST'] };

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/lists', async (ctx) => {
    ctx.body = await pagedCollection(
      ctx,
      (page) => services.lists.page({ advertised: advertisedOnly(ctx) }, page),
      (ls) => renderLists(services, apiOf(ctx), ls),
    );
  });

  router.post('/lists', async (ctx) => {
    const args = validate(inputOf(ctx), { fqdn_listname: str, style_name: str }, ['style_name']);
    const mlist = await services.lists.create(args.fqdn_listname!, { style: args.style_name });
    created(ctx, apiOf(ctx).pathTo(`lists/${mlist.list_id}`));
  });

  router.get('/lists/styles', (ctx) => {
    // By name, as Mailman lists them.
    const styles = [...LIST_STYLES].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    okay(ctx, {
      default: services.config.get('styles', 'default'),
      style_names: styles.map((s) => s.name),
      styles: styles.map((s) => ({ description: s.description, name: s.name })),
    });
  });

  // The lists a subscriber (email or user id) is on, in any role or the one asked for.
  const find = async (ctx: RestContext) => {
    const args = validate(
      inputOf(ctx, { query: true }),
      { subscriber: str, role: oneOf(ROLES), count: str, page: str },
      ['role', 'count', 'page'],
    );
    const api = apiOf(ctx);
    const members = await findMembers(services, api, {
      subscriber: args.subscriber!,
      role: args.role ?? undefined,
      exact: true,
    });
    const ids = [...new Set(members.map((m) => m.member.list_id))];
    const lists = (await Promise.all(ids.map((id) => services.lists.get(id)))).filter((l): l is MailingList => !!l);
    if (!lists.length) throw notFound('No matching mailing lists found');
    lists.sort((a, b) => a.list_id.localeCompare(b.list_id));
    ctx.body = await collection(ctx, lists, (ls) => renderLists(services, api, ls));
  };
  router.get('/lists/find', find);
  router.post('/lists/find', find);

  router.get('/lists/:list', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    okay(ctx, (await renderLists(services, apiOf(ctx), [mlist]))[0]);
  });

  router.delete('/lists/:list', async (ctx) => {
    // Not a list: the fixed resources above, which no list id can be (an id has a dot).
    if (Object.hasOwn(FIXED, ctx.params.list)) throw methodNotAllowed(FIXED[ctx.params.list]);
    await services.lists.remove(ctx.params.list);
    noContent(ctx);
  });
}
