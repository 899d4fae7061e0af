// The types the checker gives values (docs/language.md#values-and-types), and where typed values come from:
// list settings, msgdata keys, site configuration keys, message values, link-source rows.
// A type decides which predicates apply (MM404), which arguments fit a parameter (MM403)
// and which chains a `jump to` may reach (MM407, and the graph's edges).
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import { sectionSpec } from '../config/schema.js';
import type { ParamType } from '../registry.js';

/**
 * `action`: accept, hold, reject, discard or defer; `disposition`: the four without defer;
 * `chain`: the name of a chain; `unknown`: not known until run time (checks are skipped).
 */
export type BaseType =
  'string' | 'address' | 'number' | 'size' | 'bool' | 'regex' | 'action' | 'disposition' | 'chain' | 'unknown';
export type Ty = BaseType | `${BaseType}[]`;

export const ACTION_VALUES = ['accept', 'hold', 'reject', 'discard', 'defer'] as const;
export const DISPOSITIONS = ['accept', 'hold', 'reject', 'discard'] as const;

export function isList(t: Ty): boolean {
  return t.endsWith('[]');
}
export function elem(t: Ty): BaseType {
  return (isList(t) ? t.slice(0, -2) : t) as BaseType;
}
export function listOf(t: BaseType): Ty {
  return `${t}[]`;
}

const TEXT: ReadonlySet<BaseType> = new Set(['string', 'address', 'action', 'disposition', 'chain', 'unknown']);
const NUMERIC: ReadonlySet<BaseType> = new Set(['number', 'size', 'unknown']);

export function isText(t: BaseType): boolean {
  return TEXT.has(t);
}
export function isNumeric(t: BaseType): boolean {
  return NUMERIC.has(t);
}

/** Whether values of two element types can be compared with `is` or `in`. */
export function comparable(a: BaseType, b: BaseType): boolean {
  if (a === 'unknown' || b === 'unknown') return true;
  if (isText(a) && isText(b)) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  return a === b && a !== 'regex';
}

/** How a type reads in a message: "a size", "a list of addresses". */
export function describeType(t: Ty): string {
  const NAMES: Record<BaseType, [string, string]> = {
    string: ['a string', 'strings'],
    address: ['an address', 'addresses'],
    number: ['a number', 'numbers'],
    size: ['a size', 'sizes'],
    bool: ['true or false', 'booleans'],
    regex: ['a regex', 'regexes'],
    action: ['an action', 'actions'],
    disposition: ['an action', 'actions'],
    chain: ['a chain name', 'chain names'],
    unknown: ['a value', 'values'],
  };
  const [one, many] = NAMES[elem(t)];
  return isList(t) ? `a list of ${many}` : one;
}

/** The checker type of a parameter or link-source field type. */
export function fromParamType(t: ParamType): Ty {
  switch (t) {
    case 'string-list':
      return 'string[]';
    default:
      return t;
  }
}

/** Whether an argument of type `given` fits a parameter of type `want`. */
export function fitsParam(given: Ty, want: ParamType): boolean {
  const g = elem(given);
  if (g === 'unknown') return true;
  switch (want) {
    case 'string':
    case 'address':
      return !isList(given) && isText(g);
    case 'number':
      return !isList(given) && g === 'number';
    case 'size':
      return !isList(given) && (g === 'size' || g === 'number');
    case 'bool':
      return !isList(given) && g === 'bool';
    case 'regex':
      return !isList(given) && (g === 'regex' || g === 'string');
    case 'action':
      return !isList(given) && (g === 'action' || g === 'disposition' || g === 'string');
    case 'string-list':
      return isText(g);
  }
}

/** Kept in KB by Mailman, read by the language as a size in bytes. */
export const KB_SETTINGS: ReadonlySet<string> = new Set(['max_message_size']);

