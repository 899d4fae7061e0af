// The fast path of `compile` (dsl.md §12's fallback for 10k lines in 100 ms): the same
// grammar as grammar/parser.ts, as an EmbeddedActionsParser that builds the AST directly, with
// no concrete syntax tree in between and no error recovery.
//
// It is only for text that is well formed. compile() tries it first; on any lexical problem
// or syntax error it falls back to the recovering CstParser and build-ast.ts, so every
// diagnostic still comes from one place. Both paths must build the same AST: a test compares
// them on the built-in files, the golden corpus and a generated 10,000-line chain.
import { EmbeddedActionsParser } from '../../grammar/chevrotain.js';
import type { IOrAlt, IToken, TokenType } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import { parseLimitProblem } from '../../grammar/limits.js';
import type * as A from './ast.js';
import { ident, join, reasonLit, stringLit, tokenSpan } from './build-ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import { decodeRegex, decodeSize } from './literals.js';

type Item = A.Definition | A.Declaration;

class AstParser extends EmbeddedActionsParser {
  /** Where MM104 problems of reasons go, for the parse under way. */
  sink!: DiagnosticSink;
  /**
   * Each OR's alternatives, built on first use and reused (Chevrotain's advice): a fresh
   * array of closures per call was most of this parser's garbage. Only alternatives that
   * capture nothing but `this` are cached.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly alts: IOrAlt<any>[][] = [];

  constructor() {
    super(T.allTokens, { recoveryEnabled: false, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  public file = this.RULE('file', (): Item[] => {
    const items: Item[] = [];
    this.MANY(() => {
      const item = this.OR((this.alts[0] ??= [
        { ALT: () => this.SUBRULE(this.definition) as Item },
        { ALT: () => this.SUBRULE(this.chainDecl) as Item },
        { ALT: () => this.SUBRULE(this.pipelineDecl) as Item },
      ]));
      this.ACTION(() => items.push(item));
    });
    return items;
  });

  public definition = this.RULE('definition', (): A.Definition => {
    return this.OR((this.alts[1] ??= [
      {
        ALT: () => {
          const kw = this.CONSUME(T.Let);
          const name = this.CONSUME(T.Name);
          this.CONSUME(T.Equals);
          const value = this.SUBRULE(this.value);
          return this.ACTION((): A.LetDef => ({ kind: 'Let', name: ident(name), value, span: join(tokenSpan(kw), value.span) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(T.RuleKw);
          const name = this.CONSUME2(T.Name);
          const description = this.OPTION(() => this.CONSUME(T.StringLit));
          this.CONSUME2(T.Equals);
          const condition = this.SUBRULE(this.condition);
          return this.ACTION((): A.RuleDef => ({ kind: 'RuleDef', name: ident(name), description: description ? stringLit(description) : undefined, condition, span: join(tokenSpan(kw), condition.span) }));
        },
      },
    ]));
  });

  public chainDecl = this.RULE('chainDecl', (): A.ChainDecl => {
    const kw = this.CONSUME(T.Chain);
    const name = this.CONSUME(T.ChainName);
    const description = this.OPTION(() => this.CONSUME(T.StringLit));
    this.CONSUME(T.LBrace);
    const links: A.Link[] = [];
    this.MANY(() => {
      const link = this.SUBRULE(this.link);
      this.ACTION(() => links.push(link));
    });
    const end = this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: 'Chain', name: ident(name), description: description ? stringLit(description) : undefined, links, span: join(tokenSpan(kw), tokenSpan(end)) }));
  });

  public link = this.RULE('link', (): A.Link => {
    return this.OR((this.alts[2] ??= [
      {
        ALT: () => {
          const kw = this.CONSUME(T.If);
          const condition = this.SUBRULE(this.condition);
          this.CONSUME(T.Then);
          const action = this.SUBRULE(this.action);
          return this.ACTION((): A.IfLink => ({ kind: 'If', condition, action, span: join(tokenSpan(kw), action.span) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(T.For);
          const variable = this.CONSUME(T.Name);
          this.CONSUME(T.In);
          const source = this.SUBRULE(this.path);
          this.CONSUME(T.LBrace);
          const links: A.Link[] = [];
          this.MANY(() => {
            const link = this.SUBRULE2(this.link);
            this.ACTION(() => links.push(link));
          });
          const end = this.CONSUME(T.RBrace);
          return this.ACTION((): A.ForLink => ({ kind: 'For', variable: ident(variable), source, links, span: join(tokenSpan(kw), tokenSpan(end)) }));
        },
      },
      {
        ALT: () => {
          const action = this.SUBRULE2(this.action);
          return this.ACTION((): A.DoLink => ({ kind: 'Do', action, span: action.span }));
        },
      },
    ]));
  });

  public action = this.RULE('action', (): A.Action => {
    return this.OR((this.alts[3] ??= [
      { ALT: () => this.simple(this.CONSUME(T.Accept), 'Accept') },
      {
        ALT: () => {
          const kw = this.OR2((this.alts[4] ??= [{ ALT: () => this.CONSUME(T.Hold) }, { ALT: () => this.CONSUME(T.Reject) }, { ALT: () => this.CONSUME(T.Discard) }]));
          const reason = this.OPTION(() => this.CONSUME(T.StringLit));
          return this.ACTION((): A.DispositionAction => {
            const kind = kw.tokenType === T.Hold ? 'Hold' : kw.tokenType === T.Reject ? 'Reject' : 'Discard';
            const r = reason ? reasonLit(reason, this.sink) : undefined;
            return { kind, reason: r, span: r ? join(tokenSpan(kw), r.span) : tokenSpan(kw) };
          });
        },
      },
      { ALT: () => this.simple(this.CONSUME(T.Defer), 'Defer') },
      { ALT: () => this.simple(this.CONSUME(T.Stop), 'Stop') },
      {
        ALT: () => {
          const kw = this.OR3((this.alts[5] ??= [{ ALT: () => this.CONSUME(T.Jump) }, { ALT: () => this.CONSUME(T.Detour) }]));
          const target = this.SUBRULE(this.target);
          return this.ACTION((): A.JumpAction => ({ kind: kw.tokenType === T.Jump ? 'Jump' : 'Detour', target, span: join(tokenSpan(kw), target.span) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(T.Run);
          const effect = this.CONSUME(T.Name);
          const args = this.OPTION2(() => this.SUBRULE(this.args));
          return this.ACTION((): A.RunAction => {
            const e = ident(effect);
            return { kind: 'Run', effect: e, args, span: join(tokenSpan(kw), args?.span ?? e.span) };
          });
        },
      },
      {
        ALT: () => {
          const word = this.CONSUME2(T.Name);
          const args = this.OPTION3(() => this.SUBRULE2(this.args));
          return this.ACTION((): A.UnknownAction => {
            const w = ident(word);
            return { kind: 'UnknownAction', word: w, args, span: join(w.span, args?.span ?? w.span) };
          });
        },
      },
    ]));
  });

  private simple(t: IToken, kind: 'Accept' | 'Defer' | 'Stop'): A.SimpleAction {
    return this.ACTION(() => ({ kind, span: tokenSpan(t) }));
  }

  public target = this.RULE('target', (): A.Target => {
    return this.OR((this.alts[6] ??= [
      {
        ALT: () => {
          const name = this.CONSUME(T.ChainName);
          return this.ACTION((): A.NamedTarget => {
            const n = ident(name);
            return { kind: 'NamedTarget', name: n, span: n.span };
          });
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(T.To);
          const path = this.SUBRULE(this.path);
          const otherwise = this.OPTION(() => {
            this.CONSUME(T.Otherwise);
            return this.SUBRULE2(this.path);
          });
          return this.ACTION((): A.ComputedTarget => ({ kind: 'ComputedTarget', path, otherwise, span: join(tokenSpan(kw), (otherwise ?? path).span) }));
        },
      },
    ]));
  });

  public pipelineDecl = this.RULE('pipelineDecl', (): A.PipelineDecl => {
    const kw = this.CONSUME(T.Pipeline);
    const name = this.CONSUME(T.Name);
    const description = this.OPTION(() => this.CONSUME(T.StringLit));
    this.CONSUME(T.LBrace);
    const steps: A.Step[] = [];
    this.MANY(() => {
      const step = this.SUBRULE(this.step);
      this.ACTION(() => steps.push(step));
    });
    const end = this.CONSUME(T.RBrace);
    return this.ACTION(() => ({ kind: 'Pipeline', name: ident(name), description: description ? stringLit(description) : undefined, steps, span: join(tokenSpan(kw), tokenSpan(end)) }));
  });

  public step = this.RULE('step', (): A.Step => {
    const name = this.CONSUME(T.Name);
    const args = this.OPTION(() => this.SUBRULE(this.args));
    const when = this.OPTION2(() => {
      this.CONSUME(T.When);
      return this.SUBRULE(this.condition);
    });
    return this.ACTION((): A.Step => {
      const handler = ident(name);
      return { kind: 'Step', handler, args, when, span: join(handler.span, (when ?? args ?? handler).span) };
    });
  });

  public condition = this.RULE('condition', (): A.Condition => {
    const operands: A.Condition[] = [this.SUBRULE(this.conjunct)];
    this.MANY(() => {
      this.CONSUME(T.Or);
      const c = this.SUBRULE2(this.conjunct);
      this.ACTION(() => operands.push(c));
    });
    return this.ACTION(() => (operands.length === 1 ? operands[0] : { kind: 'Or', operands, span: join(operands[0].span, operands[operands.length - 1].span) }));
  });

  public conjunct = this.RULE('conjunct', (): A.Condition => {
    const operands: A.Condition[] = [this.SUBRULE(this.negation)];
    this.MANY(() => {
      this.CONSUME(T.And);
      const c = this.SUBRULE2(this.negation);
      this.ACTION(() => operands.push(c));
    });
    return this.ACTION(() => (operands.length === 1 ? operands[0] : { kind: 'And', operands, span: join(operands[0].span, operands[operands.length - 1].span) }));
  });

  public negation = this.RULE('negation', (): A.Condition => {
    return this.OR((this.alts[7] ??= [
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
    ]));
  });

  public test = this.RULE('test', (): A.TestCond => {
    const operand = this.SUBRULE(this.operand);
    const predicate = this.OPTION(() => this.SUBRULE(this.predicate));
    return this.ACTION(() => ({ kind: 'Test', operand, predicate, span: join(operand.span, (predicate ?? operand).span) }));
  });

  public operand = this.RULE('operand', (): A.Operand => {
    return this.OR((this.alts[8] ??= [
      {
        ALT: () => {
          const path = this.SUBRULE(this.path);
          const args = this.OPTION(() => this.SUBRULE(this.args));
          return this.ACTION((): A.RefOperand => ({ kind: 'Ref', path, args, span: join(path.span, (args ?? path).span) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(T.Header);
          const name = this.CONSUME(T.StringLit);
          return this.ACTION((): A.HeaderOperand => {
            const n = stringLit(name);
            return { kind: 'Header', name: n, span: join(tokenSpan(kw), n.span) };
          });
        },
      },
      { ALT: () => this.SUBRULE(this.literal) },
    ]));
  });

  public predicate = this.RULE('predicate', (): A.Predicate => {
    return this.OR((this.alts[9] ??= [
      {
        ALT: () => {
          const is = this.CONSUME(T.Is);
          const not = this.OPTION(() => this.CONSUME(T.Not));
          return this.OR2([
            {
              ALT: () => {
                const a = this.OR3((this.alts[11] ??= [{ ALT: () => this.CONSUME(T.A) }, { ALT: () => this.CONSUME(T.An) }]));
                const role = this.CONSUME(T.Name);
                return this.ACTION((): A.Predicate => {
                  const r = ident(role);
                  return { kind: 'Predicate', op: not ? 'is-not-a' : 'is-a', words: `is${not ? ' not' : ''} ${a.image}`, value: undefined, role: r, span: join(tokenSpan(is), r.span) };
                });
              },
            },
            {
              ALT: () => {
                const value = this.SUBRULE(this.value);
                return this.ACTION((): A.Predicate => ({ kind: 'Predicate', op: not ? 'is-not' : 'is', words: not ? 'is not' : 'is', value, role: undefined, span: join(tokenSpan(is), value.span) }));
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
          return this.ACTION((): A.Predicate => ({ kind: 'Predicate', op: not ? 'not-in' : 'in', words: not ? 'not in' : 'in', value, role: undefined, span: join(tokenSpan(not ?? kw), value.span) }));
        },
      },
      {
        ALT: () => {
          const picked = this.OR4((this.alts[12] ??= [
            { ALT: () => [this.CONSUME(T.Contains), 'contains', 'contains'] as const },
            { ALT: () => [this.CONSUME(T.Matches), 'matches', 'matches'] as const },
            {
              ALT: () => {
                const se = this.OR5((this.alts[13] ??= [{ ALT: () => this.CONSUME(T.Starts) }, { ALT: () => this.CONSUME(T.Ends) }]));
                this.CONSUME(T.With);
                return this.ACTION(() => (se.tokenType === T.Starts ? ([se, 'starts-with', 'starts with'] as const) : ([se, 'ends-with', 'ends with'] as const)));
              },
            },
            { ALT: () => [this.CONSUME(T.Less), '<', '<'] as const },
            { ALT: () => [this.CONSUME(T.LessEq), '<=', '<='] as const },
            { ALT: () => [this.CONSUME(T.Greater), '>', '>'] as const },
            { ALT: () => [this.CONSUME(T.GreaterEq), '>=', '>='] as const },
          ]));
          const value = this.SUBRULE3(this.value);
          return this.ACTION((): A.Predicate => {
            const [kw, op, words] = picked;
            return { kind: 'Predicate', op, words, value, role: undefined, span: join(tokenSpan(kw), value.span) };
          });
        },
      },
      { ALT: () => this.bare(this.CONSUME(T.Exists), 'exists') },
      { ALT: () => this.bare(this.CONSUME(T.Missing), 'missing') },
    ]));
  });

  private bare(t: IToken, op: 'exists' | 'missing'): A.Predicate {
    return this.ACTION(() => ({ kind: 'Predicate', op, words: op, value: undefined, role: undefined, span: tokenSpan(t) }));
  }

  public value = this.RULE('value', (): A.Value => {
    return this.OR((this.alts[14] ??= [{ ALT: () => this.SUBRULE(this.literal) }, { ALT: () => this.SUBRULE(this.path) }]));
  });

  public literal = this.RULE('literal', (): A.Literal => {
    return this.OR((this.alts[15] ??= [
      { ALT: () => this.lit(this.CONSUME(T.StringLit), T.StringLit) },
      { ALT: () => this.lit(this.CONSUME(T.RegexLit), T.RegexLit) },
      { ALT: () => this.lit(this.CONSUME(T.NumberLit), T.NumberLit) },
      { ALT: () => this.lit(this.CONSUME(T.Size), T.Size) },
      { ALT: () => this.lit(this.CONSUME(T.True), T.True) },
      { ALT: () => this.lit(this.CONSUME(T.False), T.False) },
      { ALT: () => this.SUBRULE(this.list) },
    ]));
  });

  private lit(t: IToken, type: TokenType): A.Literal {
    return this.ACTION((): A.Literal => {
      switch (type) {
        case T.StringLit:
          return stringLit(t);
        case T.RegexLit: {
          const { source, flags } = decodeRegex(t.image);
          return { kind: 'Regex', source, flags, span: tokenSpan(t) };
        }
        case T.NumberLit:
          return { kind: 'Number', value: Number(t.image), span: tokenSpan(t) };
        case T.Size:
          return { kind: 'Size', bytes: decodeSize(t.image).bytes, raw: t.image, span: tokenSpan(t) };
        default:
          return { kind: 'Bool', value: type === T.True, span: tokenSpan(t) };
      }
    });
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

let parser: AstParser | undefined;

/**
 * The file's AST straight from its tokens, or undefined when the tokens do not parse (the
 * caller then takes the recovering path, which reports why). MM104 problems of reasons go to
 * `sink`, as build-ast.ts reports them.
 */
export function parseAstFast(tokens: IToken[], file: string, sink: DiagnosticSink): A.FileAst | undefined {
  // Past a limit of grammar/limits.ts this parser would overflow the stack; the recovering
  // path reports the limit (MM204/MM205).
  if (parseLimitProblem(tokens)) return undefined;
  parser ??= new AstParser();
  parser.sink = sink;
  parser.input = tokens;
  const items = parser.file();
  if (parser.errors.length > 0) return undefined;
  const definitions = items.filter((i): i is A.Definition => i.kind === 'Let' || i.kind === 'RuleDef');
  const declarations = items.filter((i): i is A.Declaration => i.kind === 'Chain' || i.kind === 'Pipeline');
  const span = items.length ? join(items[0].span, items[items.length - 1].span) : { start: 0, end: 0 };
  return { kind: 'File', definitions, declarations, items, span, file };
}
