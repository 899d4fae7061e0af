// What the parser says when the text does not fit the grammar: "expected X after Y, found Z",
// the form MM201 promises, with rules and tokens named in plain English rather than by the
// grammar's internal names. Kept apart from parser.ts so the grammar reads as a grammar.
import { EOF } from './chevrotain.js';
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';

/** Plain-English descriptions of the rules, for "expected a condition after 'if'". */
const RULE_WHAT: Record<string, string> = {
  file: "'let', 'rule', 'chain' or 'pipeline'",
  definition: "'let' or 'rule'",
  chainDecl: 'a chain',
  pipelineDecl: 'a pipeline',
  link: "a link ('if', 'for' or an action)",
  ifLink: "a link 'if … then …'",
  branch: 'an action', // a block '{ … }' too, but the usual slip is a missing action
  block: "a block '{ … }'",
  action: 'an action',
  target: "a chain name or 'to'",
  chainName: 'a chain name',
  step: 'a handler name',
  condition: 'a condition',
  conjunct: 'a condition',
  negation: 'a condition',
  test: 'a condition',
  operand: "a rule, a value or 'header'",
  conversion: "'as number' or 'count'",
  predicate: "a test such as 'is', 'in' or 'matches'",
  value: 'a value',
  literal: 'a literal value',
  list: "a list '[...]'",
  path: 'a name',
  args: "arguments '(name: value, ...)'",
  arg: "an argument 'name: value'",
};

function label(type: TokenType): string {
  return type.LABEL ?? type.name;
}

/** A token's text for a message, cut short when long (a whole unterminated string). */
function quote(image: string): string {
  return `'${image.length > 24 ? `${image.slice(0, 20)}…` : image}'`;
}

/** How a token found in the text is named in a message. */
export function describeToken(token: IToken | undefined): string {
  if (!token || token.tokenType === EOF) return 'the end of the file';
  return quote(token.image);
}

/** ` after 'x'`, unless there is no sensible previous token (start of file, or recovery moved on). */
function after(previous: IToken | undefined, actual: IToken | undefined): string {
  if (!previous || previous.tokenType === EOF || !previous.image) return '';
  if (actual && actual.tokenType !== EOF && !(previous.startOffset < actual.startOffset)) return '';
  return ` after ${quote(previous.image)}`;
}

function oneOf(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

/** Messages as "expected X after Y, found Z", the form MM201 promises. */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    if (expected === EOF) return `unexpected ${describeToken(actual)}: expected ${RULE_WHAT.file}`;
    return `expected ${label(expected)}${after(previous, actual)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}: expected ${RULE_WHAT.file}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    const what = RULE_WHAT[ruleName] ?? oneOf(expectedPathsPerAlt.flat().map((path) => label(path[0])));
    return `expected ${what}${after(previous, actual[0])}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ actual, previous, ruleName }) {
    return `expected ${RULE_WHAT[ruleName] ?? 'more'}${after(previous, actual[0])}, found ${describeToken(actual[0])}`;
  },
};
