// issue 9 item 6: GET /3.1/chains/NAME/graph?format=svg lays the graph out in a worker
// thread within limits. A chain over [webservice] graph_max_nodes is refused with 413 and a
// reason; one that takes longer than graph_timeout is stopped (413), and REST answers other
// requests meanwhile. Before, a 3,000-link chain blocked REST for seconds, answered 500 and
// left the process at 2.2 GB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestHarness, assertError } from './harness.js';
import { waitFor } from '../helpers/wait.js';
import { LiveCatalog } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../src/paths.js';

let rest: RestHarness;
let site: string;

/** A chain of `n` header tests, half holding: Graphviz's layout of it grows much faster than n. */
function bigChain(name: string, n: number): string {
  const lines = [`chain ${name} "big" {`];
  for (let i = 0; i < n; i++) lines.push(`    if header "X-H${i}" exists then ${i % 2 ? 'hold' : 'defer'}`);
  lines.push('    accept', '}', '');
  return lines.join('\n');
}

before(async () => {
  site = mkdtempSync(join(tmpdir(), 'rest-graph-'));
  const catalog = new LiveCatalog({
    dirs: {
      builtinChains: BUILTIN_CHAIN_DIR,
      builtinPipelines: BUILTIN_PIPELINE_DIR,
      siteChains: join(site, 'chains'),
      sitePipelines: join(site, 'pipelines'),
    },
    lastGoodDir: join(site, 'cache'),
    log: false,
    registry,
  });
  rest = await RestHarness.start({ catalog, conf: '[webservice]\ngraph_max_nodes: 300\ngraph_timeout: 3s' });
});
after(async () => {
  await rest?.close();
  rmSync(site, { recursive: true, force: true });
});

test('a small chain is still drawn as SVG', async () => {
  const r = await rest.get('/chains/default-posting-chain/graph?format=svg');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^image\/svg\+xml/);
  assert.match(r.text, /<svg/);
});

test('SVG of a chain over graph_max_nodes: 413 with the reason; its DOT is still served', async () => {
  assert.equal((await rest.put('/chains/huge', { source: bigChain('huge', 400) })).status, 200);
  const svg = await rest.get('/chains/huge/graph?format=svg');
  assertError(svg, 413, /'huge' has 401 links; SVG is drawn for at most 300 \(\[webservice\] graph_max_nodes\)/);
  const dot = await rest.get('/chains/huge/graph?format=dot');
  assert.equal(dot.status, 200);
  assert.match(dot.text, /^digraph "huge" \{/);
});

test('a drawing past graph_timeout is stopped with 413, and REST answers other requests while it runs', async () => {
  assert.equal((await rest.put('/chains/slow', { source: bigChain('slow', 190) })).status, 200);
  const order: string[] = [];
  // The harness's REST server runs in this process: its layout worker is seen being made.
  let workers = 0;
  const counted = () => workers++;
  subscribe('worker_threads', counted);
  const drawing = rest.get('/chains/slow/graph?format=svg').then((r) => (order.push('graph'), r));
  try {
    await waitFor(() => workers > 0, 'the layout to start in a worker', 20_000);
  } finally {
    unsubscribe('worker_threads', counted);
  }
  const system = await rest.get('/system');
  order.push('system');
  assert.equal(system.status, 200);
  const svg = await drawing;
  assertError(svg, 413, /could not be drawn within 3000 ms/);
  assert.deepEqual(order, ['system', 'graph'], 'GET /system did not wait for the layout');
  // Two at once (the limit) end the same way; the server keeps answering.
  const many = await Promise.all([1, 2].map(() => rest.get('/chains/slow/graph?format=svg')));
  for (const r of many) assertError(r, 413);
  assert.equal((await rest.get('/system')).status, 200);
});
