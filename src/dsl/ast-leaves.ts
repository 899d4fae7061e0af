// The leaves of the AST as both parsers build them (build-ast.ts from the CST, fast-parse*.ts
// from tokens): spans from tokens, identifiers, strings and reasons, and the small node
// shapes the two must make alike.
import type { IToken } from 'chevrotain';
import type * as A from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import { decodeString, isPlainString } from './literals.js';
import type { Span } from './source.js';

/** Thrown when a recovered CST node lacks a piece; caught where an item can be dropped. */
export class Incomplete extends Error {}

export function need<T>(items: T[] | undefined, index = 0): T {
  const item = items?.[index];
  if (item === undefined) throw new Incomplete();
  return item;
}

/** The span of a closing bracket, unless recovery made it up. */
export function closing(tokens: IToken[] | undefined): Span | undefined {
  const t = tokens?.[0];
  return t && !t.isInsertedInRecovery ? tokenSpan(t) : undefined;
}

export function tokenSpan(t: IToken): Span {
  if (!Number.isFinite(t.startOffset) || t.isInsertedInRecovery) throw new Incomplete();
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

export function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

export function ident(t: IToken): A.Ident {
  return { name: t.image, span: tokenSpan(t) };
}

/** A `{a.b}` of a reason as a Path node, with spans inside the string token. */
function templatePath(t: IToken, names: string[], offset: number): A.Path {
  const parts: A.Ident[] = [];
  let at = t.startOffset + offset + 1;
  const text = t.image;
  for (const name of names) {
    const i = text.indexOf(name, at - t.startOffset);
    at = t.startOffset + (i < 0 ? at - t.startOffset : i);
    parts.push({ name, span: { start: at, end: at + name.length } });
    at += name.length;
  }
  return { kind: 'Path', parts, span: { start: parts[0].span.start, end: parts[parts.length - 1].span.end } };
}

/** `as TYPE` (with the type) or `count` (without). */
export interface ConversionParts {
  type?: A.Ident;
  span: Span;
}

export function converted(of: A.RefOperand | A.HeaderOperand, c: ConversionParts): A.ConvertOperand {
  return { kind: 'Convert', of, type: c.type, span: join(of.span, c.span) };
}

/** `else if …`: a block holding that one link, so the IR needs no form of its own for it. */
export function elseIf(link: A.IfLink): A.BlockAction {
  return { kind: 'Block', links: [link], span: link.span };
}

export function stringLit(t: IToken): A.StringLit {
  // Most strings are plain; their value is a slice, with no decoding record to throw away.
  const value = isPlainString(t.image) ? t.image.slice(1, -1) : decodeString(t.image).value;
  return { kind: 'String', value, raw: t.image, span: tokenSpan(t) };
}

/** A reason: a string whose `{path}` parts interpolate; their problems are MM104. */
export function reasonLit(t: IToken, sink: DiagnosticSink): A.TemplateLit {
  const decoded = decodeString(t.image, true);
  // A set of bad offsets only when there are problems: most reasons have none.
  let bad: Set<number> | undefined;
  for (const p of decoded.problems) {
    if (!p.template) continue;
    const start = t.startOffset + p.offset;
    (bad ??= new Set()).add(p.offset);
    sink.error({ start, end: start + p.length }, Codes.BadEscape, p.message, p.hint);
  }
  const parts: (string | A.Path)[] = [];
  for (const part of decoded.parts) {
    if (typeof part === 'string') parts.push(part);
    else if (!bad?.has(part.offset)) parts.push(templatePath(t, part.path, part.offset));
  }
  const lit = stringLit(t);
  return { kind: lit.kind, value: lit.value, raw: lit.raw, span: lit.span, parts };
}
