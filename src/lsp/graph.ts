// The checks no single file can decide (src/dsl/graph.ts): a jump/detour cycle across files
// (MM501) and a chain that may run out of links (MM503, which depends on whether anything
// jumps to it). Run when a chain document's diagnostics are published, over the chain being
// edited as it stands and every other chain in force: open ones as the editor holds them,
// the rest as compiled from disk, kept until the file or the workspace's names change.
import { statSync } from 'node:fs';
import {
  checkChainGraph,
  compile,
  readSourceFile,
  type ChainIr,
  type Diagnostic,
  type Registries,
} from '../dsl/index.js';
import type { Analysis } from './analysis.js';
import type { LspWorkspace } from './workspace.js';

/**
 * Chain files compiled for the graph at most: past this, a workspace (a folder of test
 * fixtures opened by mistake) gets no graph checks rather than a long stall.
 */
export const MAX_GRAPH_FILES = 1000;

export class WorkspaceGraph {
  private readonly compiled = new Map<string, { key: string; ir?: ChainIr }>();

  constructor(
    private readonly registry: Registries,
    private readonly workspace: LspWorkspace,
  ) {}

  /** A file on disk as lowered, recompiled only when it or the names it was compiled against changed. */
  private fromDisk(path: string): ChainIr | undefined {
    let key: string;
    try {
      const stat = statSync(path);
      key = `${stat.mtimeMs}:${stat.size}:${this.workspace.generation}`;
    } catch {
      return undefined;
    }
    const hit = this.compiled.get(path);
    if (hit?.key === key) return hit.ir;
    let ir: ChainIr | undefined;
    try {
      const lowered = compile(readSourceFile(path), path, {
        registry: this.registry,
        chainNames: this.workspace.names('chain'),
        pipelineNames: this.workspace.names('pipeline'),
      }).lowered;
      ir = lowered?.kind === 'chain' ? lowered : undefined;
    } catch {
      ir = undefined; // unreadable since the scan: left out, as a missing file is
    }
    this.compiled.set(path, { key, ir });
    return ir;
  }

  /** The graph diagnostics on the document's own file; none for a pipeline or a file that declares nothing. */
  diagnostics(analysis: Analysis, openAnalysis: (path: string) => Analysis | undefined): Diagnostic[] {
    const own = analysis.result.lowered;
    if (own?.kind !== 'chain') return [];
    const names = [...this.workspace.names('chain')];
    if (names.length > MAX_GRAPH_FILES) return [];
    const chains = new Map<string, ChainIr>();
    for (const name of names) {
      const path = this.workspace.fileOf('chain', name)!;
      if (path === analysis.file) continue;
      const open = openAnalysis(path);
      const ir = open ? open.result.lowered : this.fromDisk(path);
      if (ir?.kind === 'chain') chains.set(ir.name, ir);
    }
    chains.set(own.name, own);
    const sources = new Map([[analysis.file, analysis.result.source]]);
    return checkChainGraph(chains, sources).filter((d) => d.file === analysis.file);
  }
}
