// /queues: the switchboards, as Mailman shows them. A queue lists its waiting files; POST puts
// a message in one for a list (as `mailman inject` does: 201 with the file's Location), and
// DELETE of a file removes it before a runner takes it.
import type { Switchboard } from '../../queue/switchboard.js';
import { QUEUE_NAMES } from '../../queue/switchboard.js';
import { apiOf, collection, created, noContent, okay, withEtag, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { inputOf, str, validate } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';
import { injectedMsgdata } from '../../services/inject.js';

/** The largest message POST accepts: the JSON and form parsers' own bound is far larger. */
const MAX_INJECTED = 25 * 1024 * 1024;

function render(api: Api, sb: Switchboard): Resource {
  const files = sb.files();
  return { name: sb.name, directory: sb.dir, count: files.length, files, self_link: api.pathTo(`queues/${sb.name}`) };
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  const names = [...QUEUE_NAMES].sort();
  const queue = (ctx: RestContext): Switchboard => {
    if (!(QUEUE_NAMES as readonly string[]).includes(ctx.params.name))
      throw notFound(`No such queue: ${ctx.params.name}`);
    return services.queues.get(ctx.params.name);
  };

  router.get('/queues', async (ctx) => {
    const api = apiOf(ctx);
    const all = await collection(ctx, names, (page) => page.map((n) => render(api, services.queues.get(n))));
    // Mailman's one collection with a link of its own.
    const { http_etag: _etag, ...rest } = all;
    ctx.status = 200;
    ctx.body = withEtag({ ...rest, self_link: api.pathTo('queues') });
  });

  router.get('/queues/:name', (ctx) => {
    okay(ctx, render(apiOf(ctx), queue(ctx)));
  });

  router.post('/queues/:name', async (ctx) => {
    const sb = queue(ctx);
    const args = validate(inputOf(ctx), { list_id: str, text: str });
    const mlist = await services.lists.get(args.list_id!);
    if (!mlist) throw badRequest(`No such list: ${args.list_id}`);
    const raw = Buffer.from(args.text!, 'utf8');
    if (raw.length > MAX_INJECTED) throw badRequest(`The message is larger than ${MAX_INJECTED} bytes`);
    const base = await sb.enqueue(raw, injectedMsgdata(mlist, raw));
    created(ctx, apiOf(ctx).pathTo(`queues/${sb.name}/${base}`));
  });

  router.delete('/queues/:name/:file', async (ctx) => {
    const sb = queue(ctx);
    if (!(await sb.remove(ctx.params.file))) throw notFound(`No such queue file: ${ctx.params.file}`);
    noContent(ctx);
  });
}
