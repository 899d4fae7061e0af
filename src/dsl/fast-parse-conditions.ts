// The fast parser's rules for conditions and values (grammar/parser.ts's `condition` down to
// `arg`), as the base class of fast-parse.ts's parser, which adds files, chains and
// pipelines and runs Chevrotain's self-analysis over both.
import { EmbeddedActionsParser } from '../../grammar/chevrotain.js';
import type { IOrAlt, IToken, TokenType } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import type * as A from './ast.js';
import { converted, ident, join, stringLit, tokenSpan, type ConversionParts } from './build-ast.js';
import * as N from './fast-parse-nodes.js';

export abstract class ConditionParser extends EmbeddedActionsParser {
  /**
   * Each OR's alternatives, built on first use and reused (Chevrotain's advice): a fresh
   * array of closures per call was most of this parser's garbage. Only alternatives that
   * capture nothing but `this` are cached. Typed `any` because each slot holds alternatives
   * of its own result type, which the OR using it states.
   */
  protected readonly alts: IOrAlt<any>[][] = [];

  constructor() {
    super(T.allTokens, { recoveryEnabled: false, maxLookahead: 3 });
  }

  public condition = this.RULE('condition', (): A.Condition => {
    const operands: A.Condition[] = [this.SUBRULE(this.conjunct)];
    this.MANY(() => {
      this.CONSUME(T.Or);
      const c = this.SUBRULE2(this.conjunct);
      this.ACTION(() => operands.push(c));
    });
    return this.ACTION(() => N.joined('Or', operands));
  });

  public conjunct = this.RULE('conjunct', (): A.Condition => {
    const operands: A.Condition[] = [this.SUBRULE(this.negation)];
    this.MANY(() => {
      this.CONSUME(T.And);
      const c = this.SUBRULE2(this.negation);
      this.ACTION(() => operands.push(c));
    });
    return this.ACTION(() => N.joined('And', operands));
  });

  public negation = this.RULE('negation', (): A.Condition => {
    return this.OR(
      (this.alts[7] ??= [
        {
          ALT: () => {
            const kw = this.CONSUME(T.Not);
            const operand = this.SUBRULE(this.negation);
            return this.ACTION((): A.NotCond => ({ kind: 'Not', operand, span: join(tokenSpan(kw), operand.span) }));
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(T.LParen);
            const inner = this.SUBRULE(this.condition);
            const close = this.CONSUME(T.RParen);
            return this.ACTION(() => ({ ...inner, span: join(tokenSpan(open), tokenSpan(close)) }));
          },
        },
        { ALT: () => this.SUBRULE(this.test) },
      ]),
    );
  });

  public test = this.RULE('test', (): A.TestCond => {
    const operand = this.SUBRULE(this.operand);
    const predicate = this.OPTION(() => this.SUBRULE(this.predicate));
    return this.ACTION((): A.TestCond => {
      return { kind: 'Test', operand, predicate, span: join(operand.span, (predicate ?? operand).span) };
    });
  });

  public operand = this.RULE('operand', (): A.Operand => {
    return this.OR(
      (this.alts[8] ??= [
        {
          ALT: () => {
            const path = this.SUBRULE(this.path);
            const args = this.OPTION(() => this.SUBRULE(this.args));
            const key = this.OPTION4(() => this.CONSUME2(T.StringLit));
            const conversion = this.OPTION2(() => this.SUBRULE(this.conversion));
            return this.ACTION((): A.Operand => {
              const k = key ? stringLit(key) : undefined;
              const of: A.RefOperand = {
                kind: 'Ref',
                path,
                args,
                key: k,
                span: join(path.span, (k ?? args ?? path).span),
              };
              return conversion ? converted(of, conversion) : of;
            });
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(T.Header);
            const name = this.CONSUME(T.StringLit);
            const conversion = this.OPTION3(() => this.SUBRULE2(this.conversion));
            return this.ACTION((): A.Operand => {
              const n = stringLit(name);
              const of: A.HeaderOperand = { kind: 'Header', name: n, span: join(tokenSpan(kw), n.span) };
              return conversion ? converted(of, conversion) : of;
            });
          },
        },
        { ALT: () => this.SUBRULE(this.literal) },
      ]),
    );
  });

  public conversion = this.RULE('conversion', (): ConversionParts => {
    return this.OR(
      (this.alts[10] ??= [
        {
          ALT: () => {
            const as = this.CONSUME(T.As);
            const name = this.CONSUME(T.Name);
            return this.ACTION((): ConversionParts => {
              const type = ident(name);
              return { type, span: join(tokenSpan(as), type.span) };
            });
          },
        },
        {
          ALT: () => {
            const count = this.CONSUME(T.Count);
            return this.ACTION((): ConversionParts => ({ span: tokenSpan(count) }));
          },
        },
      ]),
    );
  });

