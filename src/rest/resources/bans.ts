// Bans in Mailman's shape: /bans (the whole site) and /lists/<list>/bans (one list). An entry
// is an address or a `^regex`. As in Mailman, a list's collection shows its own bans only,
// while one address under it (GET, DELETE, and the "already banned" check of POST) asks
// whether the address is banned there at all: by the list or the site, exactly or by pattern.
import type { Ban } from '../../model/entities.js';
import { isValidEmail } from '../../email/addresses.js';
import { apiOf, created, noContent, okay, pagedCollection, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { inputOf, str, validate, type Converter } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';
import type { Services } from '../../services/services.js';

/** Python's quote_plus, which Mailman's links use for a pattern: only letters, digits and `_.-~` stay. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function banPath(listId: string | null, email: string): string {
  return `${listId ? `lists/${listId}/` : ''}bans/${email.startsWith('^') ? quotePlus(email) : email}`;
}

/** Mailman's entry: `list_id` only on a list's ban. */
function render(api: Api, ban: Pick<Ban, 'email' | 'list_id'>): Resource {
  const r: Resource = { email: ban.email, self_link: api.pathTo(banPath(ban.list_id, ban.email)) };
  if (ban.list_id !== null) r.list_id = ban.list_id;
  return r;
}

const emailOrPattern: Converter<string> = (value) => {
  const t = str(value);
  if (!t) throw new Error('Expected a valid email address or regular expression, got empty');
  // The pattern itself is checked by the ban manager, with the reason it does not compile.
  if (!t.startsWith('^') && !isValidEmail(t))
    throw new Error(`Expected a valid email address or regular expression, got ${t}`);
  return t;
};

/** Whether `email` is banned in this scope: an exact entry, or (for an address) by any rule that applies. */
async function isBanned(services: Services, email: string, listId: string | null): Promise<boolean> {
  return (await services.bans.has(email, listId)) || (await services.bans.isBanned(email, listId));
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  /** The list named in the path, or null for the site-wide bans. */
  const scope = async (ctx: RestContext): Promise<string | null> =>
    ctx.params.list ? (await services.lists.require(ctx.params.list)).list_id : null;

  for (const base of ['/bans', '/lists/:list/bans']) {
    router.get(base, async (ctx) => {
      const listId = await scope(ctx);
      const api = apiOf(ctx);
      ctx.body = await pagedCollection(
        ctx,
        (page) => services.bans.page(listId, page),
        (bans) => bans.map((b) => render(api, b)),
      );
    });

    router.post(base, async (ctx) => {
      const listId = await scope(ctx);
      const { email } = validate(inputOf(ctx), { email: emailOrPattern });
      if (await isBanned(services, email!, listId)) throw badRequest('Address is already banned');
      const ban = await services.bans.ban(email!, listId);
      created(ctx, apiOf(ctx).pathTo(banPath(listId, ban.email)));
    });

    router.get(`${base}/:email`, async (ctx) => {
      const listId = await scope(ctx);
      const email = ctx.params.email;
      if (!(await isBanned(services, email, listId))) throw notFound(`Email is not banned: ${email}`);
      okay(ctx, render(apiOf(ctx), { email, list_id: listId }));
    });

    // Lifts this scope's own entry; an address banned only by the site or a pattern stays
    // banned, and the answer is still 204, as in Mailman.
    router.delete(`${base}/:email`, async (ctx) => {
      const listId = await scope(ctx);
      const email = ctx.params.email;
      if (!(await isBanned(services, email, listId))) throw notFound(`Email is not banned: ${email}`);
      await services.bans.unban(email, listId);
      noContent(ctx);
    });
  }
}
