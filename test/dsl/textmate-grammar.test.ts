// The TextMate grammar in editors/textmate: it is valid JSON, every regex in it compiles,
// it avoids what JavaScript and Oniguruma disagree on, and a small tokenizer driven by it
// (earliest match wins, ties to the first pattern, as TextMate scans a line) classifies a
// sample file's keywords, comments, strings, regexes and names as intended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support.js';

interface Capture {
  name?: string;
}
interface GrammarRule {
  include?: string;
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, Capture>;
  beginCaptures?: Record<string, Capture>;
  endCaptures?: Record<string, Capture>;
  patterns?: GrammarRule[];
}
interface Grammar extends GrammarRule {
  scopeName: string;
  fileTypes: string[];
  repository: Record<string, GrammarRule>;
}

const DIR = join(ROOT, 'editors', 'textmate');
const grammar = JSON.parse(readFileSync(join(DIR, 'mailman-dsl.tmLanguage.json'), 'utf8')) as Grammar;

function allRegexes(rule: GrammarRule, out: string[] = []): string[] {
  for (const key of ['match', 'begin', 'end'] as const) if (rule[key] !== undefined) out.push(rule[key]!);
  for (const p of rule.patterns ?? []) allRegexes(p, out);
  return out;
}

test('the grammar and the VS Code manifest describe the same language', () => {
  assert.equal(grammar.scopeName, 'source.mailman-dsl');
  assert.deepEqual(grammar.fileTypes, ['chain', 'pipeline', 'rules']);
  const manifest = JSON.parse(readFileSync(join(DIR, 'package.json'), 'utf8'));
  const contributed = manifest.contributes.grammars[0];
  assert.equal(contributed.scopeName, grammar.scopeName);
  assert.equal(join(DIR, contributed.path), join(DIR, 'mailman-dsl.tmLanguage.json'));
  assert.deepEqual(manifest.contributes.languages[0].extensions, ['.chain', '.pipeline', '.rules']);
  JSON.parse(readFileSync(join(DIR, 'language-configuration.json'), 'utf8'));
});

