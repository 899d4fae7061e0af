// `mailman validate`'s examples: the NAME.examples files beside the files it checked, run
// against the chains and pipelines in force in the checked workspace (src/explain/examples.ts).
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import type { RunnerTable } from '../config/schema.js';
import {
  type Diagnostic,
  examplesPathOf,
  type ExecutableChain,
  type ExecutablePipeline,
  parseExamples,
  buildExecutable,
  type Registries,
  type WorkspaceResult,
} from '../dsl/index.js';
import type { ExplainCatalog } from '../explain/index.js';
import { runExampleSets, type ExampleSet } from '../explain/examples.js';
import { writeListSetting } from '../rest/resources/listconf.js';

export interface ExamplesReport {
  diagnostics: Diagnostic[];
  /** Examples file (as shown) -> text, for the report's source lines. */
  sources: Map<string, string>;
  files: number;
  run: number;
  failed: number;
}

/** The chains and pipelines in force in a checked workspace, as explain reads them. */
function catalogOf(ws: WorkspaceResult, registry: Registries): ExplainCatalog {
  const chains = new Map<string, ExecutableChain>();
  const pipelines = new Map<string, ExecutablePipeline>();
  const broken = new Set(ws.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file));
  for (const f of ws.files) {
    if (f.overridden || !f.result.ir || broken.has(f.file)) continue;
    const exe = buildExecutable(f.result.ir, registry);
    if (exe.kind === 'chain') chains.set(exe.name, exe);
    else pipelines.set(exe.name, exe);
  }
  return { chain: (n) => chains.get(n), pipeline: (n) => pipelines.get(n), registry };
}

/**
 * Runs the examples files of the given checked files (NAME.examples beside each), against the
 * chains and pipelines in force in `ws`. A file that does not compile has its examples skipped:
 * its own errors say why.
 */
export async function runExamples(
  ws: WorkspaceResult,
  shown: ReadonlySet<string>,
  registry: Registries,
  site: Config,
  runners: RunnerTable,
): Promise<ExamplesReport> {
  const report: ExamplesReport = { diagnostics: [], sources: new Map(), files: 0, run: 0, failed: 0 };
  const catalog = catalogOf(ws, registry);
  const todo: ExampleSet[] = [];
  for (const f of ws.files) {
    if (!shown.has(f.file) || f.overridden || !f.kind) continue;
    const path = examplesPathOf(f.path);
    const file = examplesPathOf(f.file);
    if (!path || !file) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // no examples for this file
    }
    report.files++;
    report.sources.set(file, text);
    const parsed = parseExamples(file, text, f.kind);
    report.diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.length) continue;
    const compiled = f.kind === 'chain' ? catalog.chain(f.name) : catalog.pipeline(f.name);
    if (!compiled) continue;
    todo.push({ name: f.name, kind: f.kind, file, examples: parsed.examples });
  }
  const run = await runExampleSets(todo, catalog, site, runners, writeListSetting);
  report.diagnostics.push(...run.diagnostics);
  report.run = run.run;
  report.failed = run.failed;
  return report;
}
