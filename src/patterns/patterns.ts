// Every regular expression an admin supplies (chain files, header filters, bans, the
// *_these_nonmembers lists, [antispam] header_checks, bounce_matching_headers, topics,
// acceptable_aliases) is compiled here and nowhere else. Patterns are matched against
// text a sender controls, so they run on RE2 (the re2js port: pure JavaScript, no native
// build), whose matching time is linear in the text whatever the pattern: JavaScript's
// backtracking engine takes seconds on `(a+)+$` and 30 characters. The price is that
// back-references and look-arounds, which need backtracking, are refused with a reason.
//
// Mailman's settings are Python regexes, the chain language's are JavaScript-style; the few
// spellings RE2 writes differently (\Z, \uXXXX, \u{X}) are translated, the rest of both
// dialects ((?i), (?P<name>...), (?<name>...), \A, non-greedy, classes, \p{L}) RE2 reads as is.
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

// Loaded on the first compile: most processes (out, retry, lmtp) never compile a pattern.
let engine: typeof RE2JS | undefined;
function re2js(): typeof RE2JS {
  return (engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS);
}

/** A compiled pattern. Only `test` and `groups` match: no other code should see the engine. */
export interface Pattern {
  readonly source: string;
  readonly flags: string;
  test(text: string): boolean;
  /** The whole match and each group (empty when a group took no part), or null for no match. */
  groups(text: string): string[] | null;
  /** The named groups (`(?P<name>…)`) of the first match, or undefined when none matches. */
  namedGroups(text: string): Record<string, string> | undefined;
  /** The names of the pattern's named groups. */
  readonly groupNames: readonly string[];
}

/** A pattern the engine refuses; `reason` says why, in words an admin can act on. */
export class PatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
    /** A construct that needs backtracking (back-references, look-arounds), not a typo. */
    readonly unsupported = false,
  ) {
    super(`invalid regex ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'PatternError';
  }
}

export interface PatternOptions {
  /**
   * The chain language's flags: i (ignore case), m (multi-line ^ $), s (. matches newline), u
   * (no-op: always Unicode).
   */
  flags?: string;
  /** Ignore case, as Mailman's re.IGNORECASE. */
  ignoreCase?: boolean;
  /** Match from the start of the text only, as Python's re.match (bans, *_these_nonmembers, aliases). */
  fromStart?: boolean;
}

/** Longer patterns are refused: their compiled program, and so the time per character, grows with them. */
export const MAX_PATTERN_LENGTH = 10_000;

class Re2Pattern implements Pattern {
  constructor(
    readonly source: string,
    readonly flags: string,
    private readonly re: RE2JS,
    private readonly fromStart: boolean,
  ) {}

  test(text: string): boolean {
    return this.fromStart ? this.re.matcher(text).lookingAt() : this.re.test(text);
  }

  get groupNames(): readonly string[] {
    return Object.keys(this.re.namedGroups());
  }

  groups(text: string): string[] | null {
    const m = this.re.matcher(text);
    if (!(this.fromStart ? m.lookingAt() : m.find())) return null;
    const out: string[] = [];
    for (let i = 0; i <= m.groupCount(); i++) out.push(m.group(i) ?? '');
    return out;
  }

  namedGroups(text: string): Record<string, string> | undefined {
    const m = this.re.matcher(text);
    if (!(this.fromStart ? m.lookingAt() : m.find())) return undefined;
    const out: Record<string, string> = {};
    for (const name of this.groupNames) out[name] = m.group(name) ?? '';
    return out;
  }

  toString(): string {
    return `/${this.source}/${this.flags}`;
  }
}

export function isPattern(x: unknown): x is Pattern {
  return x instanceof Re2Pattern;
}

// Patterns repeat (every post is checked against the same rows): keep the compiled ones.
const cache = new Map<string, Pattern | PatternError>();
const CACHE_SIZE = 2000;
const reported = new WeakSet<PatternError>();

/** The compiled pattern; throws PatternError when the engine refuses it. */
export function compilePattern(source: string, opts: PatternOptions = {}): Pattern {
  const flags = [...new Set((opts.flags ?? '') + (opts.ignoreCase ? 'i' : ''))].sort().join('');
  const key = `${flags}\u0000${opts.fromStart ? 1 : 0}\u0000${source}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    try {
      hit = new Re2Pattern(source, flags, compileRe2(source, flags), opts.fromStart === true);
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      hit = err;
    }
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(key, hit);
  }
  if (hit instanceof PatternError) throw hit;
  return hit;
}

