// What every resource shares: absolute links and UUIDs per API version, http_etag, the
// collection shape with paging, Mailman's datetime format, and the small replies.
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { RestError, badRequest } from './errors.js';
import type { Page, Paged } from '../services/paging.js';

export type ApiVersion = '3.0' | '3.1';
export const API_VERSIONS: readonly ApiVersion[] = ['3.0', '3.1'];

/** The API root a request came in on: it decides the links' prefix and how UUIDs look. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly version: ApiVersion,
  ) {}

  /** An absolute link under this API root (`path` without the leading slash). */
  pathTo(path: string): string {
    return `${this.baseUrl}/${this.version}/${path}`;
  }

  /** A stored UUID (32 hex digits) as this API shows it: hex in 3.1, an integer in 3.0. */
  fromUuid(hex: string): string {
    return this.version === '3.0' ? BigInt(`0x${hex}`).toString(10) : hex;
  }

  /** A UUID as a client wrote it, back to 32 hex digits; undefined if it is not one. */
  toUuid(text: string): string | undefined {
    const s = text.trim();
    if (this.version === '3.0') {
      if (!/^\d{1,39}$/.test(s)) return undefined;
      const n = BigInt(s);
      return n < 1n << 128n ? n.toString(16).padStart(32, '0') : undefined;
    }
    const hex = s
      .replace(/^\{|\}$/g, '')
      .replace(/-/g, '')
      .toLowerCase();
    return /^[0-9a-f]{32}$/.test(hex) ? hex : undefined;
  }
}

export interface RestState {
  api: Api;
}

export type Resource = Record<string, unknown>;

/** Keys sorted at every level, so equal resources hash equally whatever their build order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Resource)[k])]),
    );
  }
  return value;
}

/** Mailman's http_etag: a quoted sha1 of the resource's canonical form (without the etag). */
export function etag(resource: Resource): string {
  return `"${createHash('sha1')
    .update(JSON.stringify(canonical(resource)))
    .digest('hex')}"`;
}

export function withEtag<T extends Resource>(resource: T): T & { http_etag: string } {
  return { ...resource, http_etag: etag(resource) };
}

/**
 * Mailman's datetimes: ISO 8601 in UTC without a zone suffix, with microseconds, as Python's
 * isoformat() writes a time taken from the clock. (Python drops the fraction when it is
 * exactly zero; we always write it, so a client sees one form.)
 */
export function isoDate(d: Date | string | null | undefined): string | null {
  const date = toDate(d);
  if (!date) return typeof d === 'string' ? d : null;
  return `${date.toISOString().slice(0, 23)}000`;
}

/** A datetime Mailman stores without its fraction (a pending request's `when`): to the second. */
export function isoSeconds(d: Date | string | null | undefined): string | null {
  const date = toDate(d);
  if (!date) return typeof d === 'string' ? d : null;
  return date.toISOString().slice(0, 19);
}

