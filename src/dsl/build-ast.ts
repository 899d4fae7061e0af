// Stage 2: CST -> AST. A Chevrotain CST visitor (one method per grammar rule, checked at
// construction) that keeps spans and decodes literals. It also reports the structural
// problems the grammar lets through on purpose: MM203 (exactly one chain or pipeline, last)
// and MM104 in reasons (`{path}` interpolation).
//
// After a syntax error the CST may miss pieces; an item that cannot be built is dropped (its
// declaration is muted anyway, and no IR is produced from a file with errors).
import type { CstNode, IToken } from 'chevrotain';
import { dslParser } from '../../grammar/parser.js';
import type * as C from '../../grammar/cst.js';
import type * as A from './ast.js';
import type { DiagnosticSink } from './diagnostics.js';
import { decodeRegex, decodeSize } from './literals.js';
import {
  closing,
  converted,
  elseIf,
  ident,
  Incomplete,
  join,
  need,
  reasonLit,
  stringLit,
  tokenSpan,
  type ConversionParts,
} from './ast-leaves.js';
import { checkShape } from './shape.js';

// The fast parser builds the same leaves; it imports them from here.
export { converted, elseIf, ident, join, reasonLit, stringLit, tokenSpan, type ConversionParts } from './ast-leaves.js';

/** Predicates named by their first keyword: CST key, operator, words as written. */
const SIMPLE_PREDICATES: readonly [Exclude<keyof C.PredicateCstChildren, 'value'>, A.PredicateOp, string][] = [
  ['Contains', 'contains', 'contains'],
  ['Matches', 'matches', 'matches'],
  ['Starts', 'starts-with', 'starts with'],
  ['Ends', 'ends-with', 'ends with'],
  ['Less', '<', '<'],
  ['LessEq', '<=', '<='],
  ['Greater', '>', '>'],
  ['GreaterEq', '>=', '>='],
  ['Exists', 'exists', 'exists'],
  ['Missing', 'missing', 'missing'],
];

const BaseVisitor = dslParser.getBaseCstVisitorConstructor();

class AstBuilder extends BaseVisitor implements C.ICstNodeVisitor<unknown, unknown> {
  constructor(private readonly sink: DiagnosticSink) {
    super();
    this.validateVisitor();
  }

  private build<T>(node: CstNode | undefined): T {
    if (!node) throw new Incomplete();
    return this.visit(node) as T;
  }

  /** Builds each node, dropping those recovery left incomplete. */
  private buildAll<T>(nodes: CstNode[] | undefined): T[] {
    const out: T[] = [];
    for (const n of nodes ?? []) {
      try {
        out.push(this.build<T>(n));
      } catch (e) {
        if (!(e instanceof Incomplete)) throw e;
      }
    }
    return out;
  }

  file(ctx: C.FileCstChildren): Omit<A.FileAst, 'file'> {
    const uses = this.buildAll<A.UseDecl>(ctx.useDecl);
    const all = [...(ctx.definition ?? []), ...(ctx.chainDecl ?? []), ...(ctx.pipelineDecl ?? [])];
    all.sort((a, b) => (a.location?.startOffset ?? 0) - (b.location?.startOffset ?? 0));
    const items = this.buildAll<A.Definition | A.Declaration>(all);
    const definitions = items.filter((i): i is A.Definition => i.kind === 'Let' || i.kind === 'RuleDef');
    const declarations = items.filter((i): i is A.Declaration => i.kind === 'Chain' || i.kind === 'Pipeline');
    const span = items.length ? join(items[0].span, items[items.length - 1].span) : { start: 0, end: 0 };
    return { kind: 'File', uses, definitions, declarations, items, span };
  }

  useDecl(ctx: C.UseDeclCstChildren): A.UseDecl {
    const path = this.string(need(ctx.StringLit));
    return { kind: 'Use', path, span: join(tokenSpan(need(ctx.Use)), path.span) };
  }

  definition(ctx: C.DefinitionCstChildren): A.Definition {
    if (ctx.Let) {
      const value = this.build<A.Value>(need(ctx.value));
      return { kind: 'Let', name: ident(need(ctx.Name)), value, span: join(tokenSpan(ctx.Let[0]), value.span) };
    }
    const condition = this.build<A.Condition>(need(ctx.condition));
    const description = ctx.StringLit ? this.string(ctx.StringLit[0]) : undefined;
    const span = join(tokenSpan(need(ctx.Rule)), condition.span);
    return { kind: 'RuleDef', name: ident(need(ctx.Name)), description, condition, span };
  }

