// The worker thread behind GET /3.1/{chains,pipelines}/NAME/graph?format=svg: Graphviz
// (WebAssembly) lays out one graph here, so a big layout never blocks the REST event loop,
// and the memory its instance grows to goes away with the thread when it ends.
import { parentPort, workerData } from 'node:worker_threads';
import { renderGraph, type GraphFormat } from '../dsl/index.js';

// The DOT text, already written and measured by the parent.
const { dot, format } = workerData as { dot: string; format: GraphFormat };
// Loading Graphviz is the same work for every graph; the time limit is for the layout, so
// the parent is told when loading is over.
await renderGraph('digraph {}', 'svg');
parentPort!.postMessage({ ready: true });
parentPort!.postMessage({ svg: await renderGraph(dot, format) });
