// What the chain language adds to API 3.1 for looking before leaping:
//
// POST /3.1/lists/{list}/explain: the moderation trace of src/moderation/explain.ts for a
//   message, nothing changed. The message is the field `message` of a JSON or form body,
//   with optional `chain`, `pipeline`, `sender` (envelope) and `owner` (as -owner mail);
//   or the whole body when it is sent as `message/rfc822`, the options then in the query.
//   200 with the trace (plain JSON, no http_etag: a report, not a resource); 400 with no
//   message, a malformed one or an unknown chain or pipeline; 404 for an unknown list.
// GET /3.1/chains/{name}/graph and /3.1/pipelines/{name}/graph, `?format=dot|svg`: the
//   graph of src/dsl/graph-dot.ts. 404 for an unknown name, 409 for a file that does not
//   compile, 400 for another format.
//
// Both need the process's catalog (RestDeps.catalog); without one they answer 503.
import type { Context } from 'koa';
import type { RestDeps, RestRouter } from '../context.js';
import { apiOf, queryParam } from '../helpers.js';
import { RestError, badRequest, notFound } from '../errors.js';
import { explainMessage, ExplainError } from '../../moderation/explain.js';
import { GRAPH_FORMATS, renderGraph, toDot, type GraphFormat } from '../../dsl/graph-dot.js';
import type { DslCatalog } from '../../dsl/catalog.js';
import type { LiveCatalog } from '../../runners/catalog.js';

/** A raw message body larger than this is refused (413), as the JSON parser refuses its own. */
const MAX_RAW_MESSAGE = 25 * 1024 * 1024;

const CONTENT_TYPES: Record<GraphFormat, string> = {
  dot: 'text/vnd.graphviz; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
};

function only31(ctx: Context): void {
  // 3.0 is Mailman's API as it was; these resources are new in 3.1.
  if (apiOf(ctx).version !== '3.1') throw notFound();
}

/** The catalog's snapshot now: a request sees one consistent version, as a message does. */
function need(catalog: LiveCatalog | undefined): DslCatalog {
  if (!catalog) throw new RestError(503, 'this server was started without the chain and pipeline catalog');
  return catalog.snapshot();
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
  if (v === undefined || v === null || v === '' || v === false || v === 'false' || v === 'False' || v === '0') return false;
  if (v === true || v === 'true' || v === 'True' || v === '1') return true;
  throw badRequest(`'${name}' must be true or false`);
}

export function routes(router: RestRouter, deps: RestDeps): void {
  const { services } = deps;

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
      if (message !== undefined && typeof message !== 'string') throw badRequest("'message' must be the message as a string");
      raw = Buffer.from(message ?? '', 'utf8');
    }
    if (raw.length === 0) throw badRequest("no message: send it as the field 'message', or as a message/rfc822 body");
    const mlist = await services.lists.require(ctx.params.list);
    try {
      ctx.body = await explainMessage({
        services,
        catalog: need(deps.catalog),
        mlist,
        raw,
        chain: optionalString(fields, 'chain'),
        pipeline: optionalString(fields, 'pipeline'),
        sender: optionalString(fields, 'sender'),
        owner: flag(fields, 'owner'),
      });
      ctx.status = 200;
    } catch (err) {
      if (err instanceof ExplainError) throw badRequest(err.message);
      throw err;
    }
  });

  for (const kind of ['chain', 'pipeline'] as const) {
    router.get(`/${kind}s/:name/graph`, async (ctx) => {
      only31(ctx);
      const catalog = need(deps.catalog);
      const format = queryParam(ctx, 'format') ?? 'dot';
      if (!(GRAPH_FORMATS as readonly string[]).includes(format)) throw badRequest(`format must be one of ${GRAPH_FORMATS.join(', ')}`);
      const name = ctx.params.name;
      const entry = catalog.entries().find((e) => e.kind === kind && e.name === name);
      if (!entry) throw notFound(`no ${kind} named '${name}'`);
      const compiled = kind === 'chain' ? catalog.chain(name) : catalog.pipeline(name);
      if (!compiled) throw new RestError(409, `${kind} '${name}' does not compile`);
      ctx.body = await renderGraph(toDot(compiled.ir), format as GraphFormat);
      ctx.type = CONTENT_TYPES[format as GraphFormat];
      ctx.status = 200;
    });
  }
}
