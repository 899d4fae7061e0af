// Chains rebuilt from their IR against a registry whose rules report each call (name,
// arguments, hit, reasons) before answering, and whose conditional links log what they read.
// The catalog's own closures, which the runners share, are never touched.
import type { MessageContext } from '../registry.js';
import type { Args, Rule, RuleResult } from '../registry.js';
import {
  buildChain,
  conditionText,
  getter,
  valueText,
  type ActionIr,
  type ChainIr,
  type CondIr,
  type ExecAction,
  type ExecLink,
  type ExecutableChain,
  type LinkIr,
  type Registries,
  type ValueIr,
} from '../dsl/index.js';
import type { ChainSource } from '../moderation/chain-executor.js';
import { isPattern } from '../patterns/patterns.js';
import type { ExplainCatalog, ExplainRule, ExplainTest } from './trace.js';

// ---- making values JSON

export function plain(x: unknown): unknown {
  if (x === undefined) return null;
  if (x instanceof RegExp || isPattern(x)) return `/${x.source}/${x.flags}`;
  if (x instanceof Date) return x.toISOString();
  if (Buffer.isBuffer(x)) return x.toString('utf8');
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

export function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.map(String) : [];
}

// ---- tracing: chains rebuilt with rules that report their calls

export interface LinkLog {
  chain: string;
  at: string;
  rules: ExplainRule[];
  tests: ExplainTest[];
  recorded: { hits: string[]; misses: string[] };
  /** Operands `and`/`or` never evaluated, as written. */
  notEvaluated: string[];
}

export class TracingChains implements ChainSource {
  private readonly built = new Map<string, ExecutableChain>();
  /** One entry per conditional link evaluated, in order. */
  readonly logs: LinkLog[] = [];
  /** Side effects rules returned instead of performing (docs/language.md#recording-and-reasons). */
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
    const rebuilt = buildChain(original.ir, this.registry, (node, ctx, hit) => this.evaluated(node, ctx, hit));
    const chain: ExecutableChain = {
      ...rebuilt,
      links: this.observeAll(original.ir, rebuilt.links, original.ir.links),
    };
    this.built.set(name, chain);
    return chain;
  }

  /** Nodes of the condition being evaluated that were evaluated, for what `and`/`or` skipped. */
  private seen = new Set<CondIr>();

  /** A leaf of the current link's condition was evaluated: tests and role tests show what they read. */
  private evaluated(node: CondIr, ctx: MessageContext, hit: boolean): void {
    this.seen.add(node);
    const log = this.current;
    if (!log) return;
    switch (node.op) {
      case 'truthy':
        log.tests.push({ test: valueText(node.value), left: plain(getter(node.value)(ctx)), hit });
        break;
      case 'role':
        log.tests.push({ test: conditionText(node), left: plain(getter(node.left)(ctx)), hit });
        break;
      case 'test': {
        const entry: ExplainTest = { test: conditionText(node), left: plain(getter(node.left)(ctx)), hit };
        if (node.right && !isConstant(node.right)) entry.right = plain(getter(node.right)(ctx));
        log.tests.push(entry);
        break;
      }
    }
  }

  private traced(rule: Rule): Rule {
    const report = (args: Args, res: RuleResult): RuleResult => {
      const entry: ExplainRule = { name: rule.name, hit: res.hit === true };
      if (Object.keys(args).length) entry.args = plain(args) as Record<string, unknown>;
      if (res.hit && res.reasons?.length) entry.reasons = [...res.reasons];
      this.current?.rules.push(entry);
      const effects = (res as { effects?: unknown }).effects;
      if (res.hit && Array.isArray(effects))
        for (const e of effects) this.ruleEffects.push(`would ${describeEffect(e)} (rule ${rule.name})`);
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
      const inner = (a: ExecAction, aIr: ActionIr | undefined): ExecAction =>
        (a.kind === 'for' && aIr?.do === 'for') || (a.kind === 'block' && aIr?.do === 'block')
          ? { ...a, links: this.observeAll(ir, a.links, aIr.links) }
          : a;
      out = { ...out, action: inner(out.action, linkIr.action) };
      if (out.otherwise) out.otherwise = inner(out.otherwise, linkIr.else);
      return out;
    });
  }

  private observe(ir: ChainIr, linkIr: LinkIr, inner: (ctx: MessageContext) => boolean | Promise<boolean>) {
    return (ctx: MessageContext): boolean | Promise<boolean> => {
      const hits = strings(ctx.msgdata.rule_hits).length;
      const misses = strings(ctx.msgdata.rule_misses).length;
      const log: LinkLog = {
        chain: ir.name,
        at: linkIr.at,
        rules: [],
        tests: [],
        recorded: { hits: [], misses: [] },
        notEvaluated: [],
      };
      this.logs.push(log);
      this.current = log;
      this.seen = new Set();
      const finish = (hit: boolean): boolean => {
        log.recorded = {
          hits: strings(ctx.msgdata.rule_hits).slice(hits),
          misses: strings(ctx.msgdata.rule_misses).slice(misses),
        };
        if (linkIr.when) log.notEvaluated = skipped(linkIr.when, this.seen, ir.rules);
        return hit;
      };
      const r = inner(ctx);
      return typeof r === 'boolean' ? finish(r) : r.then(finish);
    };
  }
}

export function describeEffect(e: unknown): string {
  if (typeof e === 'string') return e.replace(/^would /, '');
  if (e && typeof e === 'object') {
    const o = e as { description?: unknown; name?: unknown };
    if (typeof o.description === 'string') return o.description;
    if (typeof o.name === 'string') return o.name;
  }
  return JSON.stringify(plain(e));
}

/**
 * The operands of a condition that were never evaluated because `and` or `or` had already
 * decided, as written; inside a file's own rule that was evaluated, its skipped operands too.
 */
function skipped(c: CondIr, seen: ReadonlySet<CondIr>, rules: ChainIr['rules']): string[] {
  const out: string[] = [];
  const opened = new Set<string>();
  const walk = (x: CondIr): void => {
    switch (x.op) {
      case 'and':
      case 'or':
        x.of.forEach(walk);
        return;
      case 'not':
        walk(x.of);
        return;
      case 'local-rule':
        if (!seen.has(x)) out.push(conditionText(x));
        else if (!opened.has(x.rule) && rules[x.rule]) {
          opened.add(x.rule);
          walk(rules[x.rule].when);
        }
        return;
      default:
        if (!seen.has(x)) out.push(conditionText(x));
    }
  };
  walk(c);
  return out;
}

function isConstant(v: ValueIr): boolean {
  return 'lit' in v || 'regex' in v || ('list' in v && v.list.every(isConstant));
}
