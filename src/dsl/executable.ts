// Stage 5: IR -> closures. Everything that can be decided once is decided here: registry
// lookups are bound, regexes compiled, constant arguments frozen into one object, string
// comparisons pre-lowercased. At message time a condition is one call down a small tree of
// closures; nothing walks the AST or the IR.
//
// Conditions return `boolean` when every rule they call answered synchronously and a
// promise otherwise, so a chain of synchronous rules never waits on the microtask queue.
import type { Args, Effect, Handler, LinkSource, MessageContext, Rule, RuleResult } from '../registry.js';
import type { ActionIr, ArgsIr, ChainIr, CondIr, DslIr, PipelineIr, ValueIr } from './ir.js';
import type { Registries } from './resolve.js';
import type { MemberRole } from '../model/entities.js';
import { membership } from './lookups.js';
import { describe, getter, template, test, truthy, usesCaptures, type Cond, type Getter } from './values.js';
import { clearCaptures } from './reasons.js';

export type { Cond, Getter } from './values.js';
export type ArgsFn = (ctx: MessageContext) => Args;

/** What a link does when its condition holds; `label` is how traces show it. */
export type ExecAction =
  | { kind: 'defer' | 'stop'; label: string }
  /** accept/hold/reject/discard: append the reason, then jump to `chain`. */
  | { kind: 'dispose'; label: string; chain: string; reason?: (ctx: MessageContext) => string }
  | { kind: 'jump' | 'detour'; label: string; chain: string }
  | { kind: 'jump-to' | 'detour-to'; label: string; to: Getter; otherwise?: Getter }
  | { kind: 'run'; label: string; effect: Effect; args: ArgsFn }
  /** `for AS in SOURCE { links }`: the executor runs `links` once per row, with the row as `as`. */
  | { kind: 'for'; label: string; source: LinkSource; as: string; links: readonly ExecLink[] }
  /** `{ links }` after `then` or `else`: the executor runs `links`, then the link after this one. */
  | { kind: 'block'; label: string; links: readonly ExecLink[] };

export interface ExecLink {
  at: string;
  /** Undefined: unconditional. */
  test?: Cond;
  action: ExecAction;
  /** `else`: what runs when `test` does not hold. */
  otherwise?: ExecAction;
}

export interface ExecutableChain {
  kind: 'chain';
  name: string;
  description?: string;
  file: string;
  links: readonly ExecLink[];
  ir: ChainIr;
}

export interface ExecStep {
  at: string;
  handler: Handler;
  args: ArgsFn;
  when?: Cond;
}

export interface ExecutablePipeline {
  kind: 'pipeline';
  name: string;
  description?: string;
  file: string;
  steps: readonly ExecStep[];
  ir: PipelineIr;
}

export type Executable = ExecutableChain | ExecutablePipeline;

/**
 * Told of each leaf of a condition (a rule, a file's rule, a test, a role test, a value or a
 * constant) right after it was evaluated, with its outcome: `explain` learns this way what
 * `and`/`or` actually evaluated, and what they skipped. The runners build without one.
 */
export type CondObserver = (node: CondIr, ctx: MessageContext, hit: boolean) => void;

export function buildExecutable(ir: DslIr, registry: Registries): Executable {
  return ir.kind === 'chain' ? buildChain(ir, registry) : buildPipeline(ir, registry);
}

export function buildChain(ir: ChainIr, registry: Registries, observe?: CondObserver): ExecutableChain {
  const b = new Builder(registry, ir, observe);
  const links = b.links(ir.links);
  return { kind: 'chain', name: ir.name, description: ir.description, file: ir.file, links, ir };
}

export function buildPipeline(ir: PipelineIr, registry: Registries): ExecutablePipeline {
  const b = new Builder(registry);
  const steps = ir.steps.map((s): ExecStep => {
    const handler = registry.handlers.get(s.handler);
    if (!handler) throw new Error(`${ir.file}:${s.at}: handler '${s.handler}' is not registered`);
    return { at: s.at, handler, args: b.args(s.args), when: s.when && b.cond(s.when) };
  });
  return { kind: 'pipeline', name: ir.name, description: ir.description, file: ir.file, steps, ir };
}

