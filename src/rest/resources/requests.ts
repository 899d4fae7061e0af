// /lists/<list>/requests: subscription and unsubscription requests waiting for somebody, with
// each step's token and token owner (Mailman's sub_moderation resource), and a moderator's
// decision on one: POST /lists/<list>/requests/<token> {action, reason}.
import type { MembershipRequest, ModeratorAction } from '../../services/workflows.js';
import { TOKEN_OWNERS } from '../../model/pending.js';
import { isoSeconds, methodNotAllowed, noContent, okay, pagedCollection, type Resource } from '../helpers.js';
import type { Page } from '../../services/paging.js';
import { notFound } from '../errors.js';
import { inputOf, multiLine, oneOf, str, validate } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

const ACTIONS: readonly ModeratorAction[] = ['accept', 'reject', 'discard', 'defer'];
const TYPES = ['subscription', 'unsubscription'] as const;

function render(r: MembershipRequest): Resource {
  return {
    display_name: r.displayName,
    email: r.email,
    list_id: r.listId,
    token: r.token,
    token_owner: r.tokenOwner,
    type: r.type,
    when: isoSeconds(r.when),
  };
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  /** The requests the query asks for (token_owner, request_type), one page of them or none (count only). */
  const filtered = async (ctx: RestContext, page?: Page) => {
    const mlist = await services.lists.require(ctx.params.list);
    const args = validate(
      inputOf(ctx, { query: true }),
      { token_owner: oneOf(TOKEN_OWNERS), request_type: oneOf(TYPES), count: str, page: str },
      'all',
    );
    const filter = { tokenOwner: args.token_owner ?? undefined, type: args.request_type ?? undefined };
    return services.workflows.requestsPage(mlist.list_id, filter, page);
  };

  router.get('/lists/:list/requests', async (ctx) => {
    ctx.body = await pagedCollection(
      ctx,
      (page) => filtered(ctx, page),
      (found) => found.map((r) => render(r)),
    );
  });

  router.get('/lists/:list/requests/count', async (ctx) => {
    okay(ctx, { count: (await filtered(ctx, { offset: 0, limit: 0 })).total });
  });

  router.get('/lists/:list/requests/:token', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const found = await services.workflows.request(mlist.list_id, ctx.params.token);
    if (!found) throw notFound();
    okay(ctx, render(found));
  });

  router.post('/lists/:list/requests/:token', async (ctx) => {
    if (ctx.params.token === 'count') throw methodNotAllowed(['HEAD', 'GET']);
    const mlist = await services.lists.require(ctx.params.list);
    const args = validate(inputOf(ctx), { action: oneOf(ACTIONS), reason: multiLine }, ['reason']);
    if (!(await services.workflows.request(mlist.list_id, ctx.params.token))) throw notFound();
    await services.workflows.moderate(mlist, ctx.params.token, args.action!, args.reason ?? undefined);
    noContent(ctx);
  });
}
