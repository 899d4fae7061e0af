// textDocument/definition: a `let` or `rule` of the file goes to its definition, a loop
// variable to its `for`, and a chain after `jump` or `detour` to the file in force for that
// name (the workspace's, else the built-in), at its declaration; the base of a derived pipeline
// (`from NAME`) likewise.
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { DefinitionParams, Location } from 'vscode-languageserver/node.js';
import { compile, readSourceFile, type Ast, type Registries } from '../dsl/index.js';
import type { Analysis } from './analysis.js';
import { locate } from './locate.js';
import { meaningOf } from './meaning.js';
import { spanRange } from './positions.js';
import type { LspWorkspace } from './workspace.js';

export interface OpenText {
  /** The text of an open document at this path: what the editor shows wins over the disk. */
  (path: string): TextDocument | undefined;
}

/** A chain or pipeline as declared in the file in force for its name. */
export interface Declared {
  location: Location;
  decl?: Ast.Declaration;
}

/** Where a chain or pipeline's name is declared in its file (its start when it declares none). */
export function declarationOf(
  kind: 'chain' | 'pipeline',
  name: string,
  workspace: LspWorkspace,
  registry: Registries,
  openText: OpenText,
): Declared | undefined {
  const path = workspace.fileOf(kind, name);
  if (!path) return undefined;
  let doc = openText(path);
  if (!doc) {
    try {
      doc = TextDocument.create(pathToFileURL(path).href, 'mailman-dsl', 0, readSourceFile(path));
    } catch {
      return undefined; // deleted or unreadable since the directory was read: as if it were not there
    }
  }
  const result = compile(doc.getText(), path, { registry });
  const decl = result.ast.declarations.find((d) => d.name.name === name) ?? result.ast.declarations[0];
  const span = decl?.name.span ?? { start: 0, end: 0 };
  return { location: { uri: doc.uri, range: spanRange(doc, span) }, decl };
}

export function definition(
  analysis: Analysis,
  params: DefinitionParams,
  workspace: LspWorkspace,
  registry: Registries,
  openText: OpenText,
): Location | null {
  const offset = analysis.doc.offsetAt(params.position);
  // `use "x.rules"`: the file itself.
  const use = analysis.result.ast.uses.find((u) => u.path.span.start <= offset && offset < u.path.span.end);
  if (use) {
    const file = workspace.rulesFiles().read(use.path.value)?.file;
    return file
      ? { uri: pathToFileURL(file).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }
      : null;
  }
  const found = locate(analysis.result.ast, offset);
  if (!found) return null;
  const meaning = meaningOf(analysis.result.ast, registry, found, analysis.result.shared?.defs);
  const here = (span: { start: number; end: number }): Location => ({
    uri: analysis.doc.uri,
    range: spanRange(analysis.doc, span),
  });
  switch (meaning?.kind) {
    case 'let':
    case 'local-rule': {
      const shared = meaning.shared;
      if (!shared) return here(meaning.def.name.span);
      // In the .rules file, at the name as that file's text has it.
      const doc = TextDocument.create(pathToFileURL(shared.source.file).href, 'mailman-dsl', 0, shared.source.text);
      return { uri: doc.uri, range: spanRange(doc, meaning.def.name.span) };
    }
    case 'loop-variable':
    case 'loop-field':
      return here(meaning.loop.variable.span);
    case 'chain':
      return (
        declarationOf(meaning.pipeline ? 'pipeline' : 'chain', meaning.name, workspace, registry, openText)?.location ??
        null
      );
    default:
      return null;
  }
}
