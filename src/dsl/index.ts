// The public door of the chain and pipeline language: what runners, the CLI and REST use.
// Stages (lex-parse, build-ast, resolve, lower) stay internal to src/dsl.
export { DslCatalog, type CatalogDirs, type CatalogEntry, type DslKind } from './catalog.js';
export { compile, type CompileOptions, type CompileResult } from './compile.js';
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
export { buildChain, buildExecutable, buildPipeline, type Executable, type ExecutableChain, type ExecutablePipeline } from './executable.js';
export { IR_VERSION, type ChainIr, type DslIr, type PipelineIr } from './ir.js';
export type { Registries } from './resolve.js';
