// The one place admin regexes are compiled (src/patterns/patterns.ts): the Python syntax
// Mailman's settings use and the chain language's JavaScript-style syntax both compile to the
// linear-time engine with Mailman's meaning; what needs backtracking is refused with a reason;
// and a bad [antispam] header_checks stops `mailman` at start with the file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compilePattern, patternProblem, patternRefusal, tryPattern } from '../../src/patterns/patterns.js';
import { listSettingPatternProblem } from '../../src/patterns/setting-patterns.js';
import { legacyEntryMatches } from '../../src/moderation/rules/nonmember-moderation.js';
import { matchesBan } from '../../src/services/bans.js';
import { ROOT } from '../dsl/support.js';

const run = promisify(execFile);
const t = (source: string, text: string, opts = {}) => compilePattern(source, opts).test(text);

test("Python's spellings from Mailman's settings mean what they mean in Python", () => {
  assert.equal(t('(?i)^\\[spam\\]', '[SPAM] offer'), true);
  assert.equal(t('^(?P<user>[^@]+)@example\\.com$', 'anne@example.com'), true);
  assert.equal(t('\\Aanne', 'anne@x'), true);
  assert.equal(t('\\Aanne', 'joanne@x'), false);
  assert.equal(t('example\\.com\\Z', 'a@example.com'), true); // Python's \Z is the end of the text
  assert.equal(t('example\\.com\\Z', 'a@example.com.evil'), false);
  assert.equal(t('^a.*?z', 'a-b-z-z'), true);
  assert.equal(t('[^@\\s]+@[\\w.-]+', 'x anne@example.org y'), true);
  assert.equal(t('\\u00fc', 'Grüße'), true); // \uXXXX, as Python and JavaScript write it
  assert.equal(t('\\u{1F600}', 'hi 😀'), true);
  assert.equal(t('GRÜSSE', 'grüsse aus köln', { ignoreCase: true }), true); // case folds beyond ASCII
  assert.equal(t('^\\p{Lu}', 'Ärger'), true);
});

test('search by default; fromStart is Python re.match; flags i, m, s', () => {
  assert.equal(t('spam', 'no spam here'), true);
  assert.equal(t('spam', 'no spam here', { fromStart: true }), false);
  assert.equal(t('^spam|eggs', 'eggs@x', { fromStart: true }), true); // the alternation is anchored as a whole
  assert.equal(t('^.*@spam\\.example$', 'EVIL@SPAM.EXAMPLE', { ignoreCase: true, fromStart: true }), true);
  assert.equal(t('^b', 'a\nb'), false);
  assert.equal(t('^b', 'a\nb', { flags: 'm' }), true);
  assert.equal(t('a.b', 'a\nb'), false);
  assert.equal(t('a.b', 'a\nb', { flags: 's' }), true);
  assert.equal(t('ABC', 'abc', { flags: 'iu' }), true);
});

test('what needs backtracking is refused as unsupported; typos as invalid, with RE2 naming the fault', () => {
  for (const p of ['(a)\\1', '(?P<x>a)(?P=x)', '(?<x>a)\\k<x>', 'a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b']) {
    const r = patternRefusal(p);
    assert.ok(r?.unsupported, p);
    assert.match(r.reason, /linear time/);
  }
  assert.equal(patternRefusal('[abc')?.unsupported, false);
  assert.match(patternProblem('[abc')!, /missing closing \]/);
  assert.match(patternProblem('(a', { ignoreCase: true })!, /missing closing \): `\(a`/); // no engine-added (?i) in the message
  assert.match(patternProblem('a{1001}')!, /at most 1000/);
  assert.match(patternProblem('x'.repeat(10_001))!, /longer than/);
});

test('nested repetition stays linear: 100,000 characters are a matter of milliseconds', { timeout: 10_000 }, () => {
  const text = `${'a'.repeat(100_000)}!`;
  for (const p of ['(a+)+$', '(a|aa)+$', '(\\w+\\s?)*@spam', '^(([a-z])+.)+[A-Z]([a-z])+$'])
    assert.equal(t(p, text), false, p);
});

test('a refused pattern is reported once and misses (a stored one from before this check)', () => {
  const seen: string[] = [];
  assert.equal(
    tryPattern('(once', {}, (w) => seen.push(w)),
    undefined,
  );
  assert.equal(
    tryPattern('(once', {}, (w) => seen.push(w)),
    undefined,
  );
  assert.equal(seen.length, 1);
  assert.equal(matchesBan('^(broken', 'broken@example.org'), false);
  assert.equal(matchesBan('^.*@Spam\\.example$', 'x@spam.example'), true);
  assert.equal(legacyEntryMatches('^anne@', 'anne@example.org'), true);
  assert.equal(legacyEntryMatches('^nne@', 'anne@example.org'), false); // from the start, as Mailman's re.match
});

test('list settings that hold patterns: ^entries, header lines and topics are checked; plain entries are not patterns', () => {
  assert.equal(
    listSettingPatternProblem('accept_these_nonmembers', ['(not a regex)@example.org', '^ok@example\\.org$']),
    undefined,
  );
  assert.match(
    listSettingPatternProblem('reject_these_nonmembers', ['^[x'])!,
    /reject_these_nonmembers: invalid regex \^\[x/,
  );
  assert.match(
    listSettingPatternProblem('bounce_matching_headers', '# comment\nX-Spam: yes\nSubject: (a')!,
    /"Subject: \(a"/,
  );
  assert.match(listSettingPatternProblem('topics', 'Money: (?=cash)')!, /linear time/);
  assert.equal(listSettingPatternProblem('description', '(a'), undefined);
});

test('mailman.conf: a header_checks or listname_chars pattern that does not compile stops the command with file:line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'patterns-conf-'));
  try {
    const conf = join(dir, 'mailman.conf');
    writeFileSync(
      conf,
      `[paths]\nvar_dir: ${dir}\n[antispam]\nheader_checks:\n    X-Spam: ^yes\n    Subject: (cheap\n`,
    );
    const bad = await run(process.execPath, [join('bin', 'mailman.js'), '-C', conf, 'conf'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(bad, 'mailman conf must fail');
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /mailman\.conf:4: \[antispam\] header_checks: invalid regex for Subject \(\(cheap\): missing closing \)/,
    );

    writeFileSync(conf, `[paths]\nvar_dir: ${dir}\n[mailman]\nlistname_chars: [a-z\n`);
    const bad2 = await run(process.execPath, [join('bin', 'mailman.js'), '-C', conf, 'conf'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.match(bad2?.stderr ?? '', /mailman\.conf:4: \[mailman\] listname_chars: not a regex character class/);

    writeFileSync(
      conf,
      `[paths]\nvar_dir: ${dir}\n[antispam]\nheader_checks:\n    X-Spam: ^yes\n    Subject: (?i)cheap (pills|watches)\n`,
    );
    const good = await run(process.execPath, [join('bin', 'mailman.js'), '-C', conf, 'conf', '-s', 'antispam'], {
      cwd: ROOT,
    });
    assert.match(good.stdout, /cheap \(pills\|watches\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