  chainDecl(ctx: C.ChainDeclCstChildren): A.ChainDecl {
    const name = this.build<A.Ident>(need(ctx.chainName));
    const links = this.buildAll<A.Link>(ctx.link);
    const end = closing(ctx.RBrace) ?? links[links.length - 1]?.span ?? name.span;
    const description = ctx.StringLit ? this.string(ctx.StringLit[0]) : undefined;
    return { kind: 'Chain', name, description, links, span: join(tokenSpan(need(ctx.Chain)), end) };
  }

  chainName(ctx: C.ChainNameCstChildren): A.Ident {
    return ident(need(ctx.ChainName));
  }

  link(ctx: C.LinkCstChildren): A.Link {
    if (ctx.ifLink) return this.build<A.IfLink>(ctx.ifLink[0]);
    if (ctx.For) {
      const links = this.buildAll<A.Link>(ctx.link);
      const source = this.build<A.Path>(need(ctx.path));
      const end = ctx.RBrace?.[0] && !ctx.RBrace[0].isInsertedInRecovery ? tokenSpan(ctx.RBrace[0]) : source.span;
      return { kind: 'For', variable: ident(need(ctx.Name)), source, links, span: join(tokenSpan(ctx.For[0]), end) };
    }
    const action = this.build<A.Action>(need(ctx.action));
    return { kind: 'Do', action, span: action.span };
  }

  ifLink(ctx: C.IfLinkCstChildren): A.IfLink {
    const condition = this.build<A.Condition>(need(ctx.condition));
    const action = this.build<A.Action>(need(ctx.branch));
    let otherwise: A.Action | undefined;
    if (ctx.Else) {
      if (ctx.ifLink) otherwise = elseIf(this.build<A.IfLink>(ctx.ifLink[0]));
      else otherwise = this.build<A.Action>(need(ctx.branch, 1));
    }
    return {
      kind: 'If',
      condition,
      action,
      otherwise,
      span: join(tokenSpan(need(ctx.If)), (otherwise ?? action).span),
    };
  }

  branch(ctx: C.BranchCstChildren): A.Action {
    return ctx.block ? this.build<A.BlockAction>(ctx.block[0]) : this.build<A.Action>(need(ctx.action));
  }

  block(ctx: C.BlockCstChildren): A.BlockAction {
    const links = this.buildAll<A.Link>(ctx.link);
    const open = tokenSpan(need(ctx.LBrace));
    const end = closing(ctx.RBrace) ?? links[links.length - 1]?.span ?? open;
    return { kind: 'Block', links, span: join(open, end) };
  }

  action(ctx: C.ActionCstChildren): A.Action {
    if (ctx.Accept) return { kind: 'Accept', span: tokenSpan(ctx.Accept[0]) };
    if (ctx.Defer) return { kind: 'Defer', span: tokenSpan(ctx.Defer[0]) };
    if (ctx.Stop) return { kind: 'Stop', span: tokenSpan(ctx.Stop[0]) };
    const disposition = ctx.Hold ?? ctx.Reject ?? ctx.Discard;
    if (disposition) {
      const kind = ctx.Hold ? 'Hold' : ctx.Reject ? 'Reject' : 'Discard';
      const reason = ctx.StringLit ? this.reason(ctx.StringLit[0]) : undefined;
      return { kind, reason, span: reason ? join(tokenSpan(disposition[0]), reason.span) : tokenSpan(disposition[0]) };
    }
    const jump = ctx.Jump ?? ctx.Detour;
    if (jump) {
      const target = this.build<A.Target>(need(ctx.target));
      return { kind: ctx.Jump ? 'Jump' : 'Detour', target, span: join(tokenSpan(jump[0]), target.span) };
    }
    const args = ctx.args ? this.build<A.Args>(ctx.args[0]) : undefined;
    if (ctx.Run) {
      const effect = ident(need(ctx.Name));
      return { kind: 'Run', effect, args, span: join(tokenSpan(ctx.Run[0]), args?.span ?? effect.span) };
    }
    const word = ident(need(ctx.unknown));
    return { kind: 'UnknownAction', word, args, span: join(word.span, args?.span ?? word.span) };
  }

  target(ctx: C.TargetCstChildren): A.Target {
    if (ctx.chainName) {
      const name = this.build<A.Ident>(ctx.chainName[0]);
      return { kind: 'NamedTarget', name, span: name.span };
    }
    const path = this.build<A.Path>(need(ctx.path));
    const otherwise = ctx.Otherwise ? this.build<A.Path>(need(ctx.path, 1)) : undefined;
    return { kind: 'ComputedTarget', path, otherwise, span: join(tokenSpan(need(ctx.To)), (otherwise ?? path).span) };
  }