class Builder {
  /** Local rules, built once and shared by every link that names them. */
  private readonly localRules = new Map<string, Cond>();

  constructor(
    private readonly registry: Registries,
    private readonly chain?: ChainIr,
    private readonly observe?: CondObserver,
  ) {}

  links(links: ChainIr['links']): ExecLink[] {
    return links.map((l): ExecLink => {
      let test = l.when && this.cond(l.when);
      const a = l.action;
      if (test && 'reason' in a && a.reason && usesCaptures(a.reason)) {
        // `{match.N}` shows what this link's condition matched, never an earlier link's.
        const inner = test;
        test = (ctx) => {
          clearCaptures(ctx);
          return inner(ctx);
        };
      }
      const link: ExecLink = { at: l.at, test, action: this.action(a) };
      if (l.else) link.otherwise = this.action(l.else);
      return link;
    });
  }

  action(a: ActionIr): ExecAction {
    switch (a.do) {
      case 'for': {
        const source = this.registry.linkSources.get(a.source);
        if (!source) throw new Error(`link source '${a.source}' is not registered`);
        return { kind: 'for', label: `for ${a.as} in ${a.source}`, source, as: a.as, links: this.links(a.links) };
      }
      case 'block':
        return { kind: 'block', label: blockLabel(a.links.length), links: this.links(a.links) };
      case 'accept':
      case 'hold':
      case 'reject':
      case 'discard':
        const reason = 'reason' in a && a.reason ? template(a.reason) : undefined;
        return { kind: 'dispose', label: a.do, chain: a.do, reason };
      case 'defer':
      case 'stop':
        return { kind: a.do, label: a.do };
      case 'jump':
      case 'detour':
        if ('chain' in a) return { kind: a.do, label: `${a.do} ${a.chain}`, chain: a.chain };
        return {
          kind: a.do === 'jump' ? 'jump-to' : 'detour-to',
          label: `${a.do} to ${describe(a.to)}${a.otherwise ? ` otherwise ${describe(a.otherwise)}` : ''}`,
          to: getter(a.to),
          otherwise: a.otherwise && getter(a.otherwise),
        };
      case 'run': {
        const effect = this.registry.effects.get(a.effect);
        if (!effect) throw new Error(`effect '${a.effect}' is not registered`);
        return { kind: 'run', label: `run ${a.effect}`, effect, args: this.args(a.args) };
      }
    }
  }

  cond(c: CondIr): Cond {
    const built = this.leafOrCombination(c);
    const observe = this.observe;
    if (!observe || c.op === 'and' || c.op === 'or' || c.op === 'not') return built;
    return (ctx) => {
      const r = built(ctx);
      if (typeof r === 'boolean') {
        observe(c, ctx, r);
        return r;
      }
      return r.then((v) => {
        observe(c, ctx, v);
        return v;
      });
    };
  }

  private leafOrCombination(c: CondIr): Cond {
    switch (c.op) {
      case 'const': {
        const v = c.value;
        return () => v;
      }
      case 'rule': {
        const rule = this.registry.rules.get(c.rule);
        if (!rule) throw new Error(`${c.at}: rule '${c.rule}' is not registered`);
        return ruleCond(rule, this.args(c.args));
      }
      case 'local-rule':
        return this.localRule(c.rule);
      case 'and':
        return all(
          c.of.map((x) => this.cond(x)),
          false,
        );
      case 'or':
        return all(
          c.of.map((x) => this.cond(x)),
          true,
        );
      case 'not':
        return not(this.cond(c.of));
      case 'truthy': {
        const g = getter(c.value);
        return (ctx) => truthy(g(ctx));
      }
      case 'test':
        return test(c.pred, c.left, c.right);
      case 'role':
        return roleCond(c.left, c.role as MemberRole, c.negate);
    }
  }

