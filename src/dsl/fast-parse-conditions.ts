// The fast parser's rules for conditions and values (grammar/parser-conditions.ts's `condition`
// down to `arg`), as the base class of fast-parse.ts's parser, which adds files, chains and
// pipelines. Hand-written recursive descent over the tokens: the grammar is LL(1), so each
// choice is made on the next token, as Chevrotain's lookahead makes it in the recovering parser.
import { tokenMatcher } from '../../grammar/chevrotain.js';
import type { IToken, TokenType } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import type * as A from './ast.js';
import { converted, ident, join, stringLit, tokenSpan, type ConversionParts } from './build-ast.js';
import * as N from './fast-parse-nodes.js';

/** Thrown to abandon the parse at the first token that does not fit: the text has a syntax error. */
export const DECLINED: unique symbol = Symbol('declined');

const set = (...types: TokenType[]): ReadonlySet<TokenType> => new Set(types);
/** What a predicate starts with; the comparison operators with their op and words. */
const PREDICATE_START = set(
  T.Is,
  T.Not,
  T.In,
  T.Contains,
  T.Matches,
  T.Starts,
  T.Ends,
  T.Less,
  T.LessEq,
  T.Greater,
  T.GreaterEq,
  T.Exists,
  T.Missing,
);
const COMPARISONS: ReadonlyMap<TokenType, readonly [A.Predicate['op'], string]> = new Map([
  [T.Contains, ['contains', 'contains']],
  [T.Matches, ['matches', 'matches']],
  [T.Less, ['<', '<']],
  [T.LessEq, ['<=', '<=']],
  [T.Greater, ['>', '>']],
  [T.GreaterEq, ['>=', '>=']],
]);

export abstract class ConditionParser {
  protected tokens: IToken[] = [];
  protected pos = 0;