  pipelineDecl(ctx: C.PipelineDeclCstChildren): A.PipelineDecl {
    const name = ident(need(ctx.Name));
    const base = ctx.base ? ident(ctx.base[0]) : undefined;
    const steps = this.buildAll<A.Step>(ctx.step);
    const edits = this.buildAll<A.StepEdit>(ctx.stepEdit).sort((x, y) => x.span.start - y.span.start);
    const last = [...steps, ...edits].sort((x, y) => x.span.end - y.span.end).pop();
    const end = closing(ctx.RBrace) ?? last?.span ?? name.span;
    const description = ctx.StringLit ? this.string(ctx.StringLit[0]) : undefined;
    const span = join(tokenSpan(need(ctx.Pipeline)), end);
    return { kind: 'Pipeline', name, ...(base ? { base } : {}), description, steps, edits, span };
  }

  stepEdit(ctx: C.StepEditCstChildren): A.StepEdit {
    const kw = need(ctx.Before ?? ctx.After ?? ctx.Replace ?? ctx.Without);
    const anchor = ident(need(ctx.anchor));
    const step = ctx.step ? this.build<A.Step>(ctx.step[0]) : undefined;
    const op = kw.image as A.StepEdit['op'];
    return {
      kind: 'StepEdit',
      op,
      anchor,
      ...(step ? { step } : {}),
      span: join(tokenSpan(kw), (step ?? anchor).span),
    };
  }

  step(ctx: C.StepCstChildren): A.Step {
    const handler = ident(need(ctx.Name));
    const args = ctx.args ? this.build<A.Args>(ctx.args[0]) : undefined;
    const when = ctx.When ? this.build<A.Condition>(need(ctx.condition)) : undefined;
    return { kind: 'Step', handler, args, when, span: join(handler.span, (when ?? args ?? handler).span) };
  }

  condition(ctx: C.ConditionCstChildren): A.Condition {
    const operands = ctx.conjunct.map((c) => this.build<A.Condition>(c));
    if (operands.length === 1) return operands[0];
    return { kind: 'Or', operands, span: join(operands[0].span, operands[operands.length - 1].span) };
  }

  conjunct(ctx: C.ConjunctCstChildren): A.Condition {
    const operands = ctx.negation.map((n) => this.build<A.Condition>(n));
    if (operands.length === 1) return operands[0];
    return { kind: 'And', operands, span: join(operands[0].span, operands[operands.length - 1].span) };
  }

  negation(ctx: C.NegationCstChildren): A.Condition {
    if (ctx.Not) {
      const operand = this.build<A.Condition>(need(ctx.negation));
      return { kind: 'Not', operand, span: join(tokenSpan(ctx.Not[0]), operand.span) };
    }
    if (ctx.LParen) {
      const inner = this.build<A.Condition>(need(ctx.condition));
      // Parentheses only group; the span grows to include them so carets cover them.
      return { ...inner, span: join(tokenSpan(ctx.LParen[0]), closing(ctx.RParen) ?? inner.span) };
    }
    return this.build<A.Condition>(need(ctx.test));
  }

  test(ctx: C.TestCstChildren): A.TestCond {
    const operand = this.build<A.Operand>(need(ctx.operand));
    const predicate = ctx.predicate ? this.build<A.Predicate>(ctx.predicate[0]) : undefined;
    return { kind: 'Test', operand, predicate, span: join(operand.span, (predicate ?? operand).span) };
  }

  operand(ctx: C.OperandCstChildren): A.Operand {
    let of: A.RefOperand | A.HeaderOperand;
    if (ctx.Header) {
      const name = this.string(need(ctx.StringLit));
      of = { kind: 'Header', name, span: join(tokenSpan(ctx.Header[0]), name.span) };
    } else if (ctx.literal) return this.build<A.Literal>(ctx.literal[0]);
    else {
      const path = this.build<A.Path>(need(ctx.path));
      const args = ctx.args ? this.build<A.Args>(ctx.args[0]) : undefined;
      const key = ctx.key ? this.string(ctx.key[0]) : undefined;
      of = { kind: 'Ref', path, args, key, span: join(path.span, (key ?? args ?? path).span) };
    }
    return ctx.conversion ? converted(of, this.build<ConversionParts>(ctx.conversion[0])) : of;
  }

  conversion(ctx: C.ConversionCstChildren): ConversionParts {
    if (ctx.Count) return { span: tokenSpan(ctx.Count[0]) };
    const type = ident(need(ctx.Name));
    return { type, span: join(tokenSpan(need(ctx.As)), type.span) };
  }

