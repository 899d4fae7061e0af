// One compile per document version: diagnostics, hover, completion and definition all read
// the same result, made by the real compiler (src/dsl) against the workspace's names. A
// result is kept until the document changes or the workspace's names do.
import { basename } from 'node:path';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  compile,
  readSourceFile,
  type Ast,
  type BaseLookup,
  type CompileResult,
  type Registries,
} from '../dsl/index.js';
import { uriPath, type DslKindName, type LspWorkspace } from './workspace.js';

export interface Analysis {
  doc: TextDocument;
  /** The path diagnostics name. */
  file: string;
  kind: DslKindName | undefined;
  result: CompileResult;
}

/** What a file is, from its name, else from what it declares. */
function kindOf(file: string, ast: Ast.FileAst): DslKindName | undefined {
  const ext = /\.(chain|pipeline)$/.exec(basename(file))?.[1];
  if (ext) return ext as DslKindName;
  const decl = ast.declarations[0];
  return decl ? (decl.kind === 'Chain' ? 'chain' : 'pipeline') : undefined;
}

export class Analyses {
  private readonly cache = new Map<string, { version: number; generation: number; analysis: Analysis }>();

  constructor(
    readonly registry: Registries,
    readonly workspace: LspWorkspace,
  ) {}

  get(doc: TextDocument): Analysis {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version && hit.generation === this.workspace.generation) return hit.analysis;
    const file = uriPath(doc.uri);
    // compile() never throws and refuses a text over the size limit before lexing it (MM205).
    const self = basename(file).replace(/\.pipeline$/, '');
    const result = compile(doc.getText(), file, {
      registry: this.registry,
      chainNames: this.workspace.names('chain'),
      pipelineNames: this.workspace.names('pipeline'),
      pipelineBase: (name) => this.base(name, [self]),
      rulesFiles: this.workspace.rulesFiles(),
    });
    const analysis: Analysis = { doc, file, kind: kindOf(file, result.ast), result };
    this.cache.set(doc.uri, { version: doc.version, generation: this.workspace.generation, analysis });
    return analysis;
  }

  /**
   * The base of a derived pipeline, compiled from the workspace's file of that name (and its
   * own base, and so on); `deriving` is the chain of pipelines under way, to catch a loop.
   */
  private base(name: string, deriving: string[]): BaseLookup {
    const path = this.workspace.fileOf('pipeline', name);
    if (!path) return undefined;
    const at = deriving.indexOf(name);
    if (at >= 0) return { cycle: [name, ...deriving.slice(at + 1)] };
    let text: string;
    try {
      text = readSourceFile(path);
    } catch {
      return undefined; // gone since the scan
    }
    const result = compile(text, path, {
      registry: this.registry,
      chainNames: this.workspace.names('chain'),
      pipelineNames: this.workspace.names('pipeline'),
      pipelineBase: (next) => this.base(next, [...deriving, name]),
    });
    return result.ir?.kind === 'pipeline' ? { ir: result.ir } : { broken: true };
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }
}
