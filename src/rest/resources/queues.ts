// /queues: the runners' queues as Mailman shows them (Postorius's System Information page
// counts their files), injection of a message into one, and removal of a waiting file.
import { Switchboard, QUEUE_NAMES } from '../../queue/switchboard.js';
import { apiOf, collection, created, noContent, okay, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { inputOf, str, validate } from '../validate.js';
import type { RestDeps, RestRouter } from '../context.js';

const NAMES: readonly string[] = [...QUEUE_NAMES].sort();

function render(api: Api, board: Switchboard): Resource {
  const files = board.files();
  return {
    name: board.name,
    directory: board.dir,
    count: files.length,
    files,
    self_link: api.pathTo(`queues/${board.name}`),
  };
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  const board = (name: string): Switchboard => {
    if (!NAMES.includes(name)) throw notFound(`No such queue: ${name}`);
    return services.queues.get(name);
  };

  router.get('/queues', async (ctx) => {
    const api = apiOf(ctx);
    // The collection's etag covers its self_link too, as Mailman's does.
    const { http_etag: _etag, ...all } = await collection(ctx, NAMES, (page) =>
      page.map((name) => render(api, board(name))),
    );
    okay(ctx, { ...all, self_link: api.pathTo('queues') });
  });

  router.get('/queues/:name', (ctx) => {
    okay(ctx, render(apiOf(ctx), board(ctx.params.name)));
  });

  // As `mailman inject`: the text arrives for the list as if the MTA had delivered it.
  router.post('/queues/:name', async (ctx) => {
    const queue = board(ctx.params.name);
    const { list_id, text } = validate(inputOf(ctx), { list_id: str, text: str });
    const mlist = await services.lists.get(list_id!);
    if (!mlist || mlist.list_id !== list_id) throw badRequest(`No such list: ${list_id}`);
    const raw = Buffer.from(text!, 'utf8');
    const base = await queue.enqueue(raw, {
      listid: mlist.list_id,
      to_list: true,
      original_size: raw.length,
      received_time: Date.now(),
    });
    created(ctx, apiOf(ctx).pathTo(`queues/${queue.name}/${base}`));
  });

  router.delete('/queues/:name/:filebase', async (ctx) => {
    const queue = board(ctx.params.name);
    // Only a file the queue lists: the name never reaches the file system otherwise.
    const base = ctx.params.filebase;
    if (!queue.files().includes(base)) throw notFound(`No such queue file: ${base}`);
    try {
      await queue.dequeue(base);
    } catch {
      throw notFound(`No such queue file: ${base}`); // a runner took it first
    }
    await queue.finish(base);
    noContent(ctx);
  });
}