  private localRule(name: string): Cond {
    let cond = this.localRules.get(name);
    if (cond) return cond;
    const def = this.chain?.rules[name];
    if (!def) throw new Error(`rule '${name}' is not defined in ${this.chain?.file ?? 'this file'}`);
    const inner = this.cond(def.when);
    // A file's own rule records under its own name, hit or miss.
    cond = (ctx) => {
      const r = inner(ctx);
      return typeof r === 'boolean' ? record(ctx, name, r) : r.then((v) => record(ctx, name, v));
    };
    this.localRules.set(name, cond);
    return cond;
  }

  /** Constant arguments become one frozen object, passed to every call. */
  args(ir: ArgsIr): ArgsFn {
    const entries = Object.entries(ir).map(([k, v]) => [k, v, getter(v)] as const);
    if (entries.every(([, v]) => 'lit' in v || 'regex' in v)) {
      // Literals and regexes read nothing of the message: evaluated once, with no context.
      const none = undefined as unknown as MessageContext;
      const fixed = Object.freeze(Object.fromEntries(entries.map(([k, , g]) => [k, g(none)])));
      return () => fixed;
    }
    return (ctx) => {
      const out: Args = {};
      for (const [k, , g] of entries) out[k] = g(ctx);
      return out;
    };
  }
}

/** How a block reads in a trace: `{ 3 links }`. */
function blockLabel(links: number): string {
  return `{ ${links} link${links === 1 ? '' : 's'} }`;
}

// ---- rules and recording

function isThenable<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown })?.then === 'function';
}

function ruleCond(rule: Rule, args: ArgsFn): Cond {
  const recordAs = rule.record ? rule.name : undefined;
  return (ctx) => {
    const r = rule.check(ctx, args(ctx));
    return isThenable(r) ? r.then((res) => settle(ctx, res, recordAs)) : settle(ctx, r, recordAs);
  };
}

/** `is a ROLE`: any of the addresses holds the role on the list (through any address of its user). */
function roleCond(left: ValueIr, role: MemberRole, negate: boolean): Cond {
  const g = getter(left);
  return async (ctx) => {
    const v = g(ctx);
    const emails = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
    let found = false;
    for (const email of emails) {
      if (await membership(ctx, email, role)) {
        found = true;
        break;
      }
    }
    return found !== negate;
  };
}

/** Records the outcome (under the name the rule asks for, if any), and on a hit applies what the rule returned. */
function settle(ctx: MessageContext, res: RuleResult, recordAs: string | undefined): boolean {
  const hit = res.hit === true;
  if (recordAs !== undefined) record(ctx, res.recordAs ?? recordAs, hit);
  if (hit) {
    if (res.reasons && res.reasons.length > 0) appendReasons(ctx, res.reasons);
    if (res.msgdata) Object.assign(ctx.msgdata, res.msgdata);
  }
  return hit;
}

function record(ctx: MessageContext, name: string, hit: boolean): boolean {
  const key = hit ? 'rule_hits' : 'rule_misses';
  const list = ctx.msgdata[key];
  if (Array.isArray(list)) list.push(name);
  else ctx.msgdata[key] = [name];
  return hit;
}

export function appendReasons(ctx: MessageContext, reasons: readonly string[]): void {
  const list = ctx.msgdata.moderation_reasons;
  if (Array.isArray(list)) list.push(...reasons);
  else ctx.msgdata.moderation_reasons = [...reasons];
}

// ---- combinators (synchronous unless an operand is not)

/**
 * `and` (stop on the first false) and `or` (stop on the first true) over any number of
 * operands, in a loop: a chain of two-operand closures would be one stack frame per operand,
 * and a long `a or b or c …` would overflow the stack at message time.
 */
function all(operands: readonly Cond[], stopOn: boolean): Cond {
  if (operands.length === 1) return operands[0];
  const from = (ctx: MessageContext, start: number): boolean | Promise<boolean> => {
    for (let i = start; i < operands.length; i++) {
      const r = operands[i](ctx);
      if (typeof r !== 'boolean') return r.then((v) => (v === stopOn ? stopOn : from(ctx, i + 1)));
      if (r === stopOn) return stopOn;
    }
    return !stopOn;
  };
  return (ctx) => from(ctx, 0);
}

function not(a: Cond): Cond {
  return (ctx) => {
    const r = a(ctx);
    return typeof r === 'boolean' ? !r : r.then((v) => !v);
  };
}
