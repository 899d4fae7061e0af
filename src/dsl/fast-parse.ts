// The fast path of `compile` (10k lines in 100 ms, with a fallback: docs/language.md#compilation): the same
// grammar as grammar/parser.ts, parsed by hand-written recursive descent that builds the AST
// directly, with no concrete syntax tree in between and no error recovery.
//
// It is only for text that is well formed. compile() tries it first; at the first token that
// does not fit it gives up, and compile() takes the recovering CstParser and build-ast.ts, so
// every diagnostic still comes from one place. Both paths must accept the same texts and build
// the same AST: a test compares them on the built-in files, the golden corpus, a generated
// 10,000-line chain and random token soups.
// The rules of conditions and values are in fast-parse-conditions.ts, this parser's base.
import type { IToken, TokenType } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import { parseLimitProblem } from '../../grammar/limits.js';
import type * as A from './ast.js';
import { elseIf, ident, join, reasonLit, tokenSpan } from './build-ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import * as N from './fast-parse-nodes.js';
import { ConditionParser, DECLINED } from './fast-parse-conditions.js';

type Item = A.Definition | A.Declaration | A.UseDecl;

/** What a link starts with (an action word, or any NAME: an unknown action, MM202 later). */
const LINK_START: ReadonlySet<TokenType> = new Set([
  T.If,
  T.For,
  T.Accept,
  T.Hold,
  T.Reject,
  T.Discard,
  T.Defer,
  T.Stop,
  T.Jump,
  T.Detour,
  T.Run,
  T.Name,
]);
const STEP_EDIT_START: ReadonlySet<TokenType> = new Set([T.Before, T.After, T.Replace, T.Without]);

class AstParser extends ConditionParser {
  /** Where MM104 problems of reasons go, for the parse under way. */
  sink!: DiagnosticSink;

  parse(tokens: IToken[], sink: DiagnosticSink): Item[] {
    this.tokens = tokens;
    this.pos = 0;
    this.sink = sink;
    try {
      const items: Item[] = [];
      for (;;) {
        if (this.at(T.Use)) items.push(N.useDecl(this.take(T.Use), this.take(T.StringLit)));
        else if (this.at(T.Let) || this.at(T.RuleKw)) items.push(this.definition());
        else if (this.at(T.Chain)) items.push(this.chainDecl());
        else if (this.at(T.Pipeline)) items.push(this.pipelineDecl());
        else break;
      }
      // Anything left over is a syntax error (the recovering parser says "expected end of file").
      if (this.pos !== tokens.length) throw DECLINED;
      return items;
    } finally {
      this.tokens = []; // not kept alive until the next file
    }
  }

  private definition(): A.Definition {
    const kw = this.maybe(T.Let);
    if (kw) {
      const name = this.take(T.Name);
      this.take(T.Equals);
      return N.letDef(kw, name, this.value());
    }
    const rule = this.take(T.RuleKw);
    const name = this.take(T.Name);
    const description = this.maybe(T.StringLit);
    this.take(T.Equals);
    return N.ruleDef(rule, name, description, this.condition());
  }

  private chainDecl(): A.ChainDecl {
    const kw = this.take(T.Chain);
    const name = this.take(T.ChainName);
    const description = this.maybe(T.StringLit);
    this.take(T.LBrace);
    const links = this.links();
    return N.chainDecl(kw, name, description, links, this.take(T.RBrace));
  }

  /** Links while the next token starts one; the caller takes the closing brace. */
  private links(): A.Link[] {
    const links: A.Link[] = [];
    for (let t = this.tokens[this.pos]; t !== undefined && LINK_START.has(t.tokenType); t = this.tokens[this.pos])
      links.push(this.link());
    return links;
  }

  private link(): A.Link {
    if (this.at(T.If)) return this.ifLink();
    const kw = this.maybe(T.For);
    if (kw) {
      const variable = this.take(T.Name);
      this.take(T.In);
      const source = this.path();
      this.take(T.LBrace);
      const links = this.links();
      return N.forLink(kw, variable, source, links, this.take(T.RBrace));
    }
    const action = this.action();
    return { kind: 'Do', action, span: action.span };
  }

