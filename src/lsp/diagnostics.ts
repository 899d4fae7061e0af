// textDocument/publishDiagnostics: the compiler's findings as the protocol carries them. The
// MM code is the diagnostic's code (so an editor can link it to docs/language.md#codes), and
// the hint, which has no field of its own, rides as related information at the same place.
import {
  DiagnosticSeverity,
  type Diagnostic as LspDiagnostic,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node.js';
import type { Diagnostic, Severity } from '../dsl/index.js';
import type { Analysis } from './analysis.js';
import { diagnosticRange } from './positions.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

export function toLspDiagnostic(analysis: Pick<Analysis, 'doc'>, d: Diagnostic): LspDiagnostic {
  const range = diagnosticRange(analysis.doc, d);
  const out: LspDiagnostic = {
    range,
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'mailman',
    message: d.message,
  };
  if (d.hint) {
    out.relatedInformation = [{ location: { uri: analysis.doc.uri, range }, message: `hint: ${d.hint}` }];
  }
  return out;
}

/** Every diagnostic of the document's own file: its compile's, then `graph`'s (cycles, running out). */
export function publishable(analysis: Analysis, graph: readonly Diagnostic[] = []): PublishDiagnosticsParams {
  const diagnostics = [...analysis.result.diagnostics, ...graph].filter((d) => d.file === analysis.file);
  return {
    uri: analysis.doc.uri,
    version: analysis.doc.version,
    diagnostics: diagnostics.map((d) => toLspDiagnostic(analysis, d)),
  };
}
