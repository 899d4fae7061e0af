// What a bounce says: which addresses failed for good and which only for now. Every detector
// answers with this shape, so the bounce runner scores members the same way whatever MTA wrote it.

export interface BounceFailures {
  /** Addresses whose delivery failed for good (5.x.x, "failed", "permanent error"). */
  permanent: string[];
  /** Addresses whose delivery is delayed or failed for now (4.x.x, "delayed"). */
  temporary: string[];
}

export interface BounceReport extends BounceFailures {
  /** The detector that recognised the message: 'dsn' or a format's name ('qmail', 'exim', ...). */
  detector: string;
}

/** A bounce names at most this many addresses: a hostile report cannot make the runner score thousands. */
export const MAX_BOUNCED_ADDRESSES = 100;

/** Lower-cased, de-duplicated, bounded, and an address that failed for good is not also listed as delayed. */
export function normalizeFailures(f: BounceFailures): BounceFailures {
  const permanent = [...new Set(f.permanent.map((a) => a.toLowerCase()))].slice(0, MAX_BOUNCED_ADDRESSES);
  const lost = new Set(permanent);
  const temporary = [...new Set(f.temporary.map((a) => a.toLowerCase()))]
    .filter((a) => !lost.has(a))
    .slice(0, MAX_BOUNCED_ADDRESSES - permanent.length);
  return { permanent, temporary };
}
