// `mailman explain` and POST /3.1/lists/{list}/explain: what the list's moderation would do
// with a message, and why, without doing any of it (the trace's shape: ./trace.ts). The
// prepared message runs through the start chain with `dryRun: true`: rules read the database
// but write nothing (nonmember-moderation does not register the sender), effects (`run
// hold-message` ...) are reported as "would ...", never run. Nothing is queued, stored, held
// or sent. The pipeline that would follow is shown step by step with its `when`s evaluated.
import { readFileSync } from 'node:fs';
import type { MessageContext } from '../registry.js';
import { conditionText, nestedLinkRuns, type LinkIr, type Registries } from '../dsl/index.js';
import { runChain, type ChainTrace } from '../moderation/chain-executor.js';
import {
  EXPLAIN_VERSION,
  ExplainError,
  type Disposition,
  type ExplainCatalog,
  type ExplainLink,
  type ExplainOptions,
  type ExplainPipeline,
  type ExplainTrace,
} from './trace.js';
import { prepareMessage } from './prepare.js';
import { TracingChains, strings } from './tracing-chains.js';

/** Terminal effects and the disposition each stands for. */
const EFFECT_DISPOSITION: Record<string, Disposition> = {
  'accept-message': 'accept',
  'accept-owner': 'accept',
  'hold-message': 'hold',
  'reject-message': 'reject',
  'discard-message': 'discard',
};
/** The effects that write X-Mailman-Rule-Hits/-Misses (docs/language.md#recording-and-reasons). */
const RULE_HEADER_EFFECTS = new Set(['accept-message', 'hold-message', 'reject-message']);
const DISPOSITIONS = new Set<string>(['accept', 'hold', 'reject', 'discard']);

// ---- source text

