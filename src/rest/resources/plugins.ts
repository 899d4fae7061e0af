// /plugins (API 3.1, as Mailman): the [plugin.*] Python plugins a site has enabled. mailman-ts
// loads none (its extension point is the component registry, `mailman components`), so the
// collection is always empty, and /plugins/NAME/... is an unknown path (404).
import { apiOf, collection } from '../helpers.js';
import { notFound } from '../errors.js';
import type { RestContext, RestRouter } from '../context.js';

function only31(ctx: RestContext): void {
  if (apiOf(ctx).version !== '3.1') throw notFound();
}

export function routes(router: RestRouter): void {
  router.get('/plugins', async (ctx) => {
    only31(ctx);
    ctx.body = await collection(ctx, [], () => []);
  });
}
