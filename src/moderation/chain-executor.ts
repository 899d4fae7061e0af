// The moderation loop, as Mailman's core/chains.py with the semantics of docs/language.md#semantics-of-chains: links
// run in order; a true condition runs its action, a false one moves on. `jump` continues in
// another chain for good, `detour` comes back after the link when the other chain runs out,
// `stop` ends everything. Running off the end of a chain with no detour to return to ends
// with no disposition (the caller logs it; the message is dropped).
//
// Chains are looked up by name at each jump, in the catalog the caller passes.
import type { MessageContext } from '../registry.js';
import { appendReasons, type ExecLink, type ExecutableChain } from '../dsl/index.js';

/** More link evaluations than this is a loop; the runner shunts the message. */
export const MAX_LINK_EVALUATIONS = 10_000;

/** Where chains come from (a DslCatalog). */
export interface ChainSource {
  chain(name: string): ExecutableChain | undefined;
}

/** One link visited: where it is, whether its condition held, what it did. */
export interface TraceLink {
  chain: string;
  at: string;
  /** Whether the condition held (true for an unconditional link). */
  hit: boolean;
  /**
   * The action taken, as written: `hold`, `jump moderation`, `run accept-message`. When the
   * condition did not hold: the `else` action if there is one, else the action not taken.
   */
  action: string;
  /** The condition did not hold and the link's `else` ran (`action` is the `else`'s). */
  else?: true;
  /** For `jump to` and `detour to`: the chain the value named (`defer` when it said so). */
  target?: string;
  /** For `run` under dryRun: the effect was not run. */
  skipped?: true;
  /** Inside a `for`: the 0-based row of its link source. */
  row?: number;
  /** For a `for` link: how many rows its link source gave. */
  rows?: number;
}

export interface ChainTrace {
  start: string;
  links: TraceLink[];
  /** Effects run, in order (under dryRun: those that would have run). */
  effects: string[];
  /** The chain whose `stop` ended processing; undefined when it ran out of links. */
  disposition?: string;
  evaluations: number;
  dryRun: boolean;
}

export class ChainError extends Error {}

/**
 * Where the executor is in a chain: the chain's links, and one more level per `for` loop
 * entered, each at a row of its link source, and per `then { … }` or `else { … }` block.
 */
interface Level {
  links: readonly ExecLink[];
  index: number;
  loop?: { as: string; rows: Record<string, unknown>[]; row: number };
}

/** A pending detour: the chain and the position (levels) to resume after. */
interface Frame {
  chain: ExecutableChain;
  levels: Level[];
}

function lookup(source: ChainSource, name: string, from?: string): ExecutableChain {
  const chain = source.chain(name);
  if (!chain)
    throw new ChainError(
      from
        ? `chain '${from}' continues in chain '${name}', which does not exist or does not compile`
        : `chain '${name}' does not exist or does not compile`,
    );
  return chain;
}

/** The loop rows in force at a position, for loop-variable getters. */
function bindRows(ctx: MessageContext, levels: readonly Level[]): void {
  if (levels.length === 1) return;
  const rows: Record<string, Record<string, unknown>> = {};
  for (const l of levels) if (l.loop) rows[l.loop.as] = l.loop.rows[l.loop.row];
  (ctx.run ??= {}).loopRows = rows;
}

/**
 * Runs the chain `start` and those it jumps and detours to on one message. `onTrace` gets
 * the trace as it starts, so a caller (explain) still has the links visited if a chain
 * error is thrown.
 */
