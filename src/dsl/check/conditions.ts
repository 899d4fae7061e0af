// The type checks of conditions (MM404 for a test its operand's type does not define, MM403
// for a predicate's value of the wrong type): a test `OPERAND PREDICATE VALUE`, and an
// operand standing alone, which must be a rule or something true or false.
import type * as A from '../ast.js';
import { pathText } from '../ast.js';
import { Codes, type DiagnosticSink } from '../diagnostics.js';
import type { Resolution } from '../resolve.js';
import { didYouMean } from '../suggest.js';
import { ACTION_VALUES, comparable, describeType, elem, isList, isNumeric, isText } from '../types.js';
import { isAction } from './args.js';
import type { PatternChecks } from './patterns.js';
import { fromMessage, typeOf } from './type-of.js';

/** What a test's operand is, for messages. */
function operandText(o: A.Operand): string {
  if (o.kind === 'Header') return `header "${o.name.value}"`;
  if (o.kind === 'Ref') return o.key ? `${pathText(o.path)} "${o.key.value}"` : pathText(o.path);
  if (o.kind === 'Convert') return `${operandText(o.of)} ${o.type ? `as ${o.type.name}` : 'count'}`;
  return 'the value';
}

/** The conversions: `as number` reads a header's text; `count` counts a list's values. */
export const CONVERSION_TYPES = ['number'] as const;

/**
 * Whether `OPERAND as TYPE` or `OPERAND count` is defined: `as number` for header text
 * (`header "X"`, `part.header "X"`), `count` for any list (a header's values, recipients …).
 */
export function checkConvert(o: A.ConvertOperand, res: Resolution, sink: DiagnosticSink): boolean {
  const of = o.of;
  const t = of.kind === 'Header' ? 'string[]' : typeOf(of.path, res);
  if (t === 'unknown' || (of.kind === 'Ref' && !res.paths.has(of.path))) return false; // reported by resolve
  if (!o.type) {
    if (isList(t) || t === 'unknown[]') return true;
    sink.error(
      o.span,
      Codes.BadOperator,
      `'count' is not defined for ${operandText(of)}, which is ${describeType(t)}`,
      '\'count\' counts the values of a list: header "Received" count, recipients count',
    );
    return false;
  }
  const type = o.type.name;
  if (!(CONVERSION_TYPES as readonly string[]).includes(type)) {
    sink.error(
      o.type.span,
      Codes.UnknownName,
      `unknown type '${type}' after 'as'`,
      didYouMean(type, CONVERSION_TYPES) ?? `the only conversion is 'as number'`,
    );
    return false;
  }
  const headerText = of.kind === 'Header' || (of.key !== undefined && elem(t) === 'string');
  if (!headerText) {
    sink.error(
      o.span,
      Codes.BadOperator,
      `'as number' reads a header's text; ${operandText(of)} is ${describeType(t)}`,
      isNumeric(elem(t)) ? `compare it as it is: ${operandText(of)} > …` : `write header "Name" as number`,
    );
    return false;
  }
  return true;
}