  private ifLink(): A.IfLink {
    const kw = this.take(T.If);
    const condition = this.condition();
    this.take(T.Then);
    const action = this.branch();
    let otherwise: A.Action | undefined;
    if (this.maybe(T.Else)) otherwise = this.at(T.If) ? elseIf(this.ifLink()) : this.branch();
    return { kind: 'If', condition, action, otherwise, span: join(tokenSpan(kw), (otherwise ?? action).span) };
  }

  private branch(): A.Action {
    const open = this.maybe(T.LBrace);
    if (!open) return this.action();
    const links = this.links();
    const end = this.take(T.RBrace);
    return { kind: 'Block', links, span: join(tokenSpan(open), tokenSpan(end)) };
  }

  private action(): A.Action {
    const kw = this.tokens[this.pos];
    if (kw === undefined) throw DECLINED;
    const type = kw.tokenType;
    if (type === T.Name) {
      this.pos++;
      const w = ident(kw);
      const args = this.at(T.LParen) ? this.args() : undefined;
      return { kind: 'UnknownAction', word: w, args, span: join(w.span, args?.span ?? w.span) };
    }
    if (!LINK_START.has(type) || type === T.If || type === T.For) throw DECLINED;
    this.pos++;
    if (type === T.Accept || type === T.Defer || type === T.Stop) {
      return { kind: type === T.Accept ? 'Accept' : type === T.Defer ? 'Defer' : 'Stop', span: tokenSpan(kw) };
    }
    if (type === T.Hold || type === T.Reject || type === T.Discard) {
      const reason = this.maybe(T.StringLit);
      const kind = type === T.Hold ? 'Hold' : type === T.Reject ? 'Reject' : 'Discard';
      const r = reason ? reasonLit(reason, this.sink) : undefined;
      return { kind, reason: r, span: r ? join(tokenSpan(kw), r.span) : tokenSpan(kw) };
    }
    if (type === T.Jump || type === T.Detour) {
      const target = this.target();
      return { kind: type === T.Jump ? 'Jump' : 'Detour', target, span: join(tokenSpan(kw), target.span) };
    }
    // run NAME [args]
    const e = ident(this.take(T.Name));
    const args = this.at(T.LParen) ? this.args() : undefined;
    return { kind: 'Run', effect: e, args, span: join(tokenSpan(kw), args?.span ?? e.span) };
  }

  private target(): A.Target {
    if (this.at(T.ChainName)) {
      const n = ident(this.take(T.ChainName));
      return { kind: 'NamedTarget', name: n, span: n.span };
    }
    const kw = this.take(T.To);
    const path = this.path();
    const otherwise = this.maybe(T.Otherwise) ? this.path() : undefined;
    return N.computedTarget(kw, path, otherwise);
  }

  private pipelineDecl(): A.PipelineDecl {
    const kw = this.take(T.Pipeline);
    const name = this.take(T.Name);
    const base = this.maybe(T.From) ? this.take(T.Name) : undefined;
    const description = this.maybe(T.StringLit);
    this.take(T.LBrace);
    const steps: A.Step[] = [];
    const edits: A.StepEdit[] = [];
    for (;;) {
      const t = this.tokens[this.pos];
      if (t !== undefined && t.tokenType === T.Name) steps.push(this.step());
      else if (t !== undefined && STEP_EDIT_START.has(t.tokenType)) edits.push(this.stepEdit());
      else break;
    }
    return N.pipelineDecl(kw, name, base, description, steps, edits, this.take(T.RBrace));
  }

  private stepEdit(): A.StepEdit {
    const kw = this.tokens[this.pos++];
    const anchor = this.take(T.Name);
    if (kw.tokenType === T.Without) return N.stepEdit(kw, anchor, undefined);
    this.take(T.Colon);
    return N.stepEdit(kw, anchor, this.step());
  }

  private step(): A.Step {
    const handler = ident(this.take(T.Name));
    const args = this.at(T.LParen) ? this.args() : undefined;
    const when = this.maybe(T.When) ? this.condition() : undefined;
    return { kind: 'Step', handler, args, when, span: join(handler.span, (when ?? args ?? handler).span) };
  }
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
  let items: Item[];
  try {
    items = parser.parse(tokens, sink);
  } catch (err) {
    if (err === DECLINED) return undefined;
    throw err;
  }
  return N.fileAst(items, file);
}
