// Bans in Mailman's shape: /bans (the whole site) and /lists/<list>/bans (one list). An entry
// is an address or a `^regex`; the path names it URL-encoded, as mailmanclient sends it.
import type { Ban } from '../../model/entities.js';
import { apiOf, collection, created, noContent, okay, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { inputOf, str, validate } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

/** Python's quote_plus: what Mailman's links encode a `^regex` ban with. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** As Mailman links them: an address as it is, a pattern encoded. */
function banPath(listId: string | null, email: string): string {
  return `${listId ? `lists/${listId}/` : ''}bans/${email.startsWith('^') ? quotePlus(email) : email}`;
}

function render(api: Api, ban: Ban): Resource {
  const r: Resource = { email: ban.email, self_link: api.pathTo(banPath(ban.list_id, ban.email)) };
  // A site-wide ban has no list_id at all in Mailman's shape.
  if (ban.list_id !== null) r.list_id = ban.list_id;
  return r;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  /** The list named in the path, or null for the site-wide bans. */
  const scope = async (ctx: RestContext): Promise<string | null> =>
    ctx.params.list ? (await services.lists.require(ctx.params.list)).list_id : null;

  for (const base of ['/bans', '/lists/:list/bans']) {
    router.get(base, async (ctx) => {
      const listId = await scope(ctx);
      const api = apiOf(ctx);
      ctx.body = await collection(ctx, await services.bans.list(listId), (page) => page.map((b) => render(api, b)));
    });

    router.post(base, async (ctx) => {
      const listId = await scope(ctx);
      const { email } = validate(inputOf(ctx), { email: str });
      if (await services.bans.has(email!, listId)) throw badRequest('Address is already banned');
      const ban = await services.bans.ban(email!, listId);
      created(ctx, apiOf(ctx).pathTo(banPath(listId, ban.email)));
    });

    router.get(`${base}/:email`, async (ctx) => {
      const listId = await scope(ctx);
      const email = ctx.params.email;
      const ban = (await services.bans.list(listId)).find(
        (b) => b.email === (email.startsWith('^') ? email : email.toLowerCase()),
      );
      if (!ban) throw notFound(`Email is not banned: ${email}`);
      okay(ctx, render(apiOf(ctx), ban));
    });

    router.delete(`${base}/:email`, async (ctx) => {
      const listId = await scope(ctx);
      if (!(await services.bans.unban(ctx.params.email, listId))) throw notFound('Email is not banned');
      noContent(ctx);
    });
  }
}
