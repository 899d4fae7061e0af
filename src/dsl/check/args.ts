// The check of an argument against the parameter it is given for (MM403): its type, a
// constant pattern's regex, a constant action's spelling. Unknown and missing parameters are
// names, reported by resolve.ts.
import type * as A from '../ast.js';
import { Codes, type DiagnosticSink } from '../diagnostics.js';
import type { Resolution } from '../resolve.js';
import { didYouMean } from '../suggest.js';
import { ACTION_VALUES, describeType, fitsParam, type Ty } from '../types.js';
import type { ParamSpec } from '../../registry.js';
import type { PatternChecks } from './patterns.js';
import { typeOf } from './type-of.js';

const TYPE_HINTS: Partial<Record<ParamSpec['type'], string>> = {
  size: 'write a size as 40KB or 2MB',
  regex: 'write a regex between slashes, as in /^re:/i',
  string: 'write a string in double quotes',
};

/** "rule 'x'": put together only for a message, as most arguments are fine. */
function ownerWords(kind: string, name: string): string {
  return `${kind} '${name}'`;
}

export function checkArg(
  a: A.Arg,
  spec: ParamSpec,
  ownerKind: string,
  ownerName: string,
  res: Resolution,
  sink: DiagnosticSink,
  patterns: PatternChecks,
): void {
  const given = typeOf(a.value, res);
  if (!fitsParam(given, spec.type)) {
    const wanted = describeType(spec.type === 'string-list' ? 'string[]' : (spec.type as Ty));
    sink.error(
      a.value.span,
      Codes.WrongArgType,
      `argument '${a.name.name}' of ${ownerWords(ownerKind, ownerName)} takes ${wanted}, not ${describeType(given)}`,
      TYPE_HINTS[spec.type],
    );
  } else if (spec.pattern) {
    patterns.stringPattern(a.value, spec.pattern);
  } else if (spec.check && constantText(a.value) !== undefined) {
    const why = spec.check(constantText(a.value)!);
    if (why)
      sink.error(
        a.value.span,
        Codes.WrongArgType,
        `argument '${a.name.name}' of ${ownerWords(ownerKind, ownerName)}: ${why}`,
      );
  } else if (spec.type === 'action' && a.value.kind === 'String' && !isAction(a.value.value)) {
    sink.error(
      a.value.span,
      Codes.WrongArgType,
      `"${a.value.value}" is not an action`,
      didYouMean(a.value.value, ACTION_VALUES) ?? `the actions are ${ACTION_VALUES.join(', ')}`,
    );
  }
}

/** A string literal's text, or a list literal's when all its items are strings. */
function constantText(v: A.Value): string | string[] | undefined {
  if (v.kind === 'String') return v.value;
  if (v.kind === 'List' && v.items.every((i) => i.kind === 'String'))
    return v.items.map((i) => (i as A.StringLit).value);
  return undefined;
}

export function isAction(word: string): boolean {
  return (ACTION_VALUES as readonly string[]).includes(word);
}
