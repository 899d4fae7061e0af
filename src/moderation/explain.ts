// `mailman explain` and POST /3.1/lists/{list}/explain: what the list's moderation would do
// with a message, and why, without doing any of it. The message is prepared as the LMTP
// server and the `in` runner prepare it, then its start chain runs with `dryRun: true`:
// rules read the database but write nothing (nonmember-moderation does not register the
// sender), effects (`run hold-message` ...) are reported as "would ...", never run. Nothing
// is queued, stored, held or sent.
//
// To see inside each condition, the chains run here are rebuilt from their IR against a
// registry whose rules report each call (name, arguments, hit, reasons) before answering;
// the catalog's own closures, which the runners share, are not touched.
//
// The trace is plain JSON, and its shape is stable (version 1):
//
//   {
//     version: 1,
//     list_id, message_id, sender,           the first sender, as the rules see it
//     chain,                                 the start chain
//     links: [{                              every link visited, in order
//       chain, at: "LINE:COL", row?, file, source_text,   row: inside a `for` loop
//       condition,                           the condition as text ("always": unconditional)
//       rules: [{name, hit, args?, reasons?}],   registered rules called, in call order
//       tests: [{test, left, right?, hit}],  inline tests and boolean values with the values
//                                            read (after the condition was evaluated)
//       recorded: {hits, misses},            what this link added to rule_hits/rule_misses
//       taken,                               whether the action ran (the condition held)
//       action,                              as written: "jump moderation", "hold"
//       target?,                             a computed jump's chain ("defer": went on)
//       effect?                              "would run hold-message: ..." for `run`
//     }],
//     disposition: accept|hold|reject|discard|none,
//     stopped_in,                            the chain whose `stop` ended processing, or null
//     reasons, rule_hits, rule_misses,       msgdata as the chain left it
//     headers_added: {X-Mailman-Rule-Hits?, X-Mailman-Rule-Misses?},
//     effects: ["would ..."],                effects and rule side effects, in order
//     pipeline?: {name, steps: [{at, handler, when?, runs}], error?},
//     error?                                 why the chain failed (the runner would shunt)
//   }
//
// `pipeline` is present when the message would be accepted (or a pipeline was asked for):
// each step's `when` is evaluated on the message as the chain left it; handlers are not run,
// so a `when` that depends on an earlier handler's work may read differently in the runner.
import { readFileSync } from 'node:fs';
import type { MessageContext } from '../registry.js';
import type { Args, Rule, RuleResult } from '../registry.js';
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import { Message, MalformedMessageError } from '../email/message.js';
import { arrivalMsgdata, stampArrival } from '../mta/arrival.js';
import {
  buildChain,
  type ChainIr,
  type CondIr,
  conditionText,
  type ExecLink,
  type ExecutableChain,
  type ExecutablePipeline,
  getter,
  type LinkIr,
  makeTest,
  type Registries,
  truthy,
  type ValueIr,
  valueText,
} from '../dsl/index.js';
import { runChain, type ChainSource, type ChainTrace } from './chain-executor.js';
import { isPattern } from './patterns.js';

export const EXPLAIN_VERSION = 1;

export type Disposition = 'accept' | 'hold' | 'reject' | 'discard' | 'none';

export interface ExplainRule {
  name: string;
  hit: boolean;
  args?: Record<string, unknown>;
  reasons?: string[];
}

export interface ExplainTest {
  test: string;
  left: unknown;
  right?: unknown;
  hit: boolean;
}

export interface ExplainLink {
  chain: string;
  at: string;
  file: string;
  source_text: string;
  condition: string;
  rules: ExplainRule[];
  tests: ExplainTest[];
  recorded: { hits: string[]; misses: string[] };
  taken: boolean;
  action: string;
  /** Inside a `for` loop: the row (0-based) the link was evaluated for. */
  row?: number;
  target?: string;
  effect?: string;
}

export interface ExplainPipeline {
  name: string;
  steps: { at: string; handler: string; when?: string; runs: boolean }[];
  error?: string;
}

export interface ExplainTrace {
  version: typeof EXPLAIN_VERSION;
  list_id: string;
  message_id: string | null;
  sender: string | null;
  chain: string;
  links: ExplainLink[];
  disposition: Disposition;
  stopped_in: string | null;
  reasons: string[];
  rule_hits: string[];
  rule_misses: string[];
  headers_added: Record<string, string>;
  effects: string[];
  pipeline?: ExplainPipeline;
  error?: string;
}

