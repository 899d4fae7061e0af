// What a file may name besides the registry's components, as tools list it: list settings,
// msgdata keys, site keys, message values, roles and action words, each with the type the
// checker gives it. Read from the same tables resolve.ts and resolve-paths.ts look names up
// in, so a language server's completion and hover never offer a name the compiler refuses
// (secrets included: they are left out here as they are refused there).
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import { allSectionNames, isSecretKey, sectionSpec, SECRET_NAME } from '../config/schema.js';
import {
  describeType,
  MESSAGE_TYPES,
  msgdataKeys,
  msgdataType,
  ROLES,
  settingType,
  siteType,
  type Ty,
} from './types.js';
import { ROOTS } from './resolve-paths.js';

export type { Ty } from './types.js';
export { describeType } from './types.js';

export interface TypedName {
  name: string;
  type: Ty;
}

/** The words that begin an action after `then` (or alone, as a link). */
export const ACTION_KEYWORDS = ['accept', 'hold', 'reject', 'discard', 'defer', 'stop', 'jump', 'detour', 'run'];

/** What each action does, in a line, for tools (docs/language.md#actions has the whole story). */
export const ACTION_MEANINGS: Readonly<Record<string, string>> = {
  accept: "records the reason if one is given, then goes to the terminal chain 'accept': the post is approved",
  hold: "records the reason if one is given, then goes to the terminal chain 'hold': the post waits for a moderator",
  reject:
    "records the reason if one is given, then goes to the terminal chain 'reject': the post is refused and the " +
    'sender told why',
  discard: "records the reason if one is given, then goes to the terminal chain 'discard': the post is dropped",
  defer: "does nothing and goes on with the next link (what the condition recorded still counts for 'if any')",
  stop: "ends all processing here, pending detours included: this chain's outcome is the message's",
  jump: 'goes on at the first link of another chain and never comes back; pending detours stay pending',
  detour: 'runs another chain, then comes back to the link after this one once that chain runs out of links',
  run: 'calls a registered effect with its arguments, then goes on with the next link',
};

/** The roots of a path the language gives a meaning: `list`, `msgdata`, `site` and the message values. */
export const PATH_ROOTS: readonly string[] = ROOTS;

/** `is a ROLE`. */
export const ROLE_NAMES: readonly string[] = ROLES;

/** Every list setting a file may read, sorted, with its type. */
export function listSettings(): TypedName[] {
  const out: TypedName[] = [];
  for (const [name, spec] of SETTINGS_BY_NAME) {
    if (spec.secret || SECRET_NAME.test(name)) continue;
    const type = settingType(name);
    if (type) out.push({ name, type });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Every registered msgdata key, sorted, with its type. */
export function msgdataEntries(): TypedName[] {
  return msgdataKeys().map((name) => ({ name, type: msgdataType(name)! }));
}

/** The message values (`sender`, `sender.domain`, `size` …) with their types. */
export function messageValues(): TypedName[] {
  return [...MESSAGE_TYPES].map(([name, type]) => ({ name, type }));
}

/** The configuration sections `site.SECTION.KEY` may name. */
export function siteSections(): string[] {
  return allSectionNames().filter((s) => !s.includes('.'));
}

/** The readable keys of one section, with their types; none for an unknown section. */
export function siteKeys(section: string): TypedName[] {
  const spec = sectionSpec(section);
  if (!spec) return [];
  const out: TypedName[] = [];
  for (const key of Object.keys(spec)) {
    const type = siteType(section, key);
    if (type && !isSecretKey(section, key)) out.push({ name: key, type });
  }
  return out;
}

/**
 * The type of a path of two or more parts rooted in the language (`list.X`, `msgdata.X`,
 * `site.S.K`, `sender.domain`), or undefined when there is none (or it is a secret).
 */
export function rootedPathType(parts: readonly string[]): Ty | undefined {
  const [head, a, b] = parts;
  if (head === 'list' && parts.length === 2) {
    if (SETTINGS_BY_NAME.get(a)?.secret || SECRET_NAME.test(a)) return undefined;
    return settingType(a);
  }
  if (head === 'msgdata' && parts.length === 2) return msgdataType(a);
  if (head === 'site' && parts.length === 3) return isSecretKey(a, b) ? undefined : siteType(a, b);
  return MESSAGE_TYPES.get(parts.join('.'));
}

/** How a type reads in a tooltip: `size (a size)`. */
export function typeText(type: Ty): string {
  return `${type} (${describeType(type)})`;
}