function toDate(d: Date | string | null | undefined): Date | undefined {
  if (d == null) return undefined;
  const date = d instanceof Date ? d : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(d) ? d : `${d}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A query parameter as one string (the last when repeated). */
export function queryParam(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Paging numbers beyond this are refused: no collection is that big, and the OFFSET stays exact. */
const MAX_PAGING = 2_147_483_647;

/**
 * A paging parameter: from the query string, or else from the body, where Falcon's form
 * parsing puts it for Mailman and mailmanclient's find_lists sends it.
 */
function pagingParam(ctx: Context, name: string): string | undefined {
  const fromQuery = queryParam(ctx, name);
  if (fromQuery !== undefined) return fromQuery;
  const body = ctx.request.body as Record<string, unknown> | undefined;
  let v = body && typeof body === 'object' && !Array.isArray(body) ? body[name] : undefined;
  if (Array.isArray(v)) v = v[v.length - 1];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

function intParam(ctx: Context, name: string, min: number, why: string): number | undefined {
  const raw = pagingParam(ctx, name);
  if (raw === undefined) return undefined;
  // Falcon's words, which Mailman's paging answers with.
  const invalid = (reason: string) => badRequest(`The "${name}" parameter is invalid. ${reason}`);
  if (!/^\s*-?\d{1,12}\s*$/.test(raw)) throw invalid('The value must be an integer.');
  const n = parseInt(raw, 10);
  if (n < min) throw invalid(why);
  if (n > MAX_PAGING) throw invalid(`The value must be at most ${MAX_PAGING}.`);
  return n;
}

/** `?count=N&page=P` (page 1-based); both absent means the whole collection. */
export function paging(ctx: Context): { count: number; page: number } | undefined {
  const count = intParam(ctx, 'count', 0, 'count should be a positive integer.');
  const page = intParam(ctx, 'page', 1, 'page should be greater than 0.');
  if (count === undefined && page === undefined) return undefined;
  if (count === undefined) throw badRequest('The "count" parameter is invalid. count is required with page.');
  return { count, page: page ?? 1 };
}

/** The rows `?count&page` asks for, as the database is to cut them; undefined for all. */
export function pageOf(ctx: Context): Page | undefined {
  const p = paging(ctx);
  if (!p) return undefined;
  return { offset: Math.min((p.page - 1) * p.count, Number.MAX_SAFE_INTEGER), limit: p.count };
}

function collectionOf(start: number, total: number, entries: Resource[]): Resource {
  const out: Resource = { start, total_size: total };
  if (entries.length) out.entries = entries.map((r) => withEtag(r));
  return withEtag(out);
}

/**
 * Mailman's collection: `{start, total_size, entries?, http_etag}`, `entries` absent when
 * empty, for a collection that is small or already in memory (a queue's files, the chains):
 * it is cut here. Only the requested page is rendered.
 */
export async function collection<T>(
  ctx: Context,
  items: readonly T[],
  render: (items: T[]) => Resource[] | Promise<Resource[]>,
): Promise<Resource> {
  const page = pageOf(ctx);
  const start = page?.offset ?? 0;
  const slice = page ? items.slice(start, start + page.limit) : items.slice();
  return collectionOf(start, items.length, slice.length ? await render(slice) : []);
}

/**
 * The same collection for one held in the database: `load` counts it and fetches only the
 * requested page (LIMIT/OFFSET), so a page of ten thousand members reads ten.
 */
export async function pagedCollection<T>(
  ctx: Context,
  load: (page?: Page) => Promise<Paged<T>>,
  render: (items: T[]) => Resource[] | Promise<Resource[]>,
): Promise<Resource> {
  const page = pageOf(ctx);
  const { items, total } = await load(page);
  return collectionOf(page?.offset ?? 0, total, items.length ? await render(items) : []);
}

/**
 * 405 for a fixed path (`held/count`, `lists/styles`) asked with a method it lacks, where a
 * route with a parameter in the same place would otherwise take the request: `allow` is
 * what the fixed path answers to.
 */
export function methodNotAllowed(allow: readonly string[]): RestError {
  // Title only, as the router's own 405 and Falcon's.
  return new RestError(405, '', { Allow: allow.join(', ') });
}

export function okay(ctx: Context, resource: Resource): void {
  ctx.status = 200;
  ctx.body = withEtag(resource);
}

/** 201 with the new resource's Location and an empty body, as mailmanclient expects. */
export function created(ctx: Context, location: string): void {
  // Body first: Koa turns a null body into 204 unless the status is set after it.
  ctx.body = null;
  ctx.status = 201;
  ctx.set('Location', location);
}

/** 202: a request is waiting (for a confirmation, a moderator); the body says which token. */
export function accepted(ctx: Context, resource: Resource): void {
  ctx.status = 202;
  ctx.body = withEtag(resource);
}

export function noContent(ctx: Context): void {
  ctx.status = 204;
  ctx.body = null;
}

/** The API of the request, set by the version middleware in app.ts. */
export function apiOf(ctx: Context): Api {
  const api = (ctx.state as Partial<RestState>).api;
  if (!api) throw new RestError(500, 'no API version on the request');
  return api;
}