/** The type of `list.SETTING`. */
export function settingType(name: string): Ty | undefined {
  const spec = SETTINGS_BY_NAME.get(name);
  if (!spec) return undefined;
  if (KB_SETTINGS.has(name)) return 'size';
  switch (spec.type) {
    case 'bool':
      return 'bool';
    case 'int':
    case 'days':
    case 'float':
      return 'number';
    case 'enum':
      return spec.choices?.every((c) => (ACTION_VALUES as readonly string[]).includes(c)) ? 'action' : 'string';
    case 'string-list':
      return 'string[]';
    default:
      return spec.names === 'chain' ? 'chain' : 'string';
  }
}

/**
 * The msgdata keys a file may read, with their types (docs/language.md#what-a-path-can-name: msgdata is registered and
 * typed). Rules and handlers that set a key of their own register it with registerMsgdataKey.
 */
const MSGDATA_KEYS = new Map<string, Ty>([
  ['approved', 'bool'],
  ['member_moderation_action', 'disposition'],
  ['dmarc_action', 'disposition'],
  ['dmarc', 'bool'],
  ['moderation_sender', 'address'],
  ['moderation_reasons', 'string[]'],
  ['rule_hits', 'string[]'],
  ['rule_misses', 'string[]'],
  ['original_sender', 'address'],
  ['envsender', 'address'],
  ['recipients', 'address[]'],
  ['listid', 'string'],
  ['tolist', 'bool'],
  ['toowner', 'bool'],
  ['torequest', 'bool'],
  ['tojoin', 'bool'],
  ['toleave', 'bool'],
  ['toconfirm', 'bool'],
  ['fasttrack', 'bool'],
  ['isdigest', 'bool'],
  ['nodecorate', 'bool'],
  ['reduced_list_headers', 'bool'],
  ['received_time', 'number'],
  // What our LMTP server records (Mailman's tolist/toowner/torequest, spelled with _).
  ['to_list', 'bool'],
  ['to_owner', 'bool'],
  ['to_request', 'bool'],
  ['subaddress', 'string'],
  ['original_size', 'number'],
  ['moderator_approved', 'bool'],
  ['fromusenet', 'bool'],
  ['topichits', 'string[]'],
]);

export function msgdataType(key: string): Ty | undefined {
  return MSGDATA_KEYS.get(key);
}
export function msgdataKeys(): string[] {
  return [...MSGDATA_KEYS.keys()].sort();
}
/** Declares a msgdata key a component sets, so files may read it. A second declaration must agree. */
export function registerMsgdataKey(key: string, type: Ty): void {
  const had = MSGDATA_KEYS.get(key);
  if (had && had !== type) throw new Error(`msgdata key '${key}' is already registered as ${had}`);
  MSGDATA_KEYS.set(key, type);
}

/** Configuration keys whose value names a chain (a `jump to` may use them). */
const CHAIN_KEYS: ReadonlySet<string> = new Set(['antispam.jump_chain']);

/** The type of `site.SECTION.KEY`, from src/config/schema.ts; undefined when there is no such key. */
export function siteType(section: string, key: string): Ty | undefined {
  const spec = sectionSpec(section)?.[key];
  if (!spec) return undefined;
  if (CHAIN_KEYS.has(`${section}.${key}`)) return 'chain';
  switch (spec.type) {
    case 'int':
    case 'port':
    case 'duration':
      return 'number';
    case 'bool':
      return 'bool';
    default:
      return 'string';
  }
}

/** Message values (docs/language.md#what-a-path-can-name) and their types. */
export const MESSAGE_TYPES: ReadonlyMap<string, Ty> = new Map<string, Ty>([
  ['sender', 'address'],
  ['sender.domain', 'string'],
  ['sender.localpart', 'string'],
  ['senders', 'address[]'],
  ['recipients', 'address[]'],
  ['recipients.count', 'number'],
  ['size', 'size'],
  ['body', 'string'],
]);

/** The roles `is a ROLE` knows. */
export const ROLES = ['member', 'nonmember', 'owner', 'moderator'] as const;
