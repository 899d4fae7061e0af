// textDocument/formatting: the whole document through `mailman fmt`'s formatter
// (src/dsl/format.ts), as one edit. A document that does not lex or parse gets no edit at
// all: `fmt` lays out what recovery salvaged, which is fine for a file on disk one can diff,
// but an editor reformatting a half-typed line under the author's cursor would be rewriting
// text nobody has finished.
import type { TextEdit } from 'vscode-languageserver/node.js';
import { Codes, format } from '../dsl/index.js';
import type { Analysis } from './analysis.js';

/** The codes of a text the parsers could not read whole (lexical, syntax, size, compiler failure). */
const UNPARSED: ReadonlySet<string> = new Set([
  Codes.BadCharacter,
  Codes.Unterminated,
  Codes.MalformedNumber,
  Codes.BadEscape,
  Codes.Syntax,
  Codes.TooDeep,
  Codes.TooLarge,
  Codes.CompilerFailure,
]);

export function parses(analysis: Analysis): boolean {
  return !analysis.result.diagnostics.some((d) => d.severity === 'error' && UNPARSED.has(d.code));
}

export function formatting(analysis: Analysis): TextEdit[] {
  if (!parses(analysis)) return [];
  const text = analysis.doc.getText();
  const result = format(text);
  if (result.skipped || !result.changed) return [];
  const end = analysis.doc.positionAt(text.length);
  return [{ range: { start: { line: 0, character: 0 }, end }, newText: result.text }];
}
