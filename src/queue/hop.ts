// One hop of a message from the queue file a runner handles to the files it writes for the
// next queues, made atomic as seen from outside. Inside a hop, writes get names derived from
// the file in hand and land as `.pend` (durable, but no runner takes them); the runner drops
// its claim, then renames them to `.qmsg`. So a kill at any instant leaves either the claim
// (the hop is done again; the second pass finds its `.pend` files and writes nothing twice)
// or the files for the next queue, never both: a post is not sent to the list twice because
// its runner was killed between writing the next file and dropping its claim.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';

export interface Hop {
  queue: string;
  base: string;
  /**
   * Files written so far in this pass, per target queue: the n-th write to a queue in a re-run
   * gets the n-th name again. Counted per queue, so a write to one queue that a re-run does not
   * make (a digest sent by the first pass only) does not shift the names of the writes to
   * another (the post to `out` would otherwise get a new name, and go out twice).
   */
  writes: Map<string, number>;
  /** `.pend` files written in this hop, to be renamed `.qmsg` once the claim is dropped. */
  pending: string[];
}

const current = new AsyncLocalStorage<Hop>();

/** Runs a runner's handling of one queue file with its writes named after it. */
export function withinHop<T>(hop: Hop, fn: () => Promise<T>): Promise<T> {
  return current.run(hop, fn);
}

export const newHop = (queue: string, base: string): Hop => ({ queue, base, writes: new Map(), pending: [] });

/** Keeps a write's place without making it: the next write to `toQueue` is named as if it had been. */
export function skipWrite(hop: Hop, toQueue: string): void {
  hop.writes.set(toQueue, (hop.writes.get(toQueue) ?? 0) + 1);
}

/** The hop in progress, if any (LMTP, the CLI and REST write outside any). */
export function currentHop(): Hop | undefined {
  return current.getStore();
}

/**
 * The name of the hop's next write to `toQueue`; keeps the upstream file's time and sequence, so
 * arrival order is kept.
 */
export function derivedBase(hop: Hop, toQueue: string): string {
  const n = hop.writes.get(toQueue) ?? 0;
  hop.writes.set(toQueue, n + 1);
  const hash = createHash('sha1').update(`${hop.queue}/${hop.base}/${toQueue}/${n}`).digest('hex');
  return `${hop.base.slice(0, hop.base.indexOf('+'))}+${hash}`;
}