/** Where explain finds chains and pipelines (a DslCatalog). */
export interface ExplainCatalog {
  chain(name: string): ExecutableChain | undefined;
  pipeline(name: string): ExecutablePipeline | undefined;
  /** What its chains were built against. */
  readonly registry: Registries;
}

export interface ExplainOptions {
  services: Services;
  catalog: ExplainCatalog;
  mlist: MailingList;
  raw: Buffer;
  /** The start chain; default: the list's posting_chain (owner_chain with `owner`). */
  chain?: string;
  /** The pipeline to show; default: the list's, and only if the message would be accepted. */
  pipeline?: string;
  /** The envelope sender (MAIL FROM); default: the message's X-MailFrom, else Return-Path. */
  sender?: string;
  /** As mail to the list's -owner address. */
  owner?: boolean;
  /** The registry the chains are rebuilt against; default: the catalog's. */
  registry?: Registries;
}

/** The message or the request cannot be explained (malformed message, unknown chain). */
export class ExplainError extends Error {}

/** Terminal effects and the disposition each stands for. */
const EFFECT_DISPOSITION: Record<string, Disposition> = {
  'accept-message': 'accept',
  'accept-owner': 'accept',
  'hold-message': 'hold',
  'reject-message': 'reject',
  'discard-message': 'discard',
};
/** The effects that write X-Mailman-Rule-Hits/-Misses (dsl.md §5.1). */
const RULE_HEADER_EFFECTS = new Set(['accept-message', 'hold-message', 'reject-message']);
const DISPOSITIONS = new Set<string>(['accept', 'hold', 'reject', 'discard']);

// ---- preparing the message as LMTP and the in runner do

function prepare(opts: ExplainOptions): { msg: Message; msgdata: MsgData } {
  let msg: Message;
  try {
    msg = Message.parseStrict(opts.raw);
  } catch (err) {
    if (err instanceof MalformedMessageError) throw new ExplainError(`the message is malformed (the LMTP server would shunt it): ${err.message}`);
    throw err;
  }
  const { mlist, services } = opts;
  const envelope = opts.sender ?? msg.get('x-mailfrom') ?? /<([^>]*)>/.exec(msg.get('return-path') ?? '')?.[1] ?? msg.get('return-path')?.trim() ?? '';
  stampArrival(msg, envelope, mlist.mail_host);
  const msgdata = arrivalMsgdata(mlist.list_id, opts.owner ? 'owner' : undefined, services, Date.now(), opts.raw.length);
  msgdata.envsender ??= `${services.config.get('mailman', 'noreply_address')}@${mlist.mail_host}`;
  return { msg, msgdata };
}

// ---- making values JSON

function plain(x: unknown): unknown {
  if (x === undefined) return null;
  if (x instanceof RegExp || isPattern(x)) return `/${x.source}/${x.flags}`;
  if (x instanceof Date) return x.toISOString();
  if (Buffer.isBuffer(x)) return x.toString('utf8');
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.map(String) : [];
}

// ---- tracing: chains rebuilt with rules that report their calls

interface LinkLog {
  chain: string;
  at: string;
  rules: ExplainRule[];
  tests: ExplainTest[];
  recorded: { hits: string[]; misses: string[] };
}

class TracingChains implements ChainSource {
  private readonly built = new Map<string, ExecutableChain>();
  /** One entry per conditional link evaluated, in order. */
  readonly logs: LinkLog[] = [];
  /** Side effects rules returned instead of performing (dsl.md §5.3). */
  readonly ruleEffects: string[] = [];
  private current: LinkLog | undefined;
  private readonly registry: Registries;

  constructor(
    private readonly catalog: ExplainCatalog,
    base: Registries,
  ) {
    const rules = new Map<string, Rule>();
    this.registry = {
      rules: {
        get: (name) => {
          let r = rules.get(name);
          const original = base.rules.get(name);
          if (!r && original) rules.set(name, (r = this.traced(original)));
          return r;
        },
        has: (name) => base.rules.has(name),
        names: () => base.rules.names(),
      },
      effects: base.effects,
      handlers: base.handlers,
      linkSources: base.linkSources,
    };
  }

  chain(name: string): ExecutableChain | undefined {
    const cached = this.built.get(name);
    if (cached) return cached;
    const original = this.catalog.chain(name);
    if (!original) return undefined;
    const rebuilt = buildChain(original.ir, this.registry);
    const chain: ExecutableChain = { ...rebuilt, links: this.observeAll(original.ir, rebuilt.links, original.ir.links) };
    this.built.set(name, chain);
    return chain;
  }