/** Whether a test is well typed; each problem is reported. */
export function checkTest(
  c: A.TestCond,
  p: A.Predicate,
  res: Resolution,
  sink: DiagnosticSink,
  patterns: PatternChecks,
): boolean {
  const operand = c.operand;
  const lt = operand.kind === 'Header' ? 'string[]' : typeOf(operand.kind === 'Ref' ? operand.path : operand, res);
  const le = elem(lt);
  const undefinedFor = (hint?: string): false => {
    const is = operand.kind === 'Header' ? 'text' : describeType(lt);
    sink.error(
      p.span,
      Codes.BadOperator,
      `'${p.words}' is not defined for ${operandText(operand)}, which is ${is}`,
      hint,
    );
    return false;
  };
  switch (p.op) {
    case 'is-a':
    case 'is-not-a':
      if (le === 'address' || le === 'unknown') return true;
      return undefinedFor('roles belong to addresses: sender, senders, recipients');
    case 'exists':
    case 'missing':
      if (operand.kind !== 'Header') {
        sink.error(p.span, Codes.BadOperator, `'${p.words}' applies to headers only`, `write header "Name" ${p.words}`);
        return false;
      }
      return true;
  }
  const value = p.value!;
  const rt = typeOf(value, res);
  const re = elem(rt);
  const wrongValue = (message: string, hint?: string): false => {
    sink.error(value.span, Codes.WrongArgType, message, hint);
    return false;
  };
  switch (p.op) {
    case 'is':
    case 'is-not':
      if (rt === 'regex') {
        const regex = value.kind === 'Regex' ? `/${value.source}/${value.flags}` : '…';
        return wrongValue(
          `'${p.words}' compares with a value, not a regex`,
          `to search with a regex, write '${operandText(operand)} matches ${regex}'`,
        );
      }
      if (isList(rt)) {
        return wrongValue(
          `'${p.words}' compares with one value, not a list`,
          `to test membership, write '${operandText(operand)} ${p.op === 'is' ? 'in' : 'not in'} […]'`,
        );
      }
      if (!comparable(le, re)) {
        return undefinedFor(`${operandText(operand)} is ${describeType(lt)} and cannot equal ${describeType(rt)}`);
      }
      const actionWord = (le === 'action' || le === 'disposition') && value.kind === 'String';
      if (actionWord && !isAction(value.value.toLowerCase())) {
        return wrongValue(
          `"${value.value}" is not an action`,
          didYouMean(value.value, ACTION_VALUES) ?? `the actions are ${ACTION_VALUES.join(', ')}`,
        );
      }
      return true;
    case 'in':
    case 'not-in':
      // A list only: `x in "partner.example"` was once a substring test, so that
      // `evil@ner.example` passed a check meant for one domain (issue 9).
      if (!isList(rt) && rt !== 'unknown') {
        const what = operandText(operand);
        return wrongValue(
          `'${p.words}' takes a list, not ${describeType(rt)}`,
          isText(re)
            ? `write a list, as in ${what} ${p.words} ["a", "b"]; to look inside text, write '… contains …'`
            : 'write a list as ["a", "b"]',
        );
      }
      if (!comparable(le, re)) {
        return undefinedFor(`${operandText(operand)} is ${describeType(lt)}; the list holds ${describeType(rt)}`);
      }
      return true;
    case 'contains':
    case 'starts-with':
    case 'ends-with':
      if (!isText(le)) return undefinedFor(`'${p.words}' tests text; compare numbers with < <= > >=`);
      if (isList(rt) || !isText(re)) return wrongValue(`'${p.words}' takes a string, not ${describeType(rt)}`);
      return true;
    case 'matches':
      if (!isText(le)) return undefinedFor("'matches' searches text");
      if (re !== 'regex' && !(re === 'string' && value.kind === 'Path') && re !== 'unknown') {
        return wrongValue("'matches' takes a regex", 'write it between slashes, as in /^\\[spam\\]/i');
      }
      if (value.kind === 'Path' && fromMessage(value, res)) {
        // A sender must never choose the pattern (nor make one that stalls the runner).
        return wrongValue(
          "'matches' takes a regex from the chain, a setting or a row, not one read from the message",
          'compare message values with is, in, contains, starts with or ends with',
        );
      }
      patterns.stringPattern(value, {});
      return true;
    default: // < <= > >=
      if (!isNumeric(le)) return undefinedFor(`'${p.words}' compares numbers and sizes`);
      if (isList(rt) || !isNumeric(re)) {
        return wrongValue(
          `'${p.words}' compares numbers and sizes, not ${describeType(rt)}`,
          le === 'size' ? 'write a size as 40KB or 2MB' : undefined,
        );
      }
      return true;
  }
}

/**
 * Whether an operand standing alone is a condition: a rule, true or false, or a value of
 * type bool. A path resolve.ts could not bind is not, and was reported there.
 */
export function checkBare(o: A.Operand, res: Resolution, sink: DiagnosticSink): boolean {
  if (o.kind === 'Header') {
    const name = o.name.value;
    sink.error(
      o.span,
      Codes.BadOperator,
      `header "${name}" is not a condition on its own`,
      `test it: header "${name}" exists`,
    );
    return false;
  }
  if (o.kind === 'Convert') {
    sink.error(
      o.span,
      Codes.BadOperator,
      `${operandText(o)} is a number, not a condition`,
      `compare it: ${operandText(o)} > …`,
    );
    return false;
  }
  if (o.kind !== 'Ref') {
    if (o.kind === 'Bool') return true;
    const what = describeType(typeOf(o, res));
    sink.error(
      o.span,
      Codes.BadOperator,
      `${what} is not a condition`,
      'a condition is a rule, or a test such as: size > 1MB',
    );
    return false;
  }
  const b = res.paths.get(o.path);
  if (!b) return false;
  switch (b.kind) {
    case 'rule':
    case 'local-rule':
      return true;
    case 'const':
      if (b.def.value.kind === 'Bool') return true;
      sink.error(
        o.span,
        Codes.BadOperator,
        `'${b.def.name.name}' is ${describeType(typeOf(b.def.value, res))}, ` +
          'not true or false, so it is not a condition',
      );
      return false;
    default: {
      const t = typeOf(o.path, res);
      if (t === 'bool' || t === 'unknown') return true;
      const p = pathText(o.path);
      const hint = isNumeric(elem(t)) && !isList(t) ? `compare it: ${p} > …` : `test it: ${p} is …`;
      sink.error(o.span, Codes.BadOperator, `'${p}' is ${describeType(t)}, not a condition`, hint);
      return false;
    }
  }
}