test('every regex compiles in JavaScript and keeps to the Oniguruma-compatible subset', () => {
  const regexes = [...allRegexes(grammar), ...Object.values(grammar.repository).flatMap((r) => allRegexes(r))];
  assert.ok(regexes.length > 20);
  for (const source of regexes) {
    assert.doesNotThrow(() => new RegExp(source), source);
    assert.doesNotMatch(source, /\(\?<[=!]/, `lookbehind in ${source}`);
    assert.doesNotMatch(source, /\\[pP]\{/, `\\p{...} in ${source}`);
    assert.doesNotMatch(source, /\(\?[imx]+[:)]|\\[AzZGh]/, `Oniguruma-only syntax in ${source}`);
  }
  for (const p of grammar.patterns ?? []) {
    const key = p.include!.slice(1);
    assert.ok(grammar.repository[key], `#${key} is in the repository`);
  }
});

// --- a small TextMate-style tokenizer, enough for one line at a time -------------------

interface Leaf extends GrammarRule {
  regex: RegExp;
  endRegex?: RegExp;
  inner?: Leaf[];
}

function leaves(patterns: GrammarRule[]): Leaf[] {
  const out: Leaf[] = [];
  for (const p of patterns) {
    if (p.include) out.push(...leaves([grammar.repository[p.include.slice(1)]]));
    else if (p.match !== undefined) out.push({ ...p, regex: new RegExp(p.match, 'dg') });
    else if (p.begin !== undefined)
      out.push({
        ...p,
        regex: new RegExp(p.begin, 'dg'),
        endRegex: new RegExp(p.end!, 'dg'),
        inner: leaves(p.patterns ?? []),
      });
    else out.push(...leaves(p.patterns ?? []));
  }
  return out;
}

/** The innermost scope of each character of a line ('' where no rule applies). */
function scopeLine(line: string): string[] {
  const scopes: string[] = new Array(line.length).fill('');
  const paint = (from: number, to: number, name: string | undefined) => {
    if (name) for (let i = from; i < to; i++) scopes[i] = name;
  };
  const paintCaptures = (m: RegExpExecArray, captures: Record<string, Capture> | undefined) => {
    for (const [group, capture] of Object.entries(captures ?? {})) {
      const span = m.indices?.[Number(group)];
      if (span) paint(span[0], span[1], capture.name);
    }
  };
  const scan = (pos: number, rules: Leaf[], end?: RegExp): { pos: number; end?: RegExpExecArray } => {
    while (pos <= line.length) {
      let best: { m: RegExpExecArray; rule?: Leaf } | undefined;
      if (end) {
        end.lastIndex = pos;
        const m = end.exec(line);
        if (m) best = { m };
      }
      for (const rule of rules) {
        rule.regex.lastIndex = pos;
        const m = rule.regex.exec(line);
        if (m && (!best || m.index < best.m.index)) best = { m, rule };
      }
      if (!best) return { pos: line.length };
      const { m, rule } = best;
      if (!rule) return { pos: m.index + m[0].length, end: m };
      if (rule.endRegex) {
        const inner = scan(m.index + m[0].length, rule.inner!, rule.endRegex);
        // The rule's own name covers the region; what its inner patterns painted stays on top.
        for (let i = m.index; i < inner.pos; i++) if (!scopes[i] || scopes[i] === '') scopes[i] = rule.name ?? '';
        paintCaptures(m, rule.beginCaptures);
        if (inner.end) paintCaptures(inner.end, rule.endCaptures);
        pos = inner.pos;
      } else {
        paint(m.index, m.index + m[0].length, rule.name);
        paintCaptures(m, rule.captures);
        pos = m.index + Math.max(1, m[0].length);
      }
    }
    return { pos };
  };
  scan(0, leaves(grammar.patterns ?? []));
  return scopes;
}

const SAMPLE = [
  '# A comment: if then "not a string" /nor a regex/',
  'let partners = ["partner.example", "example.org"]',
  'rule big-post "Over {size}" = size > 2MB and sender is not a member',
  'chain ant-posting "Hold \\"big\\" posts from {sender.domain}" { # trailing',
  '    if big-post then hold "Big: {size}, {{literal}}"',
  '    if header "Subject" matches /^\\[ads#1\\]/i then run reject-message(reason: "no ads")',
  '    for r in list.header_matches { if header-match(header: r.header, pattern: r.pattern) then jump accept }',
  '    if max-size(limit: 40KB) or recipients.count >= 10 then defer',
  '}',
];

/** The scope of `text` on a sample line, its n-th occurrence or the first after `after`; one scope throughout. */
function scopeOf(lineNo: number, text: string, nth: number | string = 0): string {
  const line = SAMPLE[lineNo];
  let at = typeof nth === 'string' ? line.indexOf(text, line.indexOf(nth) + nth.length) : -1;
  if (typeof nth === 'number') for (let i = 0; i <= nth; i++) at = line.indexOf(text, at + 1);
  assert.ok(at >= 0, `'${text}' on line ${lineNo}`);
  const scopes = scopeLine(line).slice(at, at + text.length);
  assert.ok(
    scopes.every((s) => s === scopes[0]),
    `'${text}' has one scope: ${scopes.join(' | ')}`,
  );
  return scopes[0];
}

test('the grammar classifies a sample file', () => {
  assert.ok(scopeLine(SAMPLE[0]).every((s) => s.startsWith('comment.line.number-sign')));
  assert.match(scopeOf(3, '# trailing'), /^comment\.line/);

  assert.match(scopeOf(1, 'let'), /^storage\.type/);
  assert.match(scopeOf(1, 'partners'), /^variable\.other\.constant/);
  assert.match(scopeOf(1, 'partner.example'), /^string\.quoted\.double/);
  assert.match(scopeOf(2, 'rule'), /^storage\.type/);
  assert.match(scopeOf(2, 'big-post'), /^entity\.name\.function/);
  assert.match(scopeOf(2, '2MB'), /^constant\.numeric\.size/);
  for (const word of ['and', 'is', 'not']) assert.match(scopeOf(2, word), /^keyword\.operator\.word/, word);
  assert.match(scopeOf(2, 'a', 4), /^keyword\.operator\.word/); // `is not a member`
  assert.match(scopeOf(2, '>'), /^keyword\.operator\.comparison/);

  assert.match(scopeOf(3, 'chain'), /^storage\.type/);
  assert.match(scopeOf(3, 'ant-posting'), /^entity\.name\.type/);
  assert.match(scopeOf(3, '\\"'), /^constant\.character\.escape/);
  assert.match(scopeOf(3, 'sender.domain'), /^variable\.other\.interpolation/);
  assert.match(scopeOf(3, 'posts'), /^string\.quoted\.double/);

  assert.match(scopeOf(4, 'if'), /^keyword\.control/);
  assert.match(scopeOf(4, 'then'), /^keyword\.control/);
  assert.match(scopeOf(4, 'hold'), /^keyword\.control\.action/);
  assert.match(scopeOf(4, '{{'), /^constant\.character\.escape/);
  assert.match(scopeOf(4, 'literal'), /^string\.quoted\.double/);

  assert.match(scopeOf(5, 'header'), /^support\.function\.header/);
  assert.match(scopeOf(5, 'matches'), /^keyword\.operator\.word/);
  assert.match(scopeOf(5, 'ads#1'), /^string\.regexp/);
  assert.match(scopeOf(5, 'i', '\\]/'), /^keyword\.other\.flag\.regexp/);
  assert.match(scopeOf(5, '/', '\\]'), /^punctuation\.definition\.string\.end\.regexp/);
  assert.match(scopeOf(5, 'run'), /^keyword\.control\.action/);
  assert.match(scopeOf(5, 'reject-message'), /^entity\.name\.function\.effect/);
  assert.match(scopeOf(5, 'reason'), /^variable\.parameter/);

  assert.match(scopeOf(6, 'for'), /^keyword\.control/);
  assert.match(scopeOf(6, 'header_matches'), /^variable\.other\.property/);
  assert.match(
    scopeOf(6, 'header-match'),
    /^variable\.other\.mailman-dsl/,
    'a name that starts like a keyword is a name',
  );
  assert.match(scopeOf(6, 'header', '('), /^variable\.parameter/, 'any word may name an argument');
  assert.match(scopeOf(6, 'header', 'r.'), /^variable\.other\.property/, 'any word may follow a dot');
  assert.match(scopeOf(6, 'jump'), /^keyword\.control\.action/);
  assert.match(scopeOf(6, 'accept'), /^keyword\.control\.action/);

  assert.match(scopeOf(7, 'max-size'), /^variable\.other\.mailman-dsl/, 'a hyphenated name is not a keyword');
  assert.match(scopeOf(7, 'limit'), /^variable\.parameter/);
  assert.match(scopeOf(7, '40KB'), /^constant\.numeric\.size/);
  assert.match(scopeOf(7, '10'), /^constant\.numeric\.integer/);
  assert.match(scopeOf(7, 'count'), /^variable\.other\.property/);
  assert.match(scopeOf(7, 'defer'), /^keyword\.control\.action/);
});
