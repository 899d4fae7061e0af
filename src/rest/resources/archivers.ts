// /lists/<list>/archivers: the list's on/off switch for each archiver the site has enabled.
import type { MailingList } from '../../model/entities.js';
import { okay, noContent } from '../helpers.js';
import { bool, inputOf, validate } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/lists/:list/archivers', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    okay(ctx, Object.fromEntries(await services.listArchivers.switches(mlist)));
  });

  /** PUT names every site archiver; PATCH some. Unknown names and bad booleans are 400s. */
  const update = (all: boolean) => async (ctx: RestContext) => {
    const mlist: MailingList = await services.lists.require(ctx.params.list);
    const known = await services.listArchivers.switches(mlist);
    const spec = Object.fromEntries([...known.keys()].map((name) => [name, bool]));
    const args = validate(inputOf(ctx), spec, all ? [] : 'all');
    const changes = new Map(Object.entries(args).filter((e): e is [string, boolean] => e[1] !== undefined));
    await services.listArchivers.set(mlist, changes);
    noContent(ctx);
  };
  router.put('/lists/:list/archivers', update(true));
  router.patch('/lists/:list/archivers', update(false));
}