  private traced(rule: Rule): Rule {
    const report = (args: Args, res: RuleResult): RuleResult => {
      const entry: ExplainRule = { name: rule.name, hit: res.hit === true };
      if (Object.keys(args).length) entry.args = plain(args) as Record<string, unknown>;
      if (res.hit && res.reasons?.length) entry.reasons = [...res.reasons];
      this.current?.rules.push(entry);
      const effects = (res as { effects?: unknown }).effects;
      if (res.hit && Array.isArray(effects)) for (const e of effects) this.ruleEffects.push(`would ${describeEffect(e)} (rule ${rule.name})`);
      return res;
    };
    const traced = Object.create(rule) as Rule;
    traced.check = (ctx: MessageContext, args: Args) => {
      const r = rule.check(ctx, args);
      return r instanceof Promise ? r.then((res) => report(args, res)) : report(args, r);
    };
    return traced;
  }

  /**
   * Every conditional link observed, those inside `for` loops too: the loops' links are
   * where a list's header filters run, and each of their evaluations is a step of the trace.
   */
  private observeAll(ir: ChainIr, links: readonly ExecLink[], irs: readonly LinkIr[]): ExecLink[] {
    return links.map((link, i) => {
      const linkIr = irs[i];
      let out: ExecLink = link.test ? { ...link, test: this.observe(ir, linkIr, link.test) } : link;
      if (out.action.kind === 'for' && linkIr.action.do === 'for') out = { ...out, action: { ...out.action, links: this.observeAll(ir, out.action.links, linkIr.action.links) } };
      return out;
    });
  }

  private observe(ir: ChainIr, linkIr: LinkIr, inner: (ctx: MessageContext) => boolean | Promise<boolean>) {
    return (ctx: MessageContext): boolean | Promise<boolean> => {
      const hits = strings(ctx.msgdata.rule_hits).length;
      const misses = strings(ctx.msgdata.rule_misses).length;
      const log: LinkLog = { chain: ir.name, at: linkIr.at, rules: [], tests: [], recorded: { hits: [], misses: [] } };
      this.logs.push(log);
      this.current = log;
      const finish = (hit: boolean): boolean => {
        log.recorded = { hits: strings(ctx.msgdata.rule_hits).slice(hits), misses: strings(ctx.msgdata.rule_misses).slice(misses) };
        log.tests = linkIr.when ? readTests(linkIr.when, ctx, ir.rules) : [];
        return hit;
      };
      const r = inner(ctx);
      return typeof r === 'boolean' ? finish(r) : r.then(finish);
    };
  }
}

function describeEffect(e: unknown): string {
  if (typeof e === 'string') return e.replace(/^would /, '');
  if (e && typeof e === 'object') {
    const o = e as { description?: unknown; name?: unknown };
    if (typeof o.description === 'string') return o.description;
    if (typeof o.name === 'string') return o.name;
  }
  return JSON.stringify(plain(e));
}

/** The inline tests and boolean values of a condition (and of the file's own rules it names), with the values they read. */
function readTests(c: CondIr, ctx: MessageContext, rules: ChainIr['rules']): ExplainTest[] {
  const out: ExplainTest[] = [];
  const seen = new Set<string>();
  const walk = (x: CondIr): void => {
    switch (x.op) {
      case 'local-rule':
        if (!seen.has(x.rule) && rules[x.rule]) {
          seen.add(x.rule);
          walk(rules[x.rule].when);
        }
        break;
      case 'and':
      case 'or':
        x.of.forEach(walk);
        break;
      case 'not':
        walk(x.of);
        break;
      case 'truthy': {
        const v = getter(x.value)(ctx);
        out.push({ test: valueText(x.value), left: plain(v), hit: truthy(v) });
        break;
      }
      case 'test': {
        const entry: ExplainTest = { test: conditionText(x), left: plain(getter(x.left)(ctx)), hit: false };
        if (x.right && !isConstant(x.right)) entry.right = plain(getter(x.right)(ctx));
        const r = makeTest(x.pred, x.left, x.right)(ctx);
        entry.hit = r === true;
        out.push(entry);
        break;
      }
    }
  };
  walk(c);
  return out;
}

