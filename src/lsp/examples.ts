// NAME.examples documents (docs/language.md#examples) in the language server: diagnostics as
// `validate` reads the file (running the examples needs a database, so that stays with
// `validate`), completion of the keys, list settings and expectations, hover on a key, and
// go-to-definition from an `example` line to the chain or pipeline it is for.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CompletionItemKind,
  type CompletionItem,
  type Hover,
  type Location,
  type Position,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { EXAMPLE_KEYS, parseExamples } from '../dsl/index.js';
import { LIST_SETTINGS } from '../model/list-settings.js';
import { toLspDiagnostic } from './diagnostics.js';
import { uriPath, type DslKindName, type LspWorkspace } from './workspace.js';

export function isExamplesDocument(uri: string): boolean {
  return uri.endsWith('.examples');
}

function nameOf(doc: TextDocument): string {
  return basename(uriPath(doc.uri)).replace(/\.examples$/, '');
}

/** Whether the examples are a pipeline's: a NAME.pipeline beside it, or only a pipeline of that name known. */
function kindOf(doc: TextDocument, workspace: LspWorkspace): DslKindName {
  const path = uriPath(doc.uri);
  const name = nameOf(doc);
  if (existsSync(join(dirname(path), `${name}.pipeline`))) return 'pipeline';
  if (existsSync(join(dirname(path), `${name}.chain`))) return 'chain';
  return workspace.fileOf('pipeline', name) && !workspace.fileOf('chain', name) ? 'pipeline' : 'chain';
}

export function examplesDiagnostics(doc: TextDocument, workspace: LspWorkspace): PublishDiagnosticsParams {
  const file = uriPath(doc.uri);
  const parsed = parseExamples(file, doc.getText(), kindOf(doc, workspace));
  return {
    uri: doc.uri,
    version: doc.version,
    diagnostics: parsed.diagnostics.map((d) => toLspDiagnostic({ doc }, d)),
  };
}

function lineBefore(doc: TextDocument, at: Position): string {
  return doc.getText({ start: { line: at.line, character: 0 }, end: at });
}

function wholeLine(doc: TextDocument, line: number): string {
  return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
}

const CHAIN_EXPECTS = ['accept', 'hold', 'reject', 'discard', 'none'];
const PIPELINE_EXPECTS = ['header', 'no header', 'recipients', 'part', 'no part', 'discard', 'reject'];

export function examplesCompletion(doc: TextDocument, at: Position, workspace: LspWorkspace): CompletionItem[] {
  const before = lineBefore(doc, at);
  if (/^\S*$/.test(before))
    return [{ label: 'example', kind: CompletionItemKind.Keyword, detail: 'example "NAME": starts an example' }];
  if (/^\s+[a-z-]*$/.test(before))
    return Object.entries(EXAMPLE_KEYS).map(([key, detail]) => ({
      label: `${key}:`,
      kind: CompletionItemKind.Property,
      detail,
    }));
  if (/^\s+list:\s*[a-z_]*$/.test(before))
    return LIST_SETTINGS.map((s) => ({ label: s.name, kind: CompletionItemKind.Field, detail: s.type }));
  if (/^\s+expect:\s*[a-z]*$/.test(before))
    return (kindOf(doc, workspace) === 'pipeline' ? PIPELINE_EXPECTS : CHAIN_EXPECTS).map((label) => ({
      label,
      kind: CompletionItemKind.EnumMember,
    }));
  return [];
}

export function examplesHover(doc: TextDocument, at: Position): Hover | null {
  const line = wholeLine(doc, at.line);
  const m = /^(\s+)([a-z-]+):/.exec(line);
  if (!m || !(m[2] in EXAMPLE_KEYS)) return null;
  const start = m[1].length;
  const end = start + m[2].length + 1;
  if (at.character < start || at.character > end) return null;
  return {
    contents: { kind: 'markdown', value: `**${m[2]}:** ${EXAMPLE_KEYS[m[2] as keyof typeof EXAMPLE_KEYS]}` },
    range: { start: { line: at.line, character: start }, end: { line: at.line, character: end } },
  };
}

/** From anywhere in the file to the chain or pipeline its examples run through. */
export function examplesDefinition(doc: TextDocument, workspace: LspWorkspace): Location | null {
  const kind = kindOf(doc, workspace);
  const beside = join(dirname(uriPath(doc.uri)), `${nameOf(doc)}.${kind}`);
  const file = existsSync(beside) ? beside : workspace.fileOf(kind, nameOf(doc));
  if (!file) return null;
  const origin = { line: 0, character: 0 };
  return { uri: pathToFileURL(file).href, range: { start: origin, end: origin } };
}