function sourceLine(file: string, at: string, cache: Map<string, string[] | null>): string {
  let lines = cache.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      lines = null;
    }
    cache.set(file, lines);
  }
  const [line, col] = at.split(':').map(Number);
  const text = lines?.[line - 1];
  if (text === undefined) return '';
  // Up to a trailing comment; a # inside a string is text.
  return (/^(?:[^"#]|"(?:[^"\\]|\\.)*")*/.exec(text.slice(Math.max(0, col - 1)))?.[0] ?? '').trim();
}

// ---- the front door

export async function explainMessage(opts: ExplainOptions): Promise<ExplainTrace> {
  const { services, catalog, mlist } = opts;
  const start = opts.chain ?? (opts.owner ? mlist.owner_chain : mlist.posting_chain);
  if (!catalog.chain(start)) throw new ExplainError(`chain '${start}' does not exist or does not compile`);
  if (opts.pipeline !== undefined && !catalog.pipeline(opts.pipeline))
    throw new ExplainError(`pipeline '${opts.pipeline}' does not exist or does not compile`);
  const { msg, msgdata } = prepareMessage(opts);
  Object.assign(msgdata, opts.msgdata);
  const ctx: MessageContext = { mlist, msg, msgdata, services, dryRun: true };
  const registry = opts.registry ?? catalog.registry;
  const chains = new TracingChains(catalog, registry);

  let trace: ChainTrace | undefined;
  let error: string | undefined;
  try {
    await runChain(chains, start, ctx, (t) => (trace = t));
  } catch (err) {
    // The runner would shunt the message; the links visited until then still explain why.
    error = (err as Error).message;
  }

  const files = new Map<string, string[] | null>();
  const links: ExplainLink[] = [];
  let logIndex = 0;
  for (const step of trace?.links ?? []) {
    const chain = chains.chain(step.chain)!;
    // A step may be a link inside a `for` loop or a block, so the chain's links are searched at every depth.
    const linkIr = linkAt(chain.ir.links, step.at);
    if (!linkIr) throw new Error(`explain: chain '${step.chain}' has no link at ${step.at}`);
    // Each conditional link logged one entry as it was evaluated, in the trace's order.
    const next = linkIr.when ? chains.logs[logIndex] : undefined;
    const log = next && next.chain === step.chain && next.at === step.at ? chains.logs[logIndex++] : undefined;
    const link: ExplainLink = {
      chain: step.chain,
      at: step.at,
      file: chain.file,
      source_text: sourceLine(chain.file, step.at, files),
      condition: conditionText(linkIr.when),
      rules: log?.rules ?? [],
      tests: log?.tests ?? [],
      recorded: log?.recorded ?? { hits: [], misses: [] },
      taken: step.hit,
      action: step.action,
    };
    if (log?.notEvaluated.length) link.not_evaluated = log.notEvaluated;
    if (step.row !== undefined) link.row = step.row;
    if (linkIr.else) link.branch = step.else ? 'else' : 'then';
    if (step.target !== undefined) link.target = step.target;
    const ran = step.else ? linkIr.else : step.hit ? linkIr.action : undefined;
    if (ran?.do === 'run') link.effect = wouldRun(ran.effect, registry);
    links.push(link);
  }

  const effectNames = trace?.effects ?? [];
  let disposition: Disposition = 'none';
  for (const name of effectNames) disposition = EFFECT_DISPOSITION[name] ?? disposition;
  if (disposition === 'none' && trace?.disposition && DISPOSITIONS.has(trace.disposition))
    disposition = trace.disposition as Disposition;

  const ruleHits = strings(msgdata.rule_hits);
  const ruleMisses = strings(msgdata.rule_misses);
  const headers: Record<string, string> = {};
  if (effectNames.some((n) => RULE_HEADER_EFFECTS.has(n))) {
    if (ruleHits.length) headers['X-Mailman-Rule-Hits'] = ruleHits.join('; ');
    if (ruleMisses.length) headers['X-Mailman-Rule-Misses'] = ruleMisses.join('; ');
  }
  const effects = [...chains.ruleEffects, ...effectNames.map((n) => wouldRun(n, registry))];
  if (error) effects.push(`would shunt the message: ${error}`);
  else if (!trace?.disposition) effects.push(`would drop the message: chain '${start}' ended without a disposition`);

  const result: ExplainTrace = {
    version: EXPLAIN_VERSION,
    list_id: mlist.list_id,
    message_id: msg.messageId ?? null,
    sender: msg.senders(services.senderHeaders)[0] ?? null,
    chain: start,
    links,
    disposition,
    stopped_in: trace?.disposition ?? null,
    reasons: strings(msgdata.moderation_reasons),
    rule_hits: ruleHits,
    rule_misses: ruleMisses,
    headers_added: headers,
    effects,
  };
  const pipelineName =
    opts.pipeline ??
    (disposition === 'accept' && !error
      ? opts.owner || msgdata.to_owner
        ? mlist.owner_pipeline
        : mlist.posting_pipeline
      : undefined);
  if (pipelineName !== undefined) result.pipeline = await explainPipeline(catalog, pipelineName, ctx);
  if (error) result.error = error;
  return result;
}

/** The link written at `at`, at the top level or inside a `for` loop or a block. */
function linkAt(links: readonly LinkIr[], at: string): LinkIr | undefined {
  for (const link of links) {
    if (link.at === at) return link;
    for (const run of nestedLinkRuns(link)) {
      const inner = linkAt(run, at);
      if (inner) return inner;
    }
  }
  return undefined;
}

function wouldRun(effect: string, registry: Registries): string {
  const description = registry.effects.get(effect)?.description;
  return `would run ${effect}${description ? `: ${description}` : ''}`;
}

async function explainPipeline(catalog: ExplainCatalog, name: string, ctx: MessageContext): Promise<ExplainPipeline> {
  const pipeline = catalog.pipeline(name);
  if (!pipeline) return { name, steps: [], error: `pipeline '${name}' does not exist or does not compile` };
  const steps: ExplainPipeline['steps'] = [];
  for (const [i, step] of pipeline.steps.entries()) {
    const when = pipeline.ir.steps[i].when;
    const runs = step.when ? await step.when(ctx) : true;
    steps.push({ at: step.at, handler: step.handler.name, ...(when ? { when: conditionText(when) } : {}), runs });
  }
  return { name, steps };
}
