// Which settings hold regexes, and how each is read, so that a bad pattern is refused where
// it enters (PATCH/PUT of a list's config, `mailman listconf --set`, mailman.conf at start)
// instead of silently missing on every post later. The rules that use these settings
// compile the same entries with the same options (patterns.ts).
import { patternProblem, type PatternOptions } from './patterns.js';

/** An entry starting with ^ is a regex matched from the start of the address, ignoring case (Python's re.match). */
export const ADDRESS_PATTERN: PatternOptions = { ignoreCase: true, fromStart: true };
/** A header line's regex is searched anywhere in the value, ignoring case. */
export const HEADER_PATTERN: PatternOptions = { ignoreCase: true };

const ADDRESS_LISTS = new Set([
  'accept_these_nonmembers',
  'hold_these_nonmembers',
  'reject_these_nonmembers',
  'discard_these_nonmembers',
  'acceptable_aliases',
]);

/** Why a list setting's value holds a pattern that does not compile, or undefined. */
export function listSettingPatternProblem(name: string, value: unknown): string | undefined {
  if (ADDRESS_LISTS.has(name) && Array.isArray(value)) {
    for (const entry of value) {
      if (typeof entry !== 'string' || !entry.startsWith('^')) continue;
      const why = patternProblem(entry, ADDRESS_PATTERN);
      if (why) return `${name}: invalid regex ${entry}: ${why}`;
    }
  }
  if ((name === 'bounce_matching_headers' || name === 'topics') && typeof value === 'string') {
    for (const line of value.split(/\r?\n/)) {
      const t = line.trim();
      const colon = t.indexOf(':');
      if (!t || t.startsWith('#') || colon <= 0) continue; // the rules skip such lines with a log line
      const source = t.slice(colon + 1).trim();
      const why = source ? patternProblem(source, HEADER_PATTERN) : undefined;
      if (why) return `${name}: invalid regex in "${t}": ${why}`;
    }
  }
  return undefined;
}

export type HeaderCheckRow = {
  header: string;
  pattern: string;
  suffix: string;
  action: null;
};

/** The rows of an [antispam] header_checks value: `Header: regex` lines, suffix config-N by line index. */
export function parseHeaderChecks(value: string, warn: (message: string) => void = () => undefined): HeaderCheckRow[] {
  const rows: HeaderCheckRow[] = [];
  value.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      warn(`[antispam] header_checks line ${index}: "${line.trim()}" is not "Header: regex"; skipped`);
      return;
    }
    rows.push({
      header: line.slice(0, colon).trim(),
      pattern: line.slice(colon + 1).trim(),
      suffix: `config-${index}`,
      action: null,
    });
  });
  return rows;
}

/** Why [antispam] header_checks holds a pattern that does not compile, or undefined. */
export function headerChecksProblem(value: string): string | undefined {
  for (const row of parseHeaderChecks(value)) {
    const why = patternProblem(row.pattern, HEADER_PATTERN);
    if (why) return `invalid regex for ${row.header} (${row.pattern}): ${why}`;
  }
  return undefined;
}

/** Why [mailman] listname_chars does not make a pattern, or undefined. */
export function listnameCharsProblem(value: string): string | undefined {
  const why = patternProblem(`^${value}+$`);
  return why ? `not a regex character class: ${why}` : undefined;
}