function isConstant(v: ValueIr): boolean {
  return 'lit' in v || 'regex' in v || ('list' in v && v.list.every(isConstant));
}

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
  if (opts.pipeline !== undefined && !catalog.pipeline(opts.pipeline)) throw new ExplainError(`pipeline '${opts.pipeline}' does not exist or does not compile`);
  const { msg, msgdata } = prepare(opts);
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
    // A step may be a link inside a `for` loop, so the chain's links are searched at every depth.
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
    if (step.row !== undefined) link.row = step.row;
    if (step.target !== undefined) link.target = step.target;
    if (linkIr.action.do === 'run' && step.hit) link.effect = wouldRun(linkIr.action.effect, registry);
    links.push(link);
  }

  const effectNames = trace?.effects ?? [];
  let disposition: Disposition = 'none';
  for (const name of effectNames) disposition = EFFECT_DISPOSITION[name] ?? disposition;
  if (disposition === 'none' && trace?.disposition && DISPOSITIONS.has(trace.disposition)) disposition = trace.disposition as Disposition;

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
  const pipelineName = opts.pipeline ?? (disposition === 'accept' && !error ? (opts.owner || msgdata.to_owner ? mlist.owner_pipeline : mlist.posting_pipeline) : undefined);
  if (pipelineName !== undefined) result.pipeline = await explainPipeline(catalog, pipelineName, ctx);
  if (error) result.error = error;
  return result;
}

/** The link written at `at`, at the top level or inside a `for` loop. */
function linkAt(links: readonly LinkIr[], at: string): LinkIr | undefined {
  for (const link of links) {
    if (link.at === at) return link;
    if (link.action.do === 'for') {
      const inner = linkAt(link.action.links, at);
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

// ---- the text form

/** Runs of blanks made one, outside string literals: the file's alignment, not its meaning. */
function squeeze(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|\s{2,}/g, (m, str: string | undefined) => str ?? ' ');
}

function valueJson(x: unknown): string {
  return JSON.stringify(x);
}

/** The trace as `mailman explain` prints it: one line per link, then the decision. */
export function formatExplain(t: ExplainTrace): string {
  const out: string[] = [];
  out.push(`list: ${t.list_id}  message: ${t.message_id ?? '(none)'}  sender: ${t.sender ?? '(none)'}`);
  out.push(`chain: ${t.chain}`);
  const where = t.links.map((l) => `${l.chain}:${l.at}`);
  const text = t.links.map((l) => (l.source_text ? squeeze(l.source_text) : l.condition === 'always' ? l.action : `if ${l.condition} then ${l.action}`));
  const w1 = Math.max(0, ...where.map((s) => s.length));
  const w2 = Math.max(0, ...text.map((s) => s.length));
  t.links.forEach((l, i) => {
    let outcome = l.condition === 'always' ? 'taken' : l.taken ? 'hit' : 'miss';
    if (l.target !== undefined) outcome += `, to ${l.target}`;
    if (l.effect) outcome += ' (effect not run)';
    out.push(`${where[i].padEnd(w1)}  ${text[i].padEnd(w2)}  -> ${outcome}`);
    const detail = l.rules.length > 1 || l.tests.length > 0 || l.rules.some((r) => r.reasons || r.args);
    if (detail) {
      for (const r of l.rules) {
        out.push(`    rule ${r.name}${r.args ? `(${Object.entries(r.args).map(([k, v]) => `${k}: ${valueJson(v)}`).join(', ')})` : ''}: ${r.hit ? 'hit' : 'miss'}${r.reasons ? ` (${r.reasons.join('; ')})` : ''}`);
      }
      for (const x of l.tests) {
        out.push(`    ${x.test}: read ${valueJson(x.left)}${x.right !== undefined ? ` against ${valueJson(x.right)}` : ''} -> ${x.hit ? 'true' : 'false'}`);
      }
    }
  });
  if (t.error) out.push(`error: ${t.error}`);
  out.push(`decision: ${t.disposition}${t.stopped_in && t.stopped_in !== t.disposition ? ` (stopped in ${t.stopped_in})` : ''}`);
  out.push(`reasons: ${t.reasons.length ? t.reasons.join('; ') : '(none)'}`);
  out.push(`rule hits: ${t.rule_hits.length ? t.rule_hits.join('; ') : '(none)'}`);
  out.push(`rule misses: ${t.rule_misses.length ? t.rule_misses.join('; ') : '(none)'}`);
  for (const [k, v] of Object.entries(t.headers_added)) out.push(`header: ${k}: ${v}`);
  for (const e of t.effects) out.push(e);
  if (t.pipeline) {
    out.push(`pipeline: ${t.pipeline.name}${t.pipeline.error ? ` (${t.pipeline.error})` : ''}`);
    for (const s of t.pipeline.steps) out.push(`    ${s.at.padEnd(6)} ${s.handler}${s.when ? ` when ${s.when}` : ''}${s.runs ? '' : '  (skipped)'}`);
  }
  return out.join('\n') + '\n';
}
