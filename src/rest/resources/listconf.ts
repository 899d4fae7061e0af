// /lists/<list>/config[/<attr>]: every list setting, driven by LIST_SETTINGS, plus the
// read-only addresses Mailman derives from the name. PATCH changes what is given, PUT
// needs every writable attribute; both answer 204.
import type { MailingList } from '../../model/entities.js';
import { LIST_SETTINGS, type SettingSpec } from '../../model/list-settings.js';
import { listAddresses } from '../../model/list-addresses.js';
import type { Services } from '../../services/services.js';
import { isoDate, noContent, okay } from '../helpers.js';
import { hashPassword } from '../../services/passwords.js';
import { badRequest, notFound } from '../errors.js';
import { listSettingPatternProblem } from '../../patterns/setting-patterns.js';
import {
  bool,
  inputOf,
  listOfStrings,
  multiLine,
  nonNegativeInt,
  oneLine,
  oneOf,
  optionalEmail,
  str,
  MAX_DB_INT,
  type Converter,
  type Input,
} from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

interface Attribute {
  get(mlist: MailingList): unknown;
  /** Ours, not Mailman's: a PUT of the whole configuration may leave it out. */
  extension?: boolean;
  /** Absent for a read-only attribute. */
  convert?: Converter<unknown>;
  /** Applies a converted value; by default it is the list column of the same name. */
  column?: boolean;
}

function converterFor(spec: SettingSpec, deps: RestDeps): Converter<unknown> {
  const conv = baseConverter(spec, deps);
  // Settings that hold regexes refuse one that does not compile (400), not miss on every post.
  return (v) => {
    const value = conv(v);
    const why = listSettingPatternProblem(spec.name, value);
    if (why) throw new Error(why);
    return value;
  };
}

function baseConverter(spec: SettingSpec, deps: RestDeps): Converter<unknown> {
  const nullable = (conv: Converter<unknown>): Converter<unknown> =>
    spec.nullable ? (v) => (v === null ? null : conv(v)) : conv;
  if (spec.name === 'moderator_password') {
    // Stored hashed, as Mailman does; '' or null clears it (the approved rule then misses).
    return (v) => (v === null || v === '' ? null : hashPassword(str(v)));
  }
  if (spec.lines) return (v) => linesOf(listOfStrings(v));
  switch (spec.type) {
    case 'string-list':
      return listOfStrings;
    case 'text':
      return nullable(multiLine);
    case 'days':
      return nullable(days);
    case 'float':
      return nullable(nonNegativeNumber);
    case 'bool':
      return nullable(bool);
    case 'int':
      return nullable(nonNegativeInt);
    case 'enum':
      return nullable(oneOf(spec.choices ?? []));
    case 'datetime':
      return nullable((v) => {
        const d = new Date(str(v));
        if (Number.isNaN(d.getTime())) throw new Error(`Expected an ISO 8601 date, got ${str(v)}`);
        return d;
      });
    default:
      if (spec.names) {
        // A list may only name a chain or pipeline that exists and compiles.
        const exists = spec.names === 'chain' ? deps.chainExists : deps.pipelineExists;
        return (v) => {
          const name = str(v).trim();
          if (!name) throw new Error(`Expected a ${spec.names} name`);
          if (exists && !exists(name)) {
            // Known but never compiled is worth telling apart from a typo.
            const found = deps.catalog?.snapshot().entry(spec.names!, name);
            throw new Error(
              found
                ? `${spec.names} '${name}' has never compiled (see GET /3.1/${spec.names}s/${name})`
                : `Unknown ${spec.names}: ${name}`,
            );
          }
          return name;
        };
      }
      // One line: a string setting may be written into a header (List-Id, From, Subject).
      return nullable(spec.address ? optionalEmail : oneLine);
  }
}

