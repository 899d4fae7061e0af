// What every stage of the compiler reports, and the one text format of docs/language.md#diagnostics:
//
//   var/chains/big-posts.chain:3:8: error MM301: unknown rule 'max-sise'
//       if max-sise(limit: 2MB) then hold
//          ^^^^^^^^
//   hint: did you mean 'max-size'?
//
// Codes are constants so tests, REST clients and the docs agree on them.
import { SourceText, sourceLine, type Span } from './source.js';

export type Severity = 'error' | 'warning' | 'note';

/** One finding. Lines and columns are 1-based code points; the end is exclusive. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  hint?: string;
}

/** The MM codes (docs/language.md#codes), by what they mean. */
export const Codes = {
  // MM1xx lexical
  BadCharacter: 'MM101',
  Unterminated: 'MM102',
  MalformedNumber: 'MM103',
  BadEscape: 'MM104',
  // MM2xx syntax
  Syntax: 'MM201',
  UnknownAction: 'MM202',
  NotOneDeclaration: 'MM203',
  /** Nesting past grammar/limits.ts's MAX_NESTING (brackets, `not`, rules and lets built on each other). */
  TooDeep: 'MM204',
  /** A file, literal, or chain past a size limit of grammar/limits.ts. */
  TooLarge: 'MM205',
  /** The compiler failed on this file (a bug, or a limit not yet known): the file does not compile. */
  CompilerFailure: 'MM206',
  // MM3xx names
  UnknownRule: 'MM301',
  UnknownHandler: 'MM302',
  UnknownChain: 'MM303',
  UnknownName: 'MM304',
  UnknownEffect: 'MM305',
  UnknownRole: 'MM306',
  Duplicate: 'MM307',
  NameNotFile: 'MM308',
  WrongKind: 'MM309',
  SiteOverride: 'MM310',
  /** A password or key (site.webservice.admin_pass, list.moderator_password …): never readable. */
  Secret: 'MM311',
  /** `from NAME` names no pipeline, or one that does not compile. */
  UnknownBase: 'MM312',
  /** `before`/`after`/`replace`/`without` name a step the base does not have. */
  UnknownAnchor: 'MM313',
  /** A plain step in a derived pipeline, or an edit in a pipeline with no base. */
  StepPlacement: 'MM314',
  /** `use` names no .rules file known (or a name that is not NAME.rules). */
  UnknownUse: 'MM315',
  /** .rules files that use each other in a loop. */
  UseCycle: 'MM316',
  /** More `use` nesting or more used files than src/dsl/uses.ts allows. */
  UseLimit: 'MM317',
  /** One name defined in two used files (or twice through them). */
  SharedDuplicate: 'MM318',
  /** A file's own `let` or `rule` has the name of one it uses. */
  ShadowsShared: 'MM319',
  /** A used .rules file does not compile. */
  BrokenUse: 'MM320',
  // MM4xx types
  UnknownParam: 'MM401',
  MissingParam: 'MM402',
  WrongArgType: 'MM403',
  BadOperator: 'MM404',
  BadRegex: 'MM405',
  BacktrackingRegex: 'MM406',
  BadTarget: 'MM407',
  // MM5xx graph
  Cycle: 'MM501',
  Unreachable: 'MM502',
  NoDisposition: 'MM503',
  DeferRecordsNothing: 'MM504',
  PerCopyHandler: 'MM505',
  NoOutgoing: 'MM506',
  // MM6xx examples files (NAME.examples, src/dsl/examples.ts)
  /** A line of an examples file that cannot be read. */
  ExampleSyntax: 'MM601',
  /** An examples file past a limit of EXAMPLE_LIMITS. */
  ExampleLimit: 'MM602',
  /** An example whose message did not get what its `expect:` says. */
  ExampleFailed: 'MM603',
  /** An example that could not be run: a setting refused, a malformed message, a missing chain. */
  ExampleNotRun: 'MM604',
} as const;
export type Code = (typeof Codes)[keyof typeof Codes];