export async function runChain(
  catalog: ChainSource,
  start: string,
  ctx: MessageContext,
  onTrace?: (trace: ChainTrace) => void,
): Promise<ChainTrace> {
  const msgdata = ctx.msgdata;
  msgdata.rule_hits = [];
  msgdata.rule_misses = [];
  const dryRun = ctx.dryRun === true;
  const trace: ChainTrace = { start, links: [], effects: [], evaluations: 0, dryRun };
  onTrace?.(trace);
  const stack: Frame[] = [];
  let chain = lookup(catalog, start);
  let levels: Level[] = [{ links: chain.links, index: 0 }];
  const enter = (next: ExecutableChain) => {
    chain = next;
    levels = [{ links: next.links, index: 0 }];
  };

  try {
    for (;;) {
      const level = levels[levels.length - 1];
      if (level.index >= level.links.length) {
        if (level.loop && ++level.loop.row < level.loop.rows.length) {
          level.index = 0; // the loop's next row
          continue;
        }
        if (levels.length > 1) {
          levels.pop(); // out of the loop: the link after it
          continue;
        }
        const frame = stack.pop();
        if (!frame) return trace;
        chain = frame.chain;
        levels = frame.levels;
        continue;
      }
      if (++trace.evaluations > MAX_LINK_EVALUATIONS) {
        throw new ChainError(
          `more than ${MAX_LINK_EVALUATIONS} link evaluations from chain '${start}' (last in '${chain.name}' at ` +
            `${level.links[level.index].at}): a jump loop`,
        );
      }
      const link = level.links[level.index++];
      bindRows(ctx, levels);
      let hit = true;
      const ownReason = link.action.kind === 'dispose' && link.action.reason !== undefined;
      const reasonsBefore = ownReason ? reasonCount(ctx) : 0;
      if (link.test) {
        const r = link.test(ctx);
        hit = r === true || (r !== false && (await r));
      }
      // A condition that does not hold runs the link's `else`, if it has one.
      const taken = hit ? link.action : link.otherwise;
      const step: TraceLink = { chain: chain.name, at: link.at, hit, action: (taken ?? link.action).label };
      if (!hit && taken) step.else = true;
      const loop = level.loop;
      if (loop) step.row = loop.row;
      trace.links.push(step);
      if (!taken) continue;
      const action = taken;

      switch (action.kind) {
        case 'defer':
          break;
        case 'stop':
          trace.disposition = chain.name;
          return trace;
        case 'dispose':
          if (action.reason) {
            // The link's own words replace the generic reasons its rules just gave: the
            // sender reads "No spam here", not "Header ... matched" first.
            if (ownReason) dropReasonsAfter(ctx, reasonsBefore);
            appendReasons(ctx, [action.reason(ctx)]);
          }
          enter(lookup(catalog, action.chain, chain.name));
          break;
        case 'jump':
          enter(lookup(catalog, action.chain, chain.name));
          break;
        case 'detour':
          stack.push({ chain, levels: levels.map((l) => ({ ...l, loop: l.loop && { ...l.loop } })) });
          enter(lookup(catalog, action.chain, chain.name));
          break;
        case 'jump-to':
        case 'detour-to': {
          const value = action.to(ctx) ?? action.otherwise?.(ctx);
          if (value === undefined || value === null || value === '') {
            throw new ChainError(`${chain.name}:${link.at}: '${action.label}' found no value to name a chain`);
          }
          const name = String(value);
          step.target = name;
          if (name === 'defer') break; // the value says: no decision here, go on
          if (action.kind === 'detour-to')
            stack.push({ chain, levels: levels.map((l) => ({ ...l, loop: l.loop && { ...l.loop } })) });
          enter(lookup(catalog, name, chain.name));
          break;
        }
        case 'run':
          trace.effects.push(action.effect.name);
          if (dryRun) step.skipped = true;
          else await action.effect.run(ctx, action.args(ctx));
          break;
        case 'block':
          if (action.links.length > 0) levels.push({ links: action.links, index: 0 });
          break;
        case 'for': {
          const rows = await action.source.rows(ctx);
          step.rows = rows.length;
          if (rows.length > 0) levels.push({ links: action.links, index: 0, loop: { as: action.as, rows, row: 0 } });
          break;
        }
      }
    }
  } finally {
    if (ctx.run) ctx.run.loopRows = undefined;
  }
}

function reasonCount(ctx: MessageContext): number {
  const reasons = ctx.msgdata.moderation_reasons;
  return Array.isArray(reasons) ? reasons.length : 0;
}

function dropReasonsAfter(ctx: MessageContext, count: number): void {
  const reasons = ctx.msgdata.moderation_reasons;
  if (Array.isArray(reasons) && reasons.length > count) reasons.length = count;
}