  public predicate = this.RULE('predicate', (): A.Predicate => {
    return this.OR(
      (this.alts[9] ??= [
        {
          ALT: () => {
            const is = this.CONSUME(T.Is);
            const not = this.OPTION(() => this.CONSUME(T.Not));
            return this.OR2([
              {
                ALT: () => {
                  const a = this.OR3(
                    (this.alts[11] ??= [{ ALT: () => this.CONSUME(T.A) }, { ALT: () => this.CONSUME(T.An) }]),
                  );
                  const role = this.CONSUME(T.Name);
                  return this.ACTION(() => N.roleTest(is, not, a, role));
                },
              },
              {
                ALT: () => {
                  const value = this.SUBRULE(this.value);
                  return this.ACTION(() => N.valueTest(is, not ? 'is-not' : 'is', not ? 'is not' : 'is', value));
                },
              },
            ]);
          },
        },
        {
          ALT: () => {
            const not = this.OPTION2(() => this.CONSUME2(T.Not));
            const kw = this.CONSUME(T.In);
            const value = this.SUBRULE2(this.value);
            return this.ACTION(() => N.valueTest(not ?? kw, not ? 'not-in' : 'in', not ? 'not in' : 'in', value));
          },
        },
        {
          ALT: () => {
            const picked = this.OR4(
              (this.alts[12] ??= [
                { ALT: () => [this.CONSUME(T.Contains), 'contains', 'contains'] as const },
                { ALT: () => [this.CONSUME(T.Matches), 'matches', 'matches'] as const },
                {
                  ALT: () => {
                    const se = this.OR5(
                      (this.alts[13] ??= [{ ALT: () => this.CONSUME(T.Starts) }, { ALT: () => this.CONSUME(T.Ends) }]),
                    );
                    this.CONSUME(T.With);
                    return this.ACTION(() =>
                      se.tokenType === T.Starts
                        ? ([se, 'starts-with', 'starts with'] as const)
                        : ([se, 'ends-with', 'ends with'] as const),
                    );
                  },
                },
                { ALT: () => [this.CONSUME(T.Less), '<', '<'] as const },
                { ALT: () => [this.CONSUME(T.LessEq), '<=', '<='] as const },
                { ALT: () => [this.CONSUME(T.Greater), '>', '>'] as const },
                { ALT: () => [this.CONSUME(T.GreaterEq), '>=', '>='] as const },
              ]),
            );
            const value = this.SUBRULE3(this.value);
            return this.ACTION((): A.Predicate => {
              const [kw, op, words] = picked;
              return N.valueTest(kw, op, words, value);
            });
          },
        },
        { ALT: () => this.bare(this.CONSUME(T.Exists), 'exists') },
        { ALT: () => this.bare(this.CONSUME(T.Missing), 'missing') },
      ]),
    );
  });

  private bare(t: IToken, op: 'exists' | 'missing'): A.Predicate {
    return this.ACTION((): A.Predicate => {
      return { kind: 'Predicate', op, words: op, value: undefined, role: undefined, span: tokenSpan(t) };
    });
  }

  public value = this.RULE('value', (): A.Value => {
    return this.OR(
      (this.alts[14] ??= [{ ALT: () => this.SUBRULE(this.literal) }, { ALT: () => this.SUBRULE(this.path) }]),
    );
  });

  public literal = this.RULE('literal', (): A.Literal => {
    return this.OR(
      (this.alts[15] ??= [
        { ALT: () => this.lit(this.CONSUME(T.StringLit), T.StringLit) },
        { ALT: () => this.lit(this.CONSUME(T.RegexLit), T.RegexLit) },
        { ALT: () => this.lit(this.CONSUME(T.NumberLit), T.NumberLit) },
        { ALT: () => this.lit(this.CONSUME(T.Size), T.Size) },
        { ALT: () => this.lit(this.CONSUME(T.True), T.True) },
        { ALT: () => this.lit(this.CONSUME(T.False), T.False) },
        { ALT: () => this.SUBRULE(this.list) },
      ]),
    );
  });

  private lit(t: IToken, type: TokenType): A.Literal {
    return this.ACTION(() => N.literal(t, type));
  }

  public list = this.RULE('list', (): A.ListLit => {
    const open = this.CONSUME(T.LBracket);
    const items: A.Value[] = [];
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const v = this.SUBRULE(this.value);
        this.ACTION(() => items.push(v));
      },
    });
    const close = this.CONSUME(T.RBracket);
    return this.ACTION(() => ({ kind: 'List', items, span: join(tokenSpan(open), tokenSpan(close)) }));
  });

  public path = this.RULE('path', (): A.Path => {
    const parts = [this.CONSUME(T.Name)];
    this.MANY(() => {
      this.CONSUME(T.Dot);
      const w = this.CONSUME(T.Word);
      this.ACTION(() => parts.push(w));
    });
    return this.ACTION(() => {
      const ids = parts.map(ident);
      return { kind: 'Path', parts: ids, span: join(ids[0].span, ids[ids.length - 1].span) };
    });
  });

  public args = this.RULE('args', (): A.Args => {
    const open = this.CONSUME(T.LParen);
    const entries: A.Arg[] = [];
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const a = this.SUBRULE(this.arg);
        this.ACTION(() => entries.push(a));
      },
    });
    const close = this.CONSUME(T.RParen);
    return this.ACTION(() => ({ entries, span: join(tokenSpan(open), tokenSpan(close)) }));
  });

  public arg = this.RULE('arg', (): A.Arg => {
    const name = this.CONSUME(T.Word);
    this.CONSUME(T.Colon);
    const value = this.SUBRULE(this.value);
    return this.ACTION(() => {
      const n = ident(name);
      return { name: n, value, span: join(n.span, value.span) };
    });
  });
}