/** Entries of a one-per-line setting: each a line of its own, blank ones dropped. */
function linesOf(entries: string[]): string {
  const lines = entries.flatMap((e) => e.split(/\r?\n/)).map((e) => e.trim());
  for (const line of lines)
    if (/[\x00-\x1f\x7f]/.test(line)) throw new Error('Expected entries without control characters');
  return lines.filter((l) => l !== '').join('\n');
}

/**
 * A period as Mailman writes one ("90d", "2w3d"; weeks, days and hours, minutes or seconds
 * making whole days), stored as a number of days; a bare number is days. Mailman's own
 * refusal has no words, so neither has ours: `Invalid Parameter "x": .`.
 */
const days: Converter<number> = (value) => {
  const t = str(value).trim();
  if (/^\d{1,9}$/.test(t)) return Number(t);
  const m = /^(?:(\d{1,7})w)?(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?$/.exec(t);
  if (!t || !m) throw new Error('');
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  const seconds = (((w * 7 + d) * 24 + h) * 60 + min) * 60 + s;
  if (seconds % 86_400 !== 0 || seconds / 86_400 > MAX_DB_INT) throw new Error('');
  return seconds / 86_400;
};

/** Mailman's float(): a number; ours refuses a negative size or a non-finite one. */
const nonNegativeNumber: Converter<number> = (value) => {
  const t = str(value).trim();
  const n = Number(t);
  if (!t || !Number.isFinite(n) || n < 0) throw new Error(`could not convert string to float: '${t}'`);
  return n;
};

/** How REST shows a stored setting: Mailman's forms of dates, periods and one-per-line lists. */
function shown(spec: SettingSpec, value: unknown): unknown {
  if (spec.type === 'datetime') return isoDate(value as Date | null);
  if (spec.type === 'days') return value == null ? null : `${value}d`;
  if (spec.lines) return typeof value === 'string' && value !== '' ? value.split('\n') : [];
  return value;
}

/** Settings kept on the list row that Mailman's configuration resource does not have. */
const NOT_SERVED: ReadonlySet<string> = new Set(['list_id']);

/** The attribute table, built once per app from LIST_SETTINGS. */
export function listAttributes(services: Services, deps: RestDeps): Map<string, Attribute> {
  const attrs = new Map<string, Attribute>();
  for (const spec of LIST_SETTINGS) {
    if (NOT_SERVED.has(spec.name)) continue;
    attrs.set(spec.name, {
      get: (l) => shown(spec, l[spec.name]),
      convert: spec.readonly ? undefined : converterFor(spec, deps),
      column: true,
      extension: spec.extension,
    });
  }
  const derived: Record<string, (l: MailingList) => string> = {
    fqdn_listname: (l) => listAddresses(l).posting,
    posting_address: (l) => listAddresses(l).posting,
    owner_address: (l) => listAddresses(l).owner,
    request_address: (l) => listAddresses(l).request,
    bounces_address: (l) => listAddresses(l).bounces,
    join_address: (l) => listAddresses(l).join,
    leave_address: (l) => listAddresses(l).leave,
    no_reply_address: (l) => `${services.config.get('mailman', 'noreply_address')}@${l.mail_host}`,
  };
  for (const [name, get] of Object.entries(derived)) if (!attrs.has(name)) attrs.set(name, { get });
  return new Map([...attrs].sort(([a], [b]) => a.localeCompare(b)));
}

/** Converts the given attributes and stores the column-backed ones in one update (REST and `mailman listconf`). */
export async function applySettings(
  services: Services,
  attrs: Map<string, Attribute>,
  mlist: MailingList,
  input: Input,
): Promise<void> {
  const invalid: string[] = [];
  const changes: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    const attr = attrs.get(key)!;
    try {
      const value = attr.convert!(raw);
      if (attr.column) changes[key] = value;
    } catch (err) {
      invalid.push(`Invalid Parameter "${key}": ${(err as Error).message}.`);
    }
  }
  if (invalid.length) throw badRequest(invalid.sort().join(' '));
  await services.lists.update(mlist, changes);
}

