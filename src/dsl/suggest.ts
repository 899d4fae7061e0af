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

/**
 * What Sieve (RFC 5228 and its extensions) and Sympa scenario writers type out of habit, and
 * what this language says instead. Consulted before the edit distance: `anyof` is not a typo
 * of any rule, but its author knows exactly what they meant.
 */
export const HABITS: Readonly<Record<string, string>> = {
  // Sieve
  begins: "did you mean 'starts with'?",
  beginswith: "did you mean 'starts with'?",
  startswith: "did you mean 'starts with'?",
  endswith: "did you mean 'ends with'?",
  anyof: "write the tests joined by 'or': if A or B then …",
  allof: "write the tests joined by 'and': if A and B then …",
  elsif: "there is no 'elsif': write 'else if'",
  keep: "did you mean 'accept'?",
  fileinto: "a chain decides what happens to a post: accept, hold, reject, discard, or 'jump CHAIN'",
  redirect: "a chain decides what happens to a post: accept, hold, reject, discard, or 'jump CHAIN'",
  require: 'there is nothing to require: every rule, test and action is always available',
  address: 'write the path: sender, senders or recipients (sender.domain, sender.localpart)',
  envelope: 'write the path: sender, senders or recipients (sender.domain, sender.localpart)',
  exists: 'write header "NAME" exists',
  // Sympa scenarios
  is_subscriber: "write 'sender is a member'",
  is_owner: "write 'sender is an owner'",
  is_editor: "write 'sender is a moderator'",
  is_listmaster: "write 'sender is an owner'",
  equal: 'write A is B (text compares ignoring case)',
  match: 'write A matches /REGEX/',
  do_it: "did you mean 'accept'?",
  editorkey: "did you mean 'hold'?",
  editor: "did you mean 'hold'?",
  subscriber: "did you mean 'member'?",
  editors: "did you mean 'moderator'?",
};

/** What a Sieve or Sympa habit means here, if `written` is one. */
export function habit(written: string): string | undefined {
  return Object.hasOwn(HABITS, written.toLowerCase()) ? HABITS[written.toLowerCase()] : undefined;
}

/** How many valid choices a hint lists before it says how many more there are. */
export const MAX_LISTED_CHOICES = 12;

/**
 * The hint for an unknown name: a habit's translation, else the closest valid name, else the
 * valid choices (at most MAX_LISTED_CHOICES, then "… and N more, see `COMMAND`").
 */
export function suggest(
  written: string,
  candidates: Iterable<string>,
  what: string,
  command?: string,
): string | undefined {
  const all = [...new Set(candidates)];
  const hint = habit(written) ?? didYouMean(written, all);
  if (hint !== undefined || all.length === 0) return hint;
  const sorted = all.sort();
  const shown = sorted.slice(0, MAX_LISTED_CHOICES).join(', ');
  const more = sorted.length - MAX_LISTED_CHOICES;
  if (more <= 0) return `the ${what} are ${shown}`;
  return `the ${what} are ${shown} … and ${more} more${command ? `, see \`${command}\`` : ''}`;
}