  /** Whether the next token is of `type` (or of a type in category `type`). */
  protected at(type: TokenType): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && tokenMatcher(t, type);
  }

  protected take(type: TokenType): IToken {
    const t = this.tokens[this.pos];
    if (t === undefined || !tokenMatcher(t, type)) throw DECLINED;
    this.pos++;
    return t;
  }

  protected maybe(type: TokenType): IToken | undefined {
    return this.at(type) ? this.tokens[this.pos++] : undefined;
  }

  // A lone operand (the usual case) is returned as it is, with no array made for it.
  protected condition(): A.Condition {
    const first = this.conjunct();
    if (!this.at(T.Or)) return first;
    this.pos++;
    const operands: A.Condition[] = [first, this.conjunct()];
    while (this.maybe(T.Or)) operands.push(this.conjunct());
    return N.joined('Or', operands);
  }

  private conjunct(): A.Condition {
    const first = this.negation();
    if (!this.at(T.And)) return first;
    this.pos++;
    const operands: A.Condition[] = [first, this.negation()];
    while (this.maybe(T.And)) operands.push(this.negation());
    return N.joined('And', operands);
  }

  private negation(): A.Condition {
    const kw = this.maybe(T.Not);
    if (kw) {
      const operand = this.negation();
      return { kind: 'Not', operand, span: join(tokenSpan(kw), operand.span) };
    }
    const open = this.maybe(T.LParen);
    if (open) {
      const inner = this.condition();
      const close = this.take(T.RParen);
      return { ...inner, span: join(tokenSpan(open), tokenSpan(close)) };
    }
    return this.test();
  }

  private test(): A.TestCond {
    const operand = this.operand();
    const next = this.tokens[this.pos];
    const predicate = next !== undefined && PREDICATE_START.has(next.tokenType) ? this.predicate() : undefined;
    return { kind: 'Test', operand, predicate, span: join(operand.span, (predicate ?? operand).span) };
  }

  private operand(): A.Operand {
    if (this.at(T.Name)) {
      const path = this.path();
      const args = this.at(T.LParen) ? this.args() : undefined;
      const key = this.maybe(T.StringLit);
      const conversion = this.conversion();
      const k = key ? stringLit(key) : undefined;
      const of: A.RefOperand = { kind: 'Ref', path, args, key: k, span: join(path.span, (k ?? args ?? path).span) };
      return conversion ? converted(of, conversion) : of;
    }
    const kw = this.maybe(T.Header);
    if (kw) {
      const n = stringLit(this.take(T.StringLit));
      const conversion = this.conversion();
      const of: A.HeaderOperand = { kind: 'Header', name: n, span: join(tokenSpan(kw), n.span) };
      return conversion ? converted(of, conversion) : of;
    }
    return this.literal();
  }

  /** `as TYPE` or `count`, if next. */
  private conversion(): ConversionParts | undefined {
    const as = this.maybe(T.As);
    if (as) {
      const type = ident(this.take(T.Name));
      return { type, span: join(tokenSpan(as), type.span) };
    }
    const count = this.maybe(T.Count);
    return count ? { span: tokenSpan(count) } : undefined;
  }

  private predicate(): A.Predicate {
    const t = this.tokens[this.pos++];
    const type = t.tokenType;
    if (type === T.Is) {
      const not = this.maybe(T.Not);
      const a = this.maybe(T.A) ?? this.maybe(T.An);
      if (a) return N.roleTest(t, not, a, this.take(T.Name));
      return N.valueTest(t, not ? 'is-not' : 'is', not ? 'is not' : 'is', this.value());
    }
    if (type === T.Not) {
      this.take(T.In);
      return N.valueTest(t, 'not-in', 'not in', this.value());
    }
    if (type === T.In) return N.valueTest(t, 'in', 'in', this.value());
    if (type === T.Starts || type === T.Ends) {
      this.take(T.With);
      const [op, words] =
        type === T.Starts ? (['starts-with', 'starts with'] as const) : (['ends-with', 'ends with'] as const);
      return N.valueTest(t, op, words, this.value());
    }
    const comparison = COMPARISONS.get(type);
    if (comparison) return N.valueTest(t, comparison[0], comparison[1], this.value());
    // Exists or missing: PREDICATE_START holds nothing else.
    const op = type === T.Exists ? 'exists' : 'missing';
    return { kind: 'Predicate', op, words: op, value: undefined, role: undefined, span: tokenSpan(t) };
  }

  protected value(): A.Value {
    return this.at(T.Name) ? this.path() : this.literal();
  }

  private literal(): A.Literal {
    const t = this.tokens[this.pos];
    if (t === undefined) throw DECLINED;
    for (const type of LITERAL_TOKENS) {
      if (tokenMatcher(t, type)) {
        this.pos++;
        return N.literal(t, type);
      }
    }
    return this.list();
  }

  private list(): A.ListLit {
    const open = this.take(T.LBracket);
    const items: A.Value[] = [];
    if (!this.at(T.RBracket)) {
      items.push(this.value());
      while (this.maybe(T.Comma)) items.push(this.value());
    }
    const close = this.take(T.RBracket);
    return { kind: 'List', items, span: join(tokenSpan(open), tokenSpan(close)) };
  }

  protected path(): A.Path {
    const first = ident(this.take(T.Name));
    let parts: A.Ident[];
    if (!this.maybe(T.Dot)) parts = [first];
    else {
      // Sized by literal for the usual two parts: a push would grow the array by 16 slots.
      parts = [first, ident(this.take(T.Word))];
      while (this.maybe(T.Dot)) parts.push(ident(this.take(T.Word)));
    }
    return { kind: 'Path', parts, span: join(parts[0].span, parts[parts.length - 1].span) };
  }

  protected args(): A.Args {
    const open = this.take(T.LParen);
    const entries: A.Arg[] = [];
    if (!this.at(T.RParen)) {
      entries.push(this.arg());
      while (this.maybe(T.Comma)) entries.push(this.arg());
    }
    const close = this.take(T.RParen);
    return { entries, span: join(tokenSpan(open), tokenSpan(close)) };
  }

  private arg(): A.Arg {
    const n = ident(this.take(T.Word));
    this.take(T.Colon);
    const value = this.value();
    return { name: n, value, span: join(n.span, value.span) };
  }
}

/** The single-token literals, in the order the grammar lists them (a list is the other kind). */
const LITERAL_TOKENS: readonly TokenType[] = [T.StringLit, T.RegexLit, T.NumberLit, T.Size, T.True, T.False];