/** Builds a diagnostic for a span of a source. */
export function diagnostic(
  source: SourceText,
  span: Span,
  severity: Severity,
  code: Code,
  message: string,
  hint?: string,
): Diagnostic {
  const from = source.position(span.start);
  const to = source.position(Math.max(span.end, span.start));
  const at = { line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
  const d: Diagnostic = { file: source.file, ...at, severity, code, message };
  if (hint !== undefined) d.hint = hint;
  return d;
}

/** Collects diagnostics for one source; stages take one and push into it. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly source: SourceText) {}

  error(span: Span, code: Code, message: string, hint?: string): void {
    this.items.push(diagnostic(this.source, span, 'error', code, message, hint));
  }
  warning(span: Span, code: Code, message: string, hint?: string): void {
    this.items.push(diagnostic(this.source, span, 'warning', code, message, hint));
  }
  note(span: Span, code: Code, message: string, hint?: string): void {
    this.items.push(diagnostic(this.source, span, 'note', code, message, hint));
  }
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** File, then position, then code: the order they are printed in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...diagnostics].sort(
    (a, b) => order(a.file, b.file) || a.line - b.line || a.column - b.column || order(a.code, b.code),
  );
}

/**
 * One diagnostic as text: the header, then (when the source is known) the line as written
 * with carets under the span, then the hint. No trailing newline.
 */
export function formatDiagnostic(d: Diagnostic, source?: string): string {
  const out = [`${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`];
  const line = source === undefined ? undefined : sourceLine(source, d.line);
  if (line !== undefined) {
    const shown = excerpt(line, d);
    out.push(shown.line, caretLine(shown.line, shown.d));
  }
  if (d.hint) out.push(`hint: ${d.hint}`);
  return out.join('\n');
}

/** Code points of a line shown in full; a longer line (a huge literal) is shown around the column. */
const MAX_SHOWN = 160;

function excerpt(line: string, d: Diagnostic): { line: string; d: Diagnostic } {
  if (line.length <= MAX_SHOWN) return { line, d };
  const chars = [...line];
  if (chars.length <= MAX_SHOWN) return { line, d };
  const start = Math.max(0, Math.min(d.column - 1 - 20, chars.length - MAX_SHOWN));
  const end = Math.min(chars.length, start + MAX_SHOWN);
  const lead = start > 0 ? '…' : '';
  const text = lead + chars.slice(start, end).join('') + (end < chars.length ? '…' : '');
  const shift = start - lead.length;
  const endColumn = d.endLine === d.line ? Math.min(d.endColumn - shift, end - shift + 1) : d.endColumn;
  return { line: text, d: { ...d, column: d.column - shift, endColumn } };
}

/** Spaces (tabs where the source has tabs, so the carets line up) then one caret per code point. */
function caretLine(line: string, d: Diagnostic): string {
  const chars = [...line];
  let pad = '';
  for (let i = 0; i < d.column - 1; i++) pad += chars[i] === '\t' ? '\t' : ' ';
  const last = d.endLine === d.line ? d.endColumn : chars.length + 1;
  return pad + '^'.repeat(Math.max(1, last - d.column));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The closing line: `2 errors, 1 warning in 3 files`. `checked`: how many files were checked
 * (`mailman validate`); without it, the files with an error or warning are counted.
 */
export function formatSummary(diagnostics: readonly Diagnostic[], checked?: number): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const files = checked ?? new Set(diagnostics.filter((d) => d.severity !== 'note').map((d) => d.file)).size;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}`;
}

/** Every diagnostic (sorted, blank line apart), then the summary. `sources` maps file to text. */
export function formatReport(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string> | ((file: string) => string | undefined),
  checked?: number,
): string {
  const text = typeof sources === 'function' ? sources : (f: string) => sources.get(f);
  const body = sortDiagnostics(diagnostics).map((d) => formatDiagnostic(d, text(d.file)));
  return [...body, formatSummary(diagnostics, checked)].join('\n\n');
}
