// The fast path of `compile` (10k lines in 100 ms, with a fallback: docs/language.md#compilation): the same
// grammar as grammar/parser.ts, as an EmbeddedActionsParser that builds the AST directly, with
// no concrete syntax tree in between and no error recovery.
//
// It is only for text that is well formed. compile() tries it first; on any lexical problem
// or syntax error it falls back to the recovering CstParser and build-ast.ts, so every
// diagnostic still comes from one place. Both paths must build the same AST: a test compares
// them on the built-in files, the golden corpus and a generated 10,000-line chain.
// The rules of conditions and values are in fast-parse-conditions.ts, this parser's base.
import type { IToken } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import { parseLimitProblem } from '../../grammar/limits.js';
import type * as A from './ast.js';
import { elseIf, ident, join, reasonLit, tokenSpan } from './build-ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import * as N from './fast-parse-nodes.js';
import { ConditionParser } from './fast-parse-conditions.js';

type Item = A.Definition | A.Declaration | A.UseDecl;

class AstParser extends ConditionParser {
  /** Where MM104 problems of reasons go, for the parse under way. */
  sink!: DiagnosticSink;

  constructor() {
    super();
    this.performSelfAnalysis();
  }

  public file = this.RULE('file', (): Item[] => {
    const items: Item[] = [];
    this.MANY(() => {
      const item = this.OR(
        (this.alts[0] ??= [
          { ALT: () => this.SUBRULE(this.useDecl) as Item },
          { ALT: () => this.SUBRULE(this.definition) as Item },
          { ALT: () => this.SUBRULE(this.chainDecl) as Item },
          { ALT: () => this.SUBRULE(this.pipelineDecl) as Item },
        ]),
      );
      this.ACTION(() => items.push(item));
    });
    return items;
  });

  public useDecl = this.RULE('useDecl', (): A.UseDecl => {
    const kw = this.CONSUME(T.Use);
    const path = this.CONSUME(T.StringLit);
    return this.ACTION(() => N.useDecl(kw, path));
  });

  public definition = this.RULE('definition', (): A.Definition => {
    return this.OR(
      (this.alts[1] ??= [
        {
          ALT: () => {
            const kw = this.CONSUME(T.Let);
            const name = this.CONSUME(T.Name);
            this.CONSUME(T.Equals);
            const value = this.SUBRULE(this.value);
            return this.ACTION(() => N.letDef(kw, name, value));
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(T.RuleKw);
            const name = this.CONSUME2(T.Name);
            const description = this.OPTION(() => this.CONSUME(T.StringLit));
            this.CONSUME2(T.Equals);
            const condition = this.SUBRULE(this.condition);
            return this.ACTION(() => N.ruleDef(kw, name, description, condition));
          },
        },
      ]),
    );
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
    return this.ACTION(() => N.chainDecl(kw, name, description, links, end));
  });

