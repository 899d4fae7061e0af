// The REST layer's one error boundary. Handlers throw (domain errors from the services, or
// RestError for what only HTTP knows about); this middleware alone turns a throw into a
// status and Mailman's error body `{"title": "400 Bad Request", "description": "..."}`.
import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { BadRequestError, ConflictError, NoSuchObjectError, NotFoundError } from '../services/errors.js';
import { logger } from '../logging.js';

/** An HTTP-level failure with the reason the client is shown. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

export const badRequest = (description: string) => new RestError(400, description);
export const notFound = (description = '404 Not Found') => new RestError(404, description);

function titleOf(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}`;
}

/** An empty description is left out, as Falcon leaves it out of a bare 404 or 405. */
function errorBody(status: number, description: string): { title: string; description?: string } {
  return description ? { title: titleOf(status), description } : { title: titleOf(status) };
}

/** Status, headers and client-visible reason of a thrown value; 500 hides the details. */
function classify(err: unknown): { status: number; description: string; headers: Record<string, string> } {
  if (err instanceof RestError) return { status: err.status, description: err.message, headers: err.headers };
  if (err instanceof NoSuchObjectError) return { status: 404, description: titleOf(404), headers: {} };
  if (err instanceof NotFoundError) return { status: 404, description: err.message, headers: {} };
  if (err instanceof ConflictError) return { status: 409, description: err.message, headers: {} };
  if (err instanceof BadRequestError) return { status: 400, description: err.message, headers: {} };
  // PostgreSQL refuses text it cannot store (a NUL character) where SQLite would simply find
  // nothing: the client's input, so 400, not a server failure.
  const code =
    (err as { driverError?: { code?: unknown }; code?: unknown })?.driverError?.code ??
    (err as { code?: unknown })?.code;
  if (code === '22021' || code === '22P05')
    return {
      status: 400,
      description: 'Invalid text: a NUL or other character the database cannot store',
      headers: {},
    };
  // Errors from Koa and the body parser (a bad JSON body is 400, too large 413) carry a
  // status; a 4xx message is the client's to see unless marked otherwise (Koa's rule).
  const e = err as { status?: unknown; expose?: unknown; message?: unknown; headers?: Record<string, string> };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return {
      status: e.status,
      description: e.expose !== false && typeof e.message === 'string' ? e.message : titleOf(e.status),
      headers: e.headers ?? {},
    };
  }
  return { status: 500, description: titleOf(500), headers: {} };
}

export async function errorBoundary(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    // A status without a body: nothing answered (404), or the router's 405 or 501, whose
    // Allow header stays. Each gets Mailman's body for these, a title without a description.
    if (ctx.status >= 400 && ctx.body == null) {
      const status = ctx.status;
      ctx.body = { title: titleOf(status) };
      ctx.status = status;
    }
  } catch (err) {
    const { status, description, headers } = classify(err);
    if (status === 500) logger('http').error({ err, method: ctx.method, url: ctx.originalUrl }, 'REST request failed');
    ctx.status = status;
    for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
    ctx.body = errorBody(status, description);
  }
}
