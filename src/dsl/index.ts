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
export { CODE_GUIDE, EXAMPLE_CODES, explainCode, type CodeExample, type CodeGuideEntry } from './code-guide.js';
export { compile, syntaxDiagnostics, type CompileOptions, type CompileResult } from './compile.js';
export { DirRulesFiles, givenRules, RULES_SUFFIX } from './rules-files.js';
export type { RulesFileState } from './catalog-rules.js';
export type { RulesFiles, SharedDef, SharedScope } from './uses.js';
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
  type ExecAction,
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
export {
  IR_VERSION,
  nestedLinkRuns,
  type ActionIr,
  type ChainIr,
  type CondIr,
  type DslIr,
  type LinkIr,
  type PipelineIr,
  type ValueIr,
} from './ir.js';
export { bodyText, leafParts, MAX_PARTS_VISITED, partText } from './message-text.js';
export type { Registries } from './resolve.js';
export { readSourceFile, SourceText } from './source.js';
export type { BaseLookup } from './derive.js';
export { registerMsgdataKey } from './types.js';
export { getter, test as makeTest, truthy } from './values.js';
export { isBanned, membership, once as lookupOnce } from './lookups.js';
export {
  EXAMPLE_KEYS,
  EXAMPLE_LIMITS,
  examplesPathOf,
  parseExamples,
  type Example,
  type ExampleExpect,
  type ExamplesFile,
} from './examples.js';
export { checkWorkspace, dslFilesIn, type DslFile, type WorkspaceResult } from './workspace.js';
export {
  ACTION_KEYWORDS,
  ACTION_MEANINGS,
  describeType,
  listSettings,
  messageValues,
  msgdataEntries,
  PATH_ROOTS,
  ROLE_NAMES,
  rootedPathType,
  siteKeys,
  siteSections,
  typeText,
  type TypedName,
  type Ty,
} from './vocabulary.js';
export { expectedFromFile } from './resolve.js';
export type * as Ast from './ast.js';
export { pathText } from './ast.js';