export function checkWritable(attrs: Map<string, Attribute>, keys: string[]): void {
  for (const key of keys) {
    const attr = attrs.get(key);
    if (!attr) throw badRequest(`Unknown attribute: ${key}`);
    if (!attr.convert) throw badRequest(`Read-only attribute: ${key}`);
  }
}

export function routes(router: RestRouter, deps: RestDeps): void {
  const { services } = deps;
  const attrs = listAttributes(services, deps);
  // What a PUT must give: every writable attribute Mailman has (ours may be left out).
  const required = [...attrs].filter(([, a]) => a.convert && !a.extension).map(([k]) => k);

  router.get('/lists/:list/config', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    okay(ctx, Object.fromEntries([...attrs].map(([k, a]) => [k, a.get(mlist)])));
  });

  router.patch('/lists/:list/config', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const input = inputOf(ctx);
    checkWritable(attrs, Object.keys(input));
    await applySettings(services, attrs, mlist, input);
    noContent(ctx);
  });

  router.put('/lists/:list/config', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const input = inputOf(ctx);
    // As Mailman's validator: only the writable attributes are parameters of a PUT.
    const unexpected = Object.keys(input).filter((k) => !attrs.get(k)?.convert);
    if (unexpected.length) throw badRequest(`Unexpected parameters: ${unexpected.sort().join(', ')}`);
    const missing = required.filter((k) => !(k in input));
    if (missing.length) throw badRequest(`Missing Parameter: ${missing.join(', ')}`);
    await applySettings(services, attrs, mlist, input);
    noContent(ctx);
  });

  const attribute = (ctx: RestContext): [string, Attribute] => {
    const name = ctx.params.attr;
    const attr = attrs.get(name);
    if (!attr) throw notFound(`Unknown attribute: ${name}`);
    return [name, attr];
  };

  router.get('/lists/:list/config/:attr', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const [name, attr] = attribute(ctx);
    okay(ctx, { [name]: attr.get(mlist) });
  });

  // One attribute, in the order Mailman checks: PUT is a validator of that one parameter;
  // PATCH first counts the body's keys, then names a stranger among them.
  router.put('/lists/:list/config/:attr', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const [name, attr] = attribute(ctx);
    if (!attr.convert) throw badRequest(`Read-only attribute: ${name}`);
    const input = inputOf(ctx);
    const extras = Object.keys(input).filter((k) => k !== name);
    if (extras.length) throw badRequest(`Unexpected parameters: ${extras.sort().join(', ')}`);
    if (!(name in input)) throw badRequest(`Missing Parameter: ${name}`);
    await applySettings(services, attrs, mlist, input);
    noContent(ctx);
  });

  router.patch('/lists/:list/config/:attr', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const input = inputOf(ctx);
    const keys = Object.keys(input);
    if (keys.length > 1) throw badRequest(`Expected 1 attribute, got ${keys.length}`);
    const [name, attr] = attribute(ctx);
    if (keys.length === 1 && keys[0] !== name) throw badRequest(`Unknown attribute: ${keys[0]}`);
    if (keys.length === 1 && !attr.convert) throw badRequest(`Read-only attribute: ${name}`);
    await applySettings(services, attrs, mlist, input);
    noContent(ctx);
  });

  // Mailman deletes no attribute but acceptable_aliases (kept as a setting here: PATCH it to []).
  router.delete('/lists/:list/config', async (ctx) => {
    await services.lists.require(ctx.params.list);
    throw badRequest('Cannot delete the list configuration itself');
  });
}

/** One list setting from its text, checked and converted as PATCH /lists/L/config does it. */
export async function writeListSetting(services: Services, mlist: MailingList, name: string, value: string) {
  const attrs = listAttributes(services, { services });
  await applySettings(services, attrs, mlist, { [name]: value });
}
