// What the chain language adds to API 3.1 for looking before leaping:
//
// POST /3.1/lists/{list}/explain: the moderation trace of src/explain/ for a
//   message, nothing changed. The message is the field `message` of a JSON or form body,
//   with optional `chain`, `pipeline`, `sender` (envelope) and `owner` (as -owner mail);
//   or the whole body when it is sent as `message/rfc822`, the options then in the query.
//   200 with the trace (plain JSON, no http_etag: a report, not a resource); 400 with no
//   message, a malformed one or an unknown chain or pipeline; 404 for an unknown list.
//
// It needs the process's catalog (RestDeps.catalog); without one it answers 503.
import type { Context } from 'koa';
import type { RestDeps, RestRouter } from '../context.js';
import { apiOf, queryParam } from '../helpers.js';
import { RestError, badRequest, notFound } from '../errors.js';
import { ExplainPool } from '../explain-job.js';
import type { LiveCatalog } from '../../dsl/index.js';

/** A raw message body larger than this is refused (413), as the JSON parser refuses its own. */
const MAX_RAW_MESSAGE = 25 * 1024 * 1024;

function only31(ctx: Context): void {
  // 3.0 is Mailman's API as it was; these resources are new in 3.1.
  if (apiOf(ctx).version !== '3.1') throw notFound();
}

function need(catalog: LiveCatalog | undefined): void {
  if (!catalog) throw new RestError(503, 'this server was started without the chain and pipeline catalog');
}

async function readRaw(ctx: Context): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_RAW_MESSAGE) throw new RestError(413, `the message is larger than ${MAX_RAW_MESSAGE} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function optionalString(fields: Record<string, unknown>, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`'${name}' must be a string`);
  return v;
}

function flag(fields: Record<string, unknown>, name: string): boolean {
  const v = fields[name];
  if (v === undefined || v === null || v === '' || v === false || v === 'false' || v === 'False' || v === '0')
    return false;
  if (v === true || v === 'true' || v === 'True' || v === '1') return true;
  throw badRequest(`'${name}' must be true or false`);
}

export function routes(router: RestRouter, deps: RestDeps): void {
  const { services } = deps;
  // The run itself happens in a worker thread with its own catalog, read from the same files.
  const pool = new ExplainPool(services.config, {
    timeoutMs: services.config.durationMs('webservice', 'explain_timeout'),
    heapMb: 512,
  });
  deps.onClose?.(() => pool.close());

  router.post('/lists/:list/explain', async (ctx) => {
    only31(ctx);
    let raw: Buffer;
    let fields: Record<string, unknown>;
    if (ctx.is('message/rfc822')) {
      raw = await readRaw(ctx);
      fields = Object.fromEntries(['chain', 'pipeline', 'sender', 'owner'].map((k) => [k, queryParam(ctx, k)]));
    } else {
      fields = (ctx.request.body ?? {}) as Record<string, unknown>;
      const message = fields.message;
      if (message !== undefined && typeof message !== 'string')
        throw badRequest("'message' must be the message as a string");
      raw = Buffer.from(message ?? '', 'utf8');
    }
    if (raw.length === 0) throw badRequest("no message: send it as the field 'message', or as a message/rfc822 body");
    const mlist = await services.lists.require(ctx.params.list);
    need(deps.catalog);
    ctx.body = await pool.explain({
      list: mlist.list_id,
      raw,
      chain: optionalString(fields, 'chain'),
      pipeline: optionalString(fields, 'pipeline'),
      sender: optionalString(fields, 'sender'),
      owner: flag(fields, 'owner'),
    });
    ctx.status = 200;
  });
}