  predicate(ctx: C.PredicateCstChildren): A.Predicate {
    const value = ctx.value ? this.build<A.Value>(ctx.value[0]) : undefined;
    const role = ctx.role ? ident(ctx.role[0]) : undefined;
    const not = !!ctx.Not;
    let op: A.PredicateOp;
    let words: string;
    let first: IToken;
    if (ctx.Is) {
      [op, words, first] = role
        ? [not ? 'is-not-a' : 'is-a', `is${not ? ' not' : ''} ${need(ctx.A ?? ctx.An).image}`, ctx.Is[0]]
        : [not ? 'is-not' : 'is', not ? 'is not' : 'is', ctx.Is[0]];
    } else if (ctx.In) {
      [op, words, first] = [not ? 'not-in' : 'in', not ? 'not in' : 'in', not ? need(ctx.Not) : ctx.In[0]];
    } else {
      const found = SIMPLE_PREDICATES.find(([key]) => ctx[key]);
      if (!found) throw new Incomplete();
      [, op, words] = found;
      first = need(ctx[found[0]]);
    }
    if (op !== 'exists' && op !== 'missing' && !role && !value) throw new Incomplete();
    const start = tokenSpan(first);
    return { kind: 'Predicate', op, words, value, role, span: join(start, role?.span ?? value?.span ?? start) };
  }

  value(ctx: C.ValueCstChildren): A.Value {
    if (ctx.literal) return this.build<A.Literal>(ctx.literal[0]);
    return this.build<A.Path>(need(ctx.path));
  }

  literal(ctx: C.LiteralCstChildren): A.Literal {
    if (ctx.StringLit) return this.string(ctx.StringLit[0]);
    if (ctx.RegexLit) {
      const t = ctx.RegexLit[0];
      const { source, flags } = decodeRegex(t.image);
      return { kind: 'Regex', source, flags, span: tokenSpan(t) };
    }
    if (ctx.NumberLit) {
      const t = ctx.NumberLit[0];
      return { kind: 'Number', value: Number(t.image), span: tokenSpan(t) };
    }
    if (ctx.Size) {
      const t = ctx.Size[0];
      return { kind: 'Size', bytes: decodeSize(t.image).bytes, raw: t.image, span: tokenSpan(t) };
    }
    if (ctx.True) return { kind: 'Bool', value: true, span: tokenSpan(ctx.True[0]) };
    if (ctx.False) return { kind: 'Bool', value: false, span: tokenSpan(ctx.False[0]) };
    return this.build<A.ListLit>(need(ctx.list));
  }

  list(ctx: C.ListCstChildren): A.ListLit {
    const items = this.buildAll<A.Value>(ctx.value);
    return { kind: 'List', items, span: join(tokenSpan(need(ctx.LBracket)), tokenSpan(need(ctx.RBracket))) };
  }

  path(ctx: C.PathCstChildren): A.Path {
    const parts = [ident(need(ctx.Name)), ...(ctx.Word ?? []).map(ident)];
    return { kind: 'Path', parts, span: join(parts[0].span, parts[parts.length - 1].span) };
  }

  args(ctx: C.ArgsCstChildren): A.Args {
    const entries = (ctx.arg ?? []).map((a) => this.build<A.Arg>(a));
    return { entries, span: join(tokenSpan(need(ctx.LParen)), tokenSpan(need(ctx.RParen))) };
  }

  arg(ctx: C.ArgCstChildren): A.Arg {
    const name = ident(need(ctx.Word));
    const value = this.build<A.Value>(need(ctx.value));
    return { name, value, span: join(name.span, value.span) };
  }

  private string(t: IToken): A.StringLit {
    return stringLit(t);
  }

  private reason(t: IToken): A.TemplateLit {
    return reasonLit(t, this.sink);
  }
}

/**
 * Builds the AST of a file. `hadSyntaxErrors` mutes MM203 "no chain or pipeline" when the
 * parser could not salvage the declaration.
 */
export function buildAst(cst: CstNode, file: string, sink: DiagnosticSink, hadSyntaxErrors: boolean): A.FileAst {
  const builder = new AstBuilder(sink);
  let ast: A.FileAst;
  try {
    ast = { ...(builder.visit(cst) as Omit<A.FileAst, 'file'>), file };
  } catch (e) {
    if (!(e instanceof Incomplete)) throw e;
    ast = { kind: 'File', file, uses: [], definitions: [], declarations: [], items: [], span: { start: 0, end: 0 } };
  }
  checkShape(ast, sink, hadSyntaxErrors);
  return ast;
}
