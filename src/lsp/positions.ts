// Between the compiler's places and the protocol's. Spans are UTF-16 offsets, as LSP's
// positions are by default, so they convert through the document; diagnostics carry 1-based
// lines and code-point columns (docs/language.md#diagnostics), which differ from UTF-16
// columns only on a line holding a character outside the Basic Multilingual Plane.
import type { Position, Range } from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../dsl/index.js';

export interface Span {
  start: number;
  end: number;
}

export function spanRange(doc: TextDocument, span: Span): Range {
  return { start: doc.positionAt(span.start), end: doc.positionAt(Math.max(span.start, span.end)) };
}

/** The UTF-16 offset within `line` of a 1-based code-point column (clamped to the line's end). */
export function utf16Column(line: string, column: number): number {
  let units = 0;
  for (let cp = 1; cp < column && units < line.length; cp++) {
    const c = line.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && units + 1 < line.length ? 2 : 1;
  }
  return units;
}

function lineText(doc: TextDocument, line: number): string {
  const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  return text.replace(/\r?\n$/, '');
}

function position(doc: TextDocument, line1: number, column1: number): Position {
  const line = Math.max(0, line1 - 1);
  return { line, character: utf16Column(lineText(doc, line), column1) };
}

/** The range a diagnostic points at, in the document's positions. */
export function diagnosticRange(doc: TextDocument, d: Diagnostic): Range {
  return { start: position(doc, d.line, d.column), end: position(doc, d.endLine, d.endColumn) };
}

/** Whether an offset falls on a span, its end included (the cursor just after a word is on it). */
export function within(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
