// `mailman lsp`: a language server (LSP 3.17, JSON-RPC over stdio) for .chain, .pipeline and
// .rules files, and the .examples files beside them (examples.ts). Framing, capabilities and
// incremental document sync are Microsoft's vscode-languageserver; every answer comes from the
// compiler and the registry (one module per capability in this folder). A request that fails
// is answered with an error and the server goes on: an editor must never lose its language
// server to one odd file.
import { format as inspect } from 'node:util';
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { pathToFileURL } from 'node:url';
import type { Registries } from '../dsl/index.js';
import { VERSION } from '../version.js';
import { Analyses } from './analysis.js';
import { completion } from './completion.js';
import { definition } from './definition.js';
import {
  examplesCompletion,
  examplesDefinition,
  examplesDiagnostics,
  examplesHover,
  isExamplesDocument,
} from './examples.js';
import { publishable } from './diagnostics.js';
import { formatting } from './formatting.js';
import { WorkspaceGraph } from './graph.js';
import { hover } from './hover.js';
import { LspWorkspace, uriPath } from './workspace.js';

export interface LspOptions {
  registry: Registries;
  /** The built-in chains/ and pipelines/. */
  builtinDirs: string[];
  /** The site's chain_dir and pipeline_dir, when a configuration names them. */
  siteDirs: string[];
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Runs a handler; a throw becomes an error response (logged), never the end of the server. */
function guarded<P, R>(connection: Connection, what: string, handler: (params: P) => R): (params: P) => R {
  return (params: P) => {
    try {
      return handler(params);
    } catch (err) {
      connection.console.error(`${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw new ResponseError(ErrorCodes.InternalError, `${what} failed: ${err instanceof Error ? err.message : err}`);
    }
  };
}

function rootsOf(params: InitializeParams): string[] {
  const uris = params.workspaceFolders?.length
    ? params.workspaceFolders.map((f) => f.uri)
    : params.rootUri
      ? [params.rootUri]
      : params.rootPath
        ? [pathToFileURL(params.rootPath).href]
        : [];
  return uris.filter((u) => u.startsWith('file:')).map(uriPath);
}

export function startLanguageServer(options: LspOptions): Connection {
  const connection = createConnection(ProposedFeatures.all, options.input, options.output);
  // Anything printed would be taken for protocol on stdout: send it to the client's log.
  console.log = (...args: unknown[]) => connection.console.log(inspect(...args));
  console.info = (...args: unknown[]) => connection.console.info(inspect(...args));
  console.warn = (...args: unknown[]) => connection.console.warn(inspect(...args));

  const documents = new TextDocuments(TextDocument);
  const workspace = new LspWorkspace(options.builtinDirs, options.siteDirs);
  const analyses = new Analyses(options.registry, workspace);
  const graph = new WorkspaceGraph(options.registry, workspace);
  const registry = options.registry;
  let watchFiles = false;
  let folders = false;
  let roots: string[] = [];

  connection.onInitialize((params): InitializeResult => {
    roots = rootsOf(params);
    workspace.setRoots(roots);
    folders = params.capabilities.workspace?.workspaceFolders === true;
    watchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.', ' ', '(', ','] },
        definitionProvider: true,
        documentFormattingProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'mailman lsp', version: VERSION },
    };
  });

  connection.onInitialized(() => {
    if (folders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriPath(f.uri)));
        roots = [...roots.filter((r) => !removed.has(r)), ...e.added.map((f) => uriPath(f.uri))];
        workspace.setRoots(roots);
        revalidateAll();
      });
    }
    if (watchFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{chain,pipeline,rules,examples}' }],
      });
    }
  });

  // Diagnostics by version, not by a timer: a change queues its document once, and it is
  // compiled only when its version has held for one turn of the event loop. The protocol
  // library hands over one message per turn, so a burst of changes that arrived together is
  // all applied first and costs one compile; nothing is published for a version the editor
  // has already moved past.
  const openText = (path: string) => documents.all().find((d) => uriPath(d.uri) === path);
  const openAnalysis = (path: string) => {
    const doc = openText(path);
    return doc && analyses.get(doc);
  };
  const queued = new Map<string, number | undefined>();
  const published = new Map<string, number>();
  const validate = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc) {
      queued.delete(uri);
      return;
    }
    if (queued.get(uri) !== doc.version) {
      queued.set(uri, doc.version);
      setImmediate(() => validate(uri));
      return;
    }
    queued.delete(uri);
    if (published.get(uri) === doc.version) return;
    try {
      if (isExamplesDocument(uri)) {
        published.set(uri, doc.version);
        void connection.sendDiagnostics(examplesDiagnostics(doc, workspace));
        return;
      }
      const analysis = analyses.get(doc);
      const params = publishable(analysis, graph.diagnostics(analysis, openAnalysis));
      published.set(uri, doc.version);
      void connection.sendDiagnostics(params);
    } catch (err) {
      connection.console.error(`diagnostics of ${uri} failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  };
  const queue = (uri: string) => {
    if (queued.has(uri)) return;
    queued.set(uri, undefined);
    setImmediate(() => validate(uri));
  };
  const revalidateAll = () => {
    published.clear();
    for (const doc of documents.all()) queue(doc.uri);
  };

  documents.onDidOpen((e) => {
    workspace.opened(e.document.uri);
    queue(e.document.uri);
  });
  documents.onDidChangeContent((e) => queue(e.document.uri));
  documents.onDidSave(() => {
    // A saved new file gives its name to the others' jump targets.
    workspace.rescan();
    revalidateAll();
  });
  documents.onDidClose((e) => {
    workspace.closed(e.document.uri);
    analyses.forget(e.document.uri);
    published.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  connection.onDidChangeWatchedFiles(() => {
    workspace.rescan();
    revalidateAll();
  });

  const docOf = (uri: string): TextDocument => {
    const doc = documents.get(uri);
    if (!doc) throw new Error(`${uri} is not open`);
    return doc;
  };
  const examples = (uri: string) => isExamplesDocument(uri);
  connection.onHover(
    guarded(connection, 'hover', (p) =>
      examples(p.textDocument.uri)
        ? examplesHover(docOf(p.textDocument.uri), p.position)
        : hover(analyses.get(docOf(p.textDocument.uri)), { registry, workspace, openText }, p),
    ),
  );
  connection.onCompletion(
    guarded(connection, 'completion', (p) =>
      examples(p.textDocument.uri)
        ? examplesCompletion(docOf(p.textDocument.uri), p.position, workspace)
        : completion(analyses.get(docOf(p.textDocument.uri)), registry, workspace, p),
    ),
  );
  connection.onDefinition(
    guarded(connection, 'definition', (p) =>
      examples(p.textDocument.uri)
        ? examplesDefinition(docOf(p.textDocument.uri), workspace)
        : definition(analyses.get(docOf(p.textDocument.uri)), p, workspace, registry, openText),
    ),
  );
  // An examples file has no formatter: its layout is the admin's.
  connection.onDocumentFormatting(
    guarded(connection, 'formatting', (p) =>
      examples(p.textDocument.uri) ? [] : formatting(analyses.get(docOf(p.textDocument.uri))),
    ),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