  public link = this.RULE('link', (): A.Link => {
    return this.OR(
      (this.alts[2] ??= [
        { ALT: () => this.SUBRULE(this.ifLink) as A.Link },
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
            return this.ACTION(() => N.forLink(kw, variable, source, links, end));
          },
        },
        {
          ALT: () => {
            const action = this.SUBRULE2(this.action);
            return this.ACTION((): A.DoLink => ({ kind: 'Do', action, span: action.span }));
          },
        },
      ]),
    );
  });

  public ifLink = this.RULE('ifLink', (): A.IfLink => {
    const kw = this.CONSUME(T.If);
    const condition = this.SUBRULE(this.condition);
    this.CONSUME(T.Then);
    const action = this.SUBRULE(this.branch);
    const otherwise = this.OPTION(() => {
      this.CONSUME(T.Else);
      return this.OR(
        (this.alts[16] ??= [
          {
            ALT: () => {
              const inner = this.SUBRULE(this.ifLink);
              return this.ACTION(() => elseIf(inner));
            },
          },
          { ALT: () => this.SUBRULE2(this.branch) },
        ]),
      );
    });
    return this.ACTION((): A.IfLink => {
      return { kind: 'If', condition, action, otherwise, span: join(tokenSpan(kw), (otherwise ?? action).span) };
    });
  });

  public branch = this.RULE('branch', (): A.Action => {
    return this.OR(
      (this.alts[17] ??= [
        { ALT: () => this.SUBRULE(this.block) as A.Action },
        { ALT: () => this.SUBRULE(this.action) },
      ]),
    );
  });

  public block = this.RULE('block', (): A.BlockAction => {
    const open = this.CONSUME(T.LBrace);
    const links: A.Link[] = [];
    this.MANY(() => {
      const link = this.SUBRULE(this.link);
      this.ACTION(() => links.push(link));
    });
    const end = this.CONSUME(T.RBrace);
    return this.ACTION((): A.BlockAction => ({ kind: 'Block', links, span: join(tokenSpan(open), tokenSpan(end)) }));
  });

  public action = this.RULE('action', (): A.Action => {
    return this.OR(
      (this.alts[3] ??= [
        { ALT: () => this.simple(this.CONSUME(T.Accept), 'Accept') },
        {
          ALT: () => {
            const kw = this.OR2(
              (this.alts[4] ??= [
                { ALT: () => this.CONSUME(T.Hold) },
                { ALT: () => this.CONSUME(T.Reject) },
                { ALT: () => this.CONSUME(T.Discard) },
              ]),
            );
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
            const kw = this.OR3(
              (this.alts[5] ??= [{ ALT: () => this.CONSUME(T.Jump) }, { ALT: () => this.CONSUME(T.Detour) }]),
            );
            const target = this.SUBRULE(this.target);
            return this.ACTION((): A.JumpAction => {
              const kind = kw.tokenType === T.Jump ? 'Jump' : 'Detour';
              return { kind, target, span: join(tokenSpan(kw), target.span) };
            });
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
      ]),
    );
  });

  private simple(t: IToken, kind: 'Accept' | 'Defer' | 'Stop'): A.SimpleAction {
    return this.ACTION(() => ({ kind, span: tokenSpan(t) }));
  }

  public target = this.RULE('target', (): A.Target => {
    return this.OR(
      (this.alts[6] ??= [
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
            return this.ACTION(() => N.computedTarget(kw, path, otherwise));
          },
        },
      ]),
    );
  });

  public pipelineDecl = this.RULE('pipelineDecl', (): A.PipelineDecl => {
    const kw = this.CONSUME(T.Pipeline);
    const name = this.CONSUME(T.Name);
    const base = this.OPTION2(() => {
      this.CONSUME(T.From);
      return this.CONSUME2(T.Name);
    });
    const description = this.OPTION(() => this.CONSUME(T.StringLit));
    this.CONSUME(T.LBrace);
    const steps: A.Step[] = [];
    const edits: A.StepEdit[] = [];
    this.MANY(() => {
      // The alternatives are built once (cached in `alts`), so they return the item rather
      // than push it into this call's arrays.
      const item = this.OR(
        (this.alts[90] ??= [
          { ALT: (): A.Step | A.StepEdit => this.SUBRULE(this.step) },
          { ALT: (): A.Step | A.StepEdit => this.SUBRULE(this.stepEdit) },
        ]),
      );
      this.ACTION(() => (item.kind === 'Step' ? steps.push(item) : edits.push(item)));
    });
    const end = this.CONSUME(T.RBrace);
    return this.ACTION(() => N.pipelineDecl(kw, name, base, description, steps, edits, end));
  });

  public stepEdit = this.RULE('stepEdit', (): A.StepEdit => {
    return this.OR(
      (this.alts[91] ??= [
        {
          ALT: () => {
            const kw = this.OR2(
              (this.alts[92] ??= [
                { ALT: () => this.CONSUME(T.Before) },
                { ALT: () => this.CONSUME(T.After) },
                { ALT: () => this.CONSUME(T.Replace) },
              ]),
            );
            const anchor = this.CONSUME(T.Name);
            this.CONSUME(T.Colon);
            const step = this.SUBRULE2(this.step);
            return this.ACTION(() => N.stepEdit(kw, anchor, step));
          },
        },
        {
          ALT: () => {
            const kw = this.CONSUME(T.Without);
            const anchor = this.CONSUME2(T.Name);
            return this.ACTION(() => N.stepEdit(kw, anchor, undefined));
          },
        },
      ]),
    );
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
  return N.fileAst(items, file);
}
