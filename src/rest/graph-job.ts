// Drawing a chain or pipeline as SVG away from the REST event loop: one worker thread per
// drawing (src/rest/graph-worker.ts), at most a few at once, each stopped when it runs out
// of time or heap. Terminating the thread is what gives its memory back: Graphviz's
// WebAssembly memory only ever grows while its instance lives.
import { Worker } from 'node:worker_threads';
import {
  type DslIr,
  type GraphFormat,
  graphSize,
  GraphTooLarge,
  MAX_SVG_EDGES,
  MAX_SVG_NODES,
  nestedLinkRuns,
} from '../dsl/index.js';
import { RestError } from './errors.js';

export interface GraphLimits {
  /** Links (a chain's, loops' included) or steps (a pipeline's) beyond which SVG is refused. */
  maxNodes: number;
  /** Wall time a drawing may take before its worker is stopped. */
  timeoutMs: number;
  /** Drawings at once; more wait their turn. */
  concurrency: number;
}

/** How many boxes the graph will have: every link, those inside `for` loops and blocks too. */
export function boxCount(ir: DslIr): number {
  if (ir.kind === 'pipeline') return ir.steps.length;
  let n = 0;
  const stack = [ir.links];
  while (stack.length) {
    for (const link of stack.pop()!) {
      n++;
      stack.push(...nestedLinkRuns(link));
    }
  }
  return n;
}

/** How long loading Graphviz into a new worker may take (a busy machine is slow at it). */
const LOAD_TIMEOUT_MS = 30_000;

const tooLarge = (why: string) => new RestError(413, why);

let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(limit: number, job: () => Promise<T>): Promise<T> {
  while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await job();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function inWorker(ir: DslIr, dot: string, format: GraphFormat, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./graph-worker.js', import.meta.url), {
      workerData: { dot, format },
      // The JS heap is capped here; Graphviz's own memory is bounded by the time limit.
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const overtime = (ms: number) =>
      setTimeout(
        () =>
          settle(() =>
            reject(
              tooLarge(
                `the graph of '${ir.name}' could not be drawn within ${timeoutMs} ms; ask for format=dot and lay ` +
                  `it out elsewhere`,
              ),
            ),
          ),
        ms,
      );
    // Loading Graphviz is not the graph's fault: the layout's clock starts once it is loaded.
    let timer = overtime(LOAD_TIMEOUT_MS + timeoutMs);
    worker.on('message', (m: { ready?: true; svg?: string }) => {
      if (m.ready) {
        clearTimeout(timer);
        timer = overtime(timeoutMs);
      } else if (typeof m.svg === 'string') {
        const svg = m.svg;
        settle(() => resolve(svg));
      }
    });
    // Graphviz out of memory, or the heap limit: the graph is too big to draw here.
    worker.once('error', (err) =>
      settle(() => reject(tooLarge(`the graph of '${ir.name}' is too large to draw: ${err.message}`))),
    );
    worker.once('exit', (code) =>
      settle(() =>
        reject(tooLarge(`the graph of '${ir.name}' could not be drawn (the drawing stopped with code ${code})`)),
      ),
    );
  });
}

/** The graph as DOT (drawn here: linear and cheap) or SVG (laid out in a worker, within the limits). */
export async function drawGraph(
  ir: DslIr,
  format: GraphFormat,
  limits: GraphLimits,
  toDot: (ir: DslIr) => string,
): Promise<string> {
  if (format === 'dot') return toDot(ir);
  const size = boxCount(ir);
  if (size > limits.maxNodes) {
    throw tooLarge(
      `${ir.kind} '${ir.name}' has ${size} ${ir.kind === 'chain' ? 'links' : 'steps'}; SVG is drawn for at most ` +
        `${limits.maxNodes} ([webservice] graph_max_nodes); ask for format=dot instead`,
    );
  }
  // The language's own bound on what Graphviz is given (nodes and edges of the DOT text).
  const dot = toDot(ir);
  const drawn = graphSize(dot);
  if (drawn.nodes > MAX_SVG_NODES || drawn.edges > MAX_SVG_EDGES)
    throw tooLarge(`${ir.kind} '${ir.name}': ${new GraphTooLarge(drawn.nodes, drawn.edges).message}`);
  return slot(limits.concurrency, () => inWorker(ir, dot, format, limits.timeoutMs));
}
