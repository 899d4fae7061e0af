// The AST nodes the fast parser (fast-parse.ts) builds from the tokens and subtrees each rule
// consumed: the same nodes build-ast.ts makes from a concrete syntax tree, spans included.
import type { IToken, TokenType } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import type * as A from './ast.js';
import { ident, join, stringLit, tokenSpan } from './build-ast.js';
import { decodeRegex, decodeSize } from './literals.js';

type Item = A.Definition | A.Declaration;

function description(t: IToken | undefined): A.StringLit | undefined {
  return t ? stringLit(t) : undefined;
}

export function letDef(kw: IToken, name: IToken, value: A.Value): A.LetDef {
  return { kind: 'Let', name: ident(name), value, span: join(tokenSpan(kw), value.span) };
}

export function ruleDef(kw: IToken, name: IToken, about: IToken | undefined, condition: A.Condition): A.RuleDef {
  const span = join(tokenSpan(kw), condition.span);
  return { kind: 'RuleDef', name: ident(name), description: description(about), condition, span };
}

export function chainDecl(
  kw: IToken,
  name: IToken,
  about: IToken | undefined,
  links: A.Link[],
  end: IToken,
): A.ChainDecl {
  const span = join(tokenSpan(kw), tokenSpan(end));
  return { kind: 'Chain', name: ident(name), description: description(about), links, span };
}

export function pipelineDecl(
  kw: IToken,
  name: IToken,
  base: IToken | undefined,
  about: IToken | undefined,
  steps: A.Step[],
  edits: A.StepEdit[],
  end: IToken,
): A.PipelineDecl {
  const span = join(tokenSpan(kw), tokenSpan(end));
  const from = base ? { base: ident(base) } : {};
  return { kind: 'Pipeline', name: ident(name), ...from, description: description(about), steps, edits, span };
}

export function stepEdit(kw: IToken, anchor: IToken, step: A.Step | undefined): A.StepEdit {
  const a = ident(anchor);
  const op = kw.image as A.StepEdit['op'];
  return { kind: 'StepEdit', op, anchor: a, ...(step ? { step } : {}), span: join(tokenSpan(kw), (step ?? a).span) };
}

export function forLink(kw: IToken, variable: IToken, source: A.Path, links: A.Link[], end: IToken): A.ForLink {
  return { kind: 'For', variable: ident(variable), source, links, span: join(tokenSpan(kw), tokenSpan(end)) };
}

export function computedTarget(kw: IToken, path: A.Path, otherwise: A.Path | undefined): A.ComputedTarget {
  return { kind: 'ComputedTarget', path, otherwise, span: join(tokenSpan(kw), (otherwise ?? path).span) };
}

/** `a or b or c` / `a and b`: one operand alone is itself. */
export function joined(kind: 'Or' | 'And', operands: A.Condition[]): A.Condition {
  if (operands.length === 1) return operands[0];
  return { kind, operands, span: join(operands[0].span, operands[operands.length - 1].span) };
}

export function roleTest(is: IToken, not: IToken | undefined, a: IToken, role: IToken): A.Predicate {
  const r = ident(role);
  const words = `is${not ? ' not' : ''} ${a.image}`;
  const span = join(tokenSpan(is), r.span);
  return { kind: 'Predicate', op: not ? 'is-not-a' : 'is-a', words, value: undefined, role: r, span };
}

export function valueTest(first: IToken, op: A.Predicate['op'], words: string, value: A.Value): A.Predicate {
  return { kind: 'Predicate', op, words, value, role: undefined, span: join(tokenSpan(first), value.span) };
}

export function literal(t: IToken, type: TokenType): A.Literal {
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
}

export function useDecl(kw: IToken, path: IToken): A.UseDecl {
  const lit = stringLit(path);
  return { kind: 'Use', path: lit, span: join(tokenSpan(kw), lit.span) };
}

export function fileAst(all: (Item | A.UseDecl)[], file: string): A.FileAst {
  const uses = all.filter((i): i is A.UseDecl => i.kind === 'Use');
  const items = all.filter((i): i is Item => i.kind !== 'Use');
  const definitions = items.filter((i): i is A.Definition => i.kind === 'Let' || i.kind === 'RuleDef');
  const declarations = items.filter((i): i is A.Declaration => i.kind === 'Chain' || i.kind === 'Pipeline');
  const span = items.length ? join(items[0].span, items[items.length - 1].span) : { start: 0, end: 0 };
  return { kind: 'File', uses, definitions, declarations, items, span, file };
}
