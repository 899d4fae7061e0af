// `node dist/bench/chain-run.js [--runs=200000]`: what running default-posting-chain costs per
// message, two ways. "engine": the compiled closures with every rule answering at once and
// every link source empty (the language's own overhead: links, detours, jumps, loops,
// recording). "real rules": the built-in rules
// on a real SQLite database, a member post, under dryRun so the accept effect is reported and
// not run. Figures only.
import { performance } from 'node:perf_hooks';
import { DslCatalog, openCatalog } from '../src/dsl/index.js';
import { runChain } from '../src/moderation/chain-executor.js';
import { Message } from '../src/email/message.js';
import {
  buildRegistry,
  ComponentRegistry,
  type Effect,
  type Handler,
  type LinkSource,
  type MessageContext,
  type Rule,
} from '../src/registry.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../src/paths.js';
import { makePost } from '../test/helpers/lmtp-client.js';
import { scratchSite } from './scratch-site.js';

const registry = await buildRegistry();

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const RUNS = Number(args.get('runs') ?? 200_000);
const REAL_RUNS = Math.max(1, Math.round(RUNS / 100));

const site = await scratchSite('chain');
try {
  const { config, services, mlist } = site;
  await services.members.subscribe(mlist, 'anne@bench.example', { verified: true });
  const raw = Buffer.from(
    makePost({
      from: 'anne@bench.example',
      to: 'bench@bench.example',
      subject: 'hello',
      messageId: '<chain-bench@bench.example>',
    }),
  );
  const ctxFor = (): MessageContext => ({
    mlist,
    msg: new Message(raw),
    msgdata: { listid: mlist.list_id, to_list: true },
    services,
    dryRun: true,
  });

  // The same rule names and parameters, each answering "miss" at once; effects do nothing.
  const quick = {
    rules: new ComponentRegistry<Rule>('rule'),
    effects: new ComponentRegistry<Effect>('effect'),
    handlers: new ComponentRegistry<Handler>('handler'),
    linkSources: new ComponentRegistry<LinkSource>('link source'),
  };
  for (const s of registry.linkSources.all()) quick.linkSources.register({ ...s, rows: () => [] });
  for (const r of registry.rules.all()) quick.rules.register({ ...r, check: () => ({ hit: false }) });
  for (const e of registry.effects.all()) quick.effects.register({ ...e, run: async () => undefined });
  for (const h of registry.handlers.all()) quick.handlers.register(h);
  const engine = DslCatalog.loadSync(
    { builtinChains: BUILTIN_CHAIN_DIR, builtinPipelines: BUILTIN_PIPELINE_DIR },
    { registry: quick },
  );
  const real = openCatalog(config, registry, { log: false });

  const measure = async (catalog: DslCatalog, runs: number): Promise<number> => {
    for (let i = 0; i < Math.min(runs, 1000); i++) await runChain(catalog, 'default-posting-chain', ctxFor());
    const ctxs = Array.from({ length: runs }, ctxFor);
    const t0 = performance.now();
    for (const ctx of ctxs) await runChain(catalog, 'default-posting-chain', ctx);
    return ((performance.now() - t0) * 1000) / runs;
  };
  const check = await runChain(real, 'default-posting-chain', ctxFor());
  if (check.disposition !== 'accept') throw new Error(`the member post was not accepted: ${check.disposition}`);
  const engineUs = await measure(engine, RUNS);
  const realUs = await measure(real, REAL_RUNS);
  const figures = {
    chain_engine_us_per_message: +engineUs.toFixed(2),
    chain_real_rules_us_per_message: +realUs.toFixed(1),
    engine_runs: RUNS,
    real_runs: REAL_RUNS,
  };
  console.log(JSON.stringify(figures, null, 2));
  console.log(
    `\ndefault-posting-chain per message: ${figures.chain_engine_us_per_message} µs (engine), ${figures.chain_real_rules_us_per_message} µs (real rules on SQLite)`,
  );
} finally {
  await site.close();
}
