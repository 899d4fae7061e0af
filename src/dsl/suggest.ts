// "did you mean …?": the closest valid name, if it is close enough to be a typo (edit
// distance at most 0.4 × the length of what was written, docs/language.md#diagnostics).

/** Levenshtein distance, with one row of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The candidate closest to `written`, or undefined when none is close enough. Ties: alphabetical. */
export function closest(written: string, candidates: Iterable<string>): string | undefined {
  const limit = 0.4 * written.length;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === written) continue;
    const d = editDistance(written, c);
    if (d > limit) continue;
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** The hint text for a suggestion, or undefined. */
export function didYouMean(written: string, candidates: Iterable<string>): string | undefined {
  const best = closest(written, candidates);
  return best === undefined ? undefined : `did you mean '${best}'?`;
}
