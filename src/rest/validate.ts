// Reading request input the way Mailman's validator does: JSON or form-encoded bodies, a
// converter per field, and one 400 naming every unexpected, unconvertible or missing field.
import type { Context } from 'koa';
import { isValidEmail } from '../email/addresses.js';
import { badRequest } from './errors.js';

/** Field -> a string, a list of strings (a repeated form field) or any JSON value. */
export type Input = Record<string, unknown>;

/** Turns one raw value into its typed form; throws an Error whose message says why not. */
export type Converter<T> = (value: unknown) => T;

/**
 * The request's fields. Form bodies are re-read from the raw text with URLSearchParams
 * rather than taken from the body parser's `qs` result: `qs` turns `a[b]=1` into objects
 * and caps arrays, while Mailman (and mailmanclient's `doseq` encoding) mean "a field seen
 * twice is a list". With `query`, the query string's fields are read too (the find
 * resources take either); a field in both is the body's, since mailmanclient's
 * find_members sends the same fields in the URL and in the body.
 */
export function inputOf(ctx: Context, opts: { query?: boolean } = {}): Input {
  const fromQuery = opts.query ? collect(new URLSearchParams(ctx.querystring)) : {};
  // The query's count and page are the collection's paging (helpers.ts), not the search's.
  delete fromQuery.count;
  delete fromQuery.page;
  return { ...fromQuery, ...bodyOf(ctx) };
}

function collect(entries: Iterable<[string, unknown]>): Input {
  const out: Input = {};
  for (const [k, v] of entries) {
    const old = out[k];
    out[k] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
  }
  return out;
}

function bodyOf(ctx: Context): Input {
  if (ctx.request.is('application/json')) {
    const body = ctx.request.body;
    if (body === undefined || body === null) return {};
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object');
    return { ...(body as Input) };
  }
  if (ctx.request.is('application/x-www-form-urlencoded'))
    return collect(new URLSearchParams(ctx.request.rawBody ?? ''));
  return {};
}

function single(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`Expected a single value, got ${JSON.stringify(value)}`);
}

export const str: Converter<string> = single;

/** Mailman's as_boolean: true/false, yes/no, on/off, 1/0, any case. */
export const bool: Converter<boolean> = (value) => {
  if (typeof value === 'boolean') return value;
  const t = single(value).trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return true;
  if (['false', 'no', 'off', '0'].includes(t)) return false;
  throw new Error(`Invalid boolean value: ${single(value)}`);
};

/** The largest value an integer column holds on both databases (PostgreSQL's `integer`). */
export const MAX_DB_INT = 2_147_483_647;

/** Mailman's integer_ge_zero_validator, with Python's words for text that is no integer at all. */
export const nonNegativeInt: Converter<number> = (value) => {
  const t = single(value).trim();
  if (/^-\d+$/.test(t)) throw new Error(`Expected a non-negative integer: ${parseInt(t, 10)}`);
  if (!/^\+?\d+$/.test(t)) throw new Error(`invalid literal for int() with base 10: '${t.slice(0, 100)}'`);
  const n = parseInt(t, 10);
  // Beyond it PostgreSQL refuses the statement (SQLite would store it): a 400, never a 500.
  if (n > MAX_DB_INT) throw new Error(`Expected a non-negative integer no larger than ${MAX_DB_INT}: ${t}`);
  return n;
};

/** A row number from a path (`/held/ID`, `/header-matches/N`), or undefined when no row can have it. */
export function rowNumber(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_DB_INT ? n : undefined;
}

/** One of a fixed set of names; with allowBlank, '' means "none" (null). */
export function oneOf<T extends string>(
  choices: readonly T[],
  opts: { allowBlank?: boolean } = {},
): Converter<T | null> {
  return (value) => {
    const t = single(value);
    if (t === '' && opts.allowBlank) return null;
    if (!(choices as readonly string[]).includes(t)) throw new Error(`Accepted Values are: ${choices.join(', ')}`);
    return t as T;
  };
}

export const email: Converter<string> = (value) => {
  const t = single(value).trim();
  // 254: the longest address SMTP carries (RFC 5321's path limit less the brackets).
  if (!isValidEmail(t) || t.length > 254) throw new Error(`Expected a valid email address, got ${t}`);
  return t;
};

/**
 * CR, LF and the other control characters (tab aside). A value that can reach a header
 * (a display name, a description, a subject prefix) must not hold a line break: written
 * into a header it would start a header of the sender's choosing (`Bcc: ...`).
 */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Text on one line: refused when it holds a line break or another control character. */
export const oneLine: Converter<string> = (value) => {
  const t = single(value);
  if (CONTROL.test(t)) throw new Error('Expected one line of text, without line breaks or control characters');
  return t;
};

/** Text of several lines (a footer, a notice): line breaks are kept, other control characters refused. */
export const multiLine: Converter<string> = (value) => {
  const t = single(value);
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(t))
    throw new Error('Expected text without control characters other than line breaks and tabs');
  return t;
};

/** One email address, or '' for none (an optional address setting). */
export const optionalEmail: Converter<string> = (value) => {
  const t = single(value).trim();
  return t === '' ? '' : email(t);
};

/** A list of strings; one value is a list of one, and '' is the empty list (Mailman's contract with Postorius). */
export const listOfStrings: Converter<string[]> = (value) => {
  if (value === '') return [];
  const values = Array.isArray(value) ? value : [value];
  return values.map((v) => {
    if (typeof v !== 'string') throw new Error(`Expected str, got ${JSON.stringify(v)}`);
    return v;
  });
};

export type Spec = Record<string, Converter<unknown>>;
export type Validated<S extends Spec> = { [K in keyof S]?: ReturnType<S[K]> };

/**
 * Converts `input` by `spec`. Every field not in `optional` is required; fields outside
 * `spec` are refused. The 400 lists all problems of one kind, Mailman's wording.
 */
export function validate<S extends Spec>(
  input: Input,
  spec: S,
  optional: readonly (keyof S & string)[] | 'all' = [],
): Validated<S> {
  const out: Record<string, unknown> = {};
  const extras: string[] = [];
  const invalid: string[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const conv = Object.prototype.hasOwnProperty.call(spec, key) ? spec[key] : undefined;
    if (!conv) {
      extras.push(key);
      continue;
    }
    try {
      out[key] = conv(raw);
    } catch (err) {
      invalid.push(`Invalid Parameter "${key}": ${(err as Error).message}.`);
    }
  }
  if (extras.length) throw badRequest(`Unexpected parameters: ${extras.sort().join(', ')}`);
  if (invalid.length) throw badRequest(invalid.sort().join(' '));
  if (optional !== 'all') {
    const missing = Object.keys(spec).filter((k) => !(k in out) && !optional.includes(k));
    if (missing.length) throw badRequest(`Missing Parameter: ${missing.sort().join(', ')}`);
  }
  return out as Validated<S>;
}
