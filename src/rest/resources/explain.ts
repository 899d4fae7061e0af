// What the chain language adds to API 3.1 for looking before leaping:
//
// POST /3.1/lists/{list}/explain: the moderation trace of src/explain/ for a
//   message, nothing changed. The message is the field `message` of a JSON or form body,
//   with optional `chain`, `pipeline`, `sender` (envelope) and `owner` (as -owner mail);
//   or the whole body when it is sent as `message/rfc822`, the options then in the query.
//   200 with the trace (the CLI's `explain --json`, plus http_etag as every JSON answer);
//   400 with no message, a malformed one, an unknown chain or pipeline, or a parameter
//   other than those; 404 for an unknown list.
//
// It needs the process's catalog (RestDeps.catalog); without one it answers 503.
import type { Context } from 'koa';
import type { RestDeps, RestRouter } from '../context.js';
import { apiOf, okay, type Resource } from '../helpers.js';
import { bool, inputOf, str, validate, type Validated } from '../validate.js';
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

/** What explain takes beside the message; '' is the same as absent. */
const optional = (v: unknown): string | undefined => (str(v) === '' ? undefined : str(v));
/** The message as text: a string, not a list or an object. */
const multiLineMessage = (v: unknown): string => {
  if (typeof v !== 'string') throw new Error('Expected the message as a string');
  return v;
};
const OPTIONS = { chain: optional, pipeline: optional, sender: optional, owner: bool };

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
    let args: Validated<typeof OPTIONS>;
    if (ctx.is('message/rfc822')) {
      raw = await readRaw(ctx);
      args = validate(Object.fromEntries(new URLSearchParams(ctx.querystring)), OPTIONS, 'all');
    } else {
      const { message, ...rest } = validate(inputOf(ctx), { ...OPTIONS, message: multiLineMessage }, 'all');
      raw = Buffer.from(message ?? '', 'utf8');
      args = rest;
    }
    if (raw.length === 0) throw badRequest("no message: send it as the field 'message', or as a message/rfc822 body");
    const mlist = await services.lists.require(ctx.params.list);
    need(deps.catalog);
    const trace = await pool.explain({
      list: mlist.list_id,
      raw,
      chain: args.chain ?? undefined,
      pipeline: args.pipeline ?? undefined,
      sender: args.sender ?? undefined,
      owner: args.owner ?? false,
    });
    okay(ctx, trace as unknown as Resource);
  });
}
