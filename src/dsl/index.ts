// The public door of the chain and pipeline language: what runners, the CLI, REST, explain and
// the tests use. Stages (lex-parse, build-ast, resolve, lower, check/) stay internal to src/dsl.
export {
  CompileMemo,
  DslCatalog,
  type CatalogDirs,
  type CatalogEntry,
  type DslKind,
  type DslStatus,
  type LastGoodStore,
} from './catalog.js';
export { CODE_GUIDE, explainCode, type CodeExample, type CodeGuideEntry } from './code-guide.js';
export { compile, syntaxDiagnostics, type CompileOptions, type CompileResult } from './compile.js';
export {
  Codes,
  formatDiagnostic,
  formatReport,
  formatSummary,
  hasErrors,
  sortDiagnostics,
  type Code,
  type Diagnostic,
  type Severity,
} from './diagnostics.js';
export {
  appendReasons,
  buildChain,
  buildExecutable,
  buildPipeline,
  type CondObserver,
  type ExecLink,
  type Executable,
  type ExecutableChain,
  type ExecutablePipeline,
} from './executable.js';
export { format, MAX_WIDTH, type FormatResult } from './format.js';
export {
  catalogOptions,
  DSL_STATUS_FILE,
  FileLastGoodStore,
  LiveCatalog,
  openCatalog,
  openLiveCatalog,
  type DslStatusFile,
  type LiveCatalogOptions,
} from './live-catalog.js';
export { checkChainGraph } from './graph.js';
export {
  conditionText,
  GRAPH_FORMATS,
  GraphTooLarge,
  graphSize,
  MAX_SVG_EDGES,
  MAX_SVG_NODES,
  renderGraph,
  toDot,
  valueText,
  type GraphFormat,
} from './graph-dot.js';
export { IR_VERSION, type ChainIr, type CondIr, type DslIr, type LinkIr, type PipelineIr, type ValueIr } from './ir.js';
export type { Registries } from './resolve.js';
export { readSourceFile, SourceText } from './source.js';
export { registerMsgdataKey } from './types.js';
export { getter, test as makeTest, truthy } from './values.js';
export { isBanned, membership } from './lookups.js';
export { checkWorkspace, dslFilesIn, type DslFile, type WorkspaceResult } from './workspace.js';