/** Why the pattern is refused, or undefined when it compiles. */
export function patternProblem(source: string, opts: PatternOptions = {}): string | undefined {
  return patternRefusal(source, opts)?.reason;
}

/** The refusal, or undefined when the pattern compiles. */
export function patternRefusal(source: string, opts: PatternOptions = {}): PatternError | undefined {
  try {
    compilePattern(source, opts);
    return undefined;
  } catch (err) {
    if (err instanceof PatternError) return err;
    throw err;
  }
}

/** The compiled pattern, or undefined (after telling `onError`) when it is refused: a stored bad pattern misses. */
export function tryPattern(
  source: string,
  opts: PatternOptions = {},
  onError?: (reason: string) => void,
): Pattern | undefined {
  try {
    return compilePattern(source, opts);
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    // Once per refused pattern while it is cached, not once per message it is tried on.
    if (!reported.has(err)) onError?.(err.reason);
    reported.add(err);
    return undefined;
  }
}

function compileRe2(source: string, flags: string): RE2JS {
  if (source.length > MAX_PATTERN_LENGTH)
    throw new PatternError(source.slice(0, 40) + '…', `longer than ${MAX_PATTERN_LENGTH} characters`);
  const RE2 = re2js();
  let bits = 0;
  for (const f of flags) {
    if (f === 'i') bits |= RE2.CASE_INSENSITIVE;
    else if (f === 'm') bits |= RE2.MULTILINE;
    else if (f === 's') bits |= RE2.DOTALL;
    else if (f !== 'u') throw new PatternError(source, `unknown flag '${f}'`);
  }
  const translated = translate(source);
  try {
    return RE2.compile(translated, bits);
  } catch (err) {
    let why = String((err as Error).message ?? err).replace(/^error parsing regexp: /, '');
    // The engine spells the flags as a (?i) prefix; the admin did not write it.
    if (bits !== 0) why = why.replace(/`\(\?[ims]+\)/, '`');
    throw new PatternError(source, hintFor(why));
  }
}

/** RE2's own words, with the remedy where the construct exists in Python or JavaScript but not in RE2. */
function hintFor(why: string): string {
  if (/\(\?x|\(\?#/.test(why))
    return `${why} (verbose mode and (?#...) comments are not supported; write the pattern without them)`;
  if (/repeat count|repetition size/.test(why) && Math.max(...(why.match(/\d+/g) ?? ['0']).map(Number)) > 1000)
    return `${why} (a repetition count is at most 1000)`;
  return why;
}

const UNSUPPORTED: [RegExp, string][] = [
  [
    /^\(\?<?[=!]/,
    'look-ahead and look-behind ((?=...), (?!...), (?<=...), (?<!...)) need a backtracking engine; patterns here ' +
      'run in linear time and cannot use them',
  ],
  [
    /^\(\?P=/,
    'back-references ((?P=name)) need a backtracking engine; patterns here run in linear time and cannot use them',
  ],
];

/** Python's and JavaScript's spellings that RE2 writes differently; refuses what RE2 cannot run. */
function translate(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) throw new PatternError(source, 'trailing \\');
      if (n === 'Z' && !inClass) {
        out += '\\z'; // Python's end of text
        i++;
        continue;
      }
      if (n === 'u' || n === 'U') {
        const m =
          n === 'U'
            ? /^[0-9a-fA-F]{8}/.exec(source.slice(i + 2))
            : /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]{1,6}\})/.exec(source.slice(i + 2));
        if (m) {
          out += `\\x{${m[0].replace(/[{}]/g, '')}}`;
          i += 1 + m[0].length;
          continue;
        }
      }
      if (!inClass && ((n >= '1' && n <= '9') || (n === 'k' && source[i + 2] === '<'))) {
        throw new PatternError(
          source,
          `back-references (\\${n}${n === 'k' ? '<name>' : ''}) need a backtracking engine; patterns here run in ` +
            `linear time and cannot use them`,
          true,
        );
      }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' first in a class (after an optional '^') is a literal.
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += source[++i];
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i);
      for (const [re, why] of UNSUPPORTED) if (re.test(rest)) throw new PatternError(source, why, true);
    }
    out += c;
  }
  return out;
}
