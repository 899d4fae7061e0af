// The names the language itself gives a meaning (docs/language.md#what-a-path-can-name): the message values (`sender`,
// `recipients.count` …), `list.SETTING`, `msgdata.KEY` and `site.SECTION.KEY`, each looked up
// in its own table, with a "did you mean" when it is not there (MM301) and a refusal when it
// names a secret (MM311).
import type * as A from './ast.js';
import { pathText } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import { didYouMean } from './suggest.js';
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import { sectionSpec, allSectionNames, isSecretKey, SECRET_NAME } from '../config/schema.js';
import { MESSAGE_TYPES, msgdataKeys, msgdataType, settingType, siteType, type Ty } from './types.js';

/** What a path of several parts rooted in a name of the language denotes. */
export type RootedBinding =
  | { kind: 'setting'; name: string; type: Ty }
  | { kind: 'msgdata'; key: string; type: Ty }
  /** A message value: `sender`, `sender.domain`, `senders`, `size`, `recipients`, `recipients.count`, `body`. */
  | { kind: 'message'; name: string; type: Ty }
  | { kind: 'site'; section: string; key: string; type: Ty };

/** The message values and their parts. */
export const MESSAGE_VALUES = new Map<string, readonly string[]>([
  ['sender', ['domain', 'localpart']],
  ['senders', []],
  ['recipients', ['count']],
  ['size', []],
  ['body', []],
]);
export const ROOTS = ['list', 'msgdata', 'site', ...MESSAGE_VALUES.keys()];

/** A suffix `'x'` -> `'prefix.x'` in a "did you mean" hint. */
function prefixed(hint: string | undefined, prefix: string): string | undefined {
  return hint?.replace(/'(.*)'/, `'${prefix}$1'`);
}

/**
 * A path of two or more parts that is not a loop variable's field. `otherNames` are the
 * file's own names, suggested when the root is unknown.
 */
export function resolveRooted(
  path: A.Path,
  sink: DiagnosticSink,
  otherNames: () => string[],
): RootedBinding | undefined {
  const [head, ...rest] = path.parts;
  switch (head.name) {
    case 'list':
      return listSetting(path, rest, sink);
    case 'msgdata':
      return msgdataKey(path, rest, sink);
    case 'site':
      return siteKey(path, rest, sink);
    default: {
      const name = head.name;
      const fields = MESSAGE_VALUES.get(name);
      const full = pathText(path);
      const type = MESSAGE_TYPES.get(full);
      if (type) return { kind: 'message', name: full, type };
      if (fields) {
        const guess = rest.length === 1 ? prefixed(didYouMean(rest[0].name, fields), `${name}.`) : undefined;
        const parts = fields.length
          ? `it has ${fields.map((f) => `${name}.${f}`).join(' and ')}`
          : `'${name}' has no parts`;
        sink.error(
          path.span,
          Codes.UnknownName,
          `'${name}' has no '${rest.map((p) => p.name).join('.')}'`,
          guess ?? parts,
        );
        return undefined;
      }
      sink.error(head.span, Codes.UnknownName, `unknown name '${name}'`, didYouMean(name, otherNames()));
      return undefined;
    }
  }
}

function listSetting(path: A.Path, rest: readonly A.Ident[], sink: DiagnosticSink): RootedBinding | undefined {
  const setting = rest[0].name;
  const type = settingType(setting);
  if (rest.length > 1 || !type) {
    const what = rest.length > 1 ? pathText(path) : `list.${setting}`;
    const hint =
      rest.length > 1
        ? type
          ? `'list.${setting}' has no parts`
          : undefined
        : prefixed(didYouMean(setting, SETTINGS_BY_NAME.keys()), 'list.');
    sink.error(path.span, Codes.UnknownName, `unknown list setting '${what}'`, hint);
    return undefined;
  }
  if (SETTINGS_BY_NAME.get(setting)?.secret || SECRET_NAME.test(setting)) {
    secret(path, `list.${setting}`, sink);
    return undefined;
  }
  return { kind: 'setting', name: setting, type };
}

function msgdataKey(path: A.Path, rest: readonly A.Ident[], sink: DiagnosticSink): RootedBinding | undefined {
  const type = msgdataType(rest[0].name);
  if (rest.length > 1 || !type) {
    const hint =
      rest.length > 1
        ? 'msgdata keys are one word: msgdata.KEY'
        : (didYouMean(rest[0].name, msgdataKeys()) ??
          'the rule or handler that sets a msgdata key registers it with its type');
    const key = pathText(path).slice('msgdata.'.length);
    sink.error(path.span, Codes.UnknownName, `unknown msgdata key '${key}'`, hint);
    return undefined;
  }
  return { kind: 'msgdata', key: rest[0].name, type };
}

function siteKey(path: A.Path, rest: readonly A.Ident[], sink: DiagnosticSink): RootedBinding | undefined {
  const [section, key, ...more] = rest.map((p) => p.name);
  const spec = sectionSpec(section);
  if (!spec) {
    const hint =
      prefixed(didYouMean(section, allSectionNames()), 'site.') ??
      'write site.SECTION.KEY, as in site.antispam.jump_chain';
    sink.error(path.span, Codes.UnknownName, `unknown configuration section '${section}'`, hint);
    return undefined;
  }
  const type = key === undefined ? undefined : siteType(section, key);
  if (!type || more.length) {
    const keys = Object.keys(spec);
    const hint =
      key === undefined
        ? `name a key of [${section}]: ${keys.join(', ')}`
        : more.length && type
          ? `'site.${section}.${key}' has no parts`
          : (prefixed(didYouMean(key, keys), `site.${section}.`) ?? `the keys of [${section}] are ${keys.join(', ')}`);
    const message =
      key === undefined
        ? `'site.${section}' is a section, not a value`
        : `unknown configuration key '${pathText(path).slice('site.'.length)}'`;
    sink.error(path.span, Codes.UnknownName, message, hint);
    return undefined;
  }
  if (isSecretKey(section, key!)) {
    secret(path, `site.${section}.${key}`, sink);
    return undefined;
  }
  return { kind: 'site', section, key: key!, type };
}

/**
 * MM311: passwords and keys are not values of the language. Refused here, where every
 * `list.X` and `site.S.K` (conditions, arguments, reasons, lets) is resolved, so no
 * reason, trace or `explain` can ever show one.
 */
function secret(path: A.Path, what: string, sink: DiagnosticSink): void {
  sink.error(
    path.span,
    Codes.Secret,
    `'${what}' is a secret: chains and pipelines cannot read passwords or keys`,
    'test something else; a rule that needs a secret reads it itself (as approved does with the moderator password)',
  );
}
