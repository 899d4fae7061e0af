// /lists/<list>/digest: the list's digest numbering (GET), and sending or renumbering it
// (POST send, bump, periodic), as Mailman's resource answers: 202 once done, 200 for a
// POST that asks nothing, 400 for send with periodic or any other parameter.
import { okay } from '../helpers.js';
import { badRequest } from '../errors.js';
import { bool, inputOf, validate } from '../validate.js';
import { bumpDigestNumber, sendDigestNow } from '../../services/digests.js';
import type { RestDeps, RestRouter } from '../context.js';

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/lists/:list/digest', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    okay(ctx, { next_digest_number: mlist.next_digest_number, volume: mlist.volume });
  });

  router.post('/lists/:list/digest', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const args = validate(inputOf(ctx), { send: bool, bump: bool, periodic: bool }, 'all');
    if (args.send && args.periodic) throw badRequest('send and periodic options are mutually exclusive');
    // Body first: Koa turns a null body into 204 unless the status is set after it.
    ctx.body = null;
    if (Object.keys(args).length === 0) {
      ctx.status = 200;
      return;
    }
    if (args.bump) await bumpDigestNumber(services, mlist);
    if (args.send || (args.periodic && mlist.digest_send_periodic))
      await sendDigestNow(services, mlist, { force: true });
    ctx.status = 202;
  });
}
