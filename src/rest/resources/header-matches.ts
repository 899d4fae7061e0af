// /lists/<list>/header-matches: the list's ordered header filters, in Mailman's shape: a
// row's `action` is absent when it falls back to [antispam] jump_chain, its `tag` when it has
// none (mailmanclient then raises AttributeError for them, as it does against Mailman).
import type { HeaderMatch, MailingList } from '../../model/entities.js';
import type { HeaderMatchInput } from '../../services/header-matches.js';
import { apiOf, collection, methodNotAllowed, created, noContent, okay, type Api, type Resource } from '../helpers.js';
import { notFound } from '../errors.js';
import { inputOf, nonNegativeInt, rowNumber, str, validate } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

/** '' clears the action or tag, as Postorius sends an empty select. */
const optional = (v: unknown): string | null => {
  const t = str(v).trim();
  return t === '' ? null : t;
};

function render(api: Api, mlist: MailingList, row: HeaderMatch): Resource {
  const r: Resource = {
    position: row.position,
    header: row.header,
    pattern: row.pattern,
    self_link: api.pathTo(`lists/${mlist.list_id}/header-matches/${row.position}`),
  };
  if (row.chain != null) r.action = row.chain;
  if (row.tag != null) r.tag = row.tag;
  return r;
}

function positionOf(ctx: RestContext): number {
  if (ctx.params.position === 'find') throw methodNotAllowed(['HEAD', 'GET', 'POST']);
  const position = rowNumber(ctx.params.position);
  if (position === undefined) throw notFound();
  return position;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  const base = '/lists/:list/header-matches';

  router.get(base, async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const api = apiOf(ctx);
    ctx.body = await collection(ctx, await services.headerMatches.list(mlist), (page) =>
      page.map((r) => render(api, mlist, r)),
    );
  });

  router.post(base, async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const args = validate(
      inputOf(ctx),
      { header: str, pattern: str, action: optional, tag: optional, position: nonNegativeInt },
      ['action', 'tag', 'position'],
    );
    const row = await services.headerMatches.add(
      mlist,
      { header: args.header!, pattern: args.pattern!, action: args.action ?? null, tag: args.tag ?? null },
      args.position,
    );
    created(ctx, apiOf(ctx).pathTo(`lists/${mlist.list_id}/header-matches/${row.position}`));
  });

  router.delete(base, async (ctx) => {
    await services.headerMatches.clear(await services.lists.require(ctx.params.list));
    noContent(ctx);
  });

  // Before /:position, so `find` is not read as a position.
  const find = async (ctx: RestContext) => {
    const mlist = await services.lists.require(ctx.params.list);
    const args = validate(inputOf(ctx, { query: true }), { header: str, action: optional, tag: optional }, 'all');
    const rows = (await services.headerMatches.list(mlist)).filter(
      (r) =>
        (args.header === undefined || r.header === args.header.toLowerCase()) &&
        (args.action === undefined || r.chain === args.action) &&
        (args.tag === undefined || r.tag === args.tag),
    );
    if (!rows.length) throw notFound('Cound not find any HeaderMatch for provided criteria');
    const api = apiOf(ctx);
    ctx.body = await collection(ctx, rows, (page) => page.map((r) => render(api, mlist, r)));
  };
  router.get(`${base}/find`, find);
  router.post(`${base}/find`, find);

  router.get(`${base}/:position`, async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    okay(ctx, render(apiOf(ctx), mlist, await services.headerMatches.get(mlist, positionOf(ctx))));
  });

  const change = (partial: boolean) => async (ctx: RestContext) => {
    const mlist = await services.lists.require(ctx.params.list);
    const position = positionOf(ctx);
    await services.headerMatches.get(mlist, position);
    const args = validate(
      inputOf(ctx),
      { header: str, pattern: str, action: optional, tag: optional, position: nonNegativeInt },
      partial ? 'all' : ['action', 'tag', 'position'],
    );
    const changes: Partial<HeaderMatchInput> = {};
    if (args.header !== undefined) changes.header = args.header;
    if (args.pattern !== undefined) changes.pattern = args.pattern;
    if (args.action !== undefined || !partial) changes.action = args.action ?? null;
    if (args.tag !== undefined || !partial) changes.tag = args.tag ?? null;
    await services.headerMatches.update(mlist, position, changes);
    if (args.position !== undefined && args.position !== position)
      await services.headerMatches.move(mlist, position, args.position);
    noContent(ctx);
  };
  router.patch(`${base}/:position`, change(true));
  router.put(`${base}/:position`, change(false));

  router.delete(`${base}/:position`, async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    await services.headerMatches.delete(mlist, positionOf(ctx));
    noContent(ctx);
  });
}
