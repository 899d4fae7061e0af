// `mailman fmt`: the layout is idempotent on every file we have (built-ins, fixtures, the
// broken-file corpus), keeps every token and comment in order, never changes what a file
// compiles to, gives the expected text for a few fixtures, and the command's --check exit
// codes are as docs/language.md#formatting says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { IToken } from 'chevrotain';
import fc from 'fast-check';
import { tokenize } from '../../grammar/tokens.js';
import { compile, format, MAX_WIDTH } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR, ROOT } from './support.js';

const FIXTURES = join(ROOT, 'test', 'dsl', 'fmt-fixtures');
const EXPECTED = join(FIXTURES, 'expected');

/** Every .chain, .pipeline and .rules file below a directory (none if it does not exist). */
function dslFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...dslFiles(path));
    else if (['.chain', '.pipeline', '.rules'].some((ext) => name.endsWith(ext))) found.push(path);
  }
  return found;
}

const builtins = [...dslFiles(CHAINS_DIR), ...dslFiles(PIPELINES_DIR)];
const fixtures = dslFiles(FIXTURES);
// The corpus of broken files another part of the test suite keeps, if present.
const corpus = [...dslFiles(join(ROOT, 'test', 'dsl', 'golden')), ...dslFiles(join(ROOT, 'test', 'dsl', 'fixtures'))];
const everything = [...builtins, ...fixtures, ...corpus];
const name = (file: string) => relative(ROOT, file);

/** The tokens and comments of a text, in order, as comparable strings. */
function tokenStream(text: string): string[] {
  const lexed = tokenize(text);
  const all = [...lexed.tokens, ...((lexed.groups.comments ?? []) as IToken[])].sort(
    (a, b) => a.startOffset - b.startOffset,
  );
  return all.map((t) => `${t.tokenType.name}:${t.tokenType.name === 'Comment' ? t.image.trimEnd() : t.image}`);
}

/** The IR without source positions, which formatting is allowed to move. */
function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'at')
        .map(([k, v]) => [k, withoutPositions(v)]),
    );
  }
  return value;
}

test('the fixture corpus is there', () => {
  assert.ok(fixtures.length >= 15, `only ${fixtures.length} fixtures`);
  // Beside them: their examples files (NAME.examples), which are not the language's.
  const dsl = (dir: string) => readdirSync(dir).filter((f) => /\.(chain|pipeline)$/.test(f)).length;
  assert.equal(builtins.length, dsl(CHAINS_DIR) + dsl(PIPELINES_DIR));
});

for (const file of everything) {
  test(`${name(file)}: formatting is idempotent and keeps every token`, () => {
    const text = readFileSync(file, 'utf8');
    const once = format(text);
    assert.notEqual(once.skipped, 'unsafe', once.reason);
    const twice = format(once.text);
    assert.equal(twice.text, once.text);
    assert.equal(twice.changed, false);
    assert.deepEqual(tokenStream(once.text), tokenStream(text));
    if (once.skipped) {
      assert.equal(once.text, text);
      return;
    }
    if (once.text !== '') assert.match(once.text, /[^\n]\n$/, 'ends with exactly one newline');
    assert.doesNotMatch(once.text, /\n\n\n/, 'at most one blank line in a row');
    assert.doesNotMatch(once.text, /[ \t]\n/, 'no trailing white space');
    assert.doesNotMatch(once.text, /\t/, 'indented with spaces');
  });
}

/** The built-in pipelines, as bases of the derived ones in the fixtures. */
const bases = new Map(
  dslFiles(PIPELINES_DIR).map((f) => [
    basename(f, '.pipeline'),
    compile(readFileSync(f, 'utf8'), basename(f), { registry }).ir,
  ]),
);
const pipelineBase = (n: string) => {
  const ir = bases.get(n);
  return ir?.kind === 'pipeline' ? { ir } : undefined;
};

for (const file of everything) {
  const text = readFileSync(file, 'utf8');
  const before = compile(text, basename(file), { registry, pipelineBase });
  if (!before.ir) continue;
  test(`${name(file)}: compiles to the same IR after formatting`, () => {
    const after = compile(format(text).text, basename(file), { registry, pipelineBase });
    assert.ok(after.ir, 'still compiles');
    assert.deepEqual(withoutPositions(after.ir), withoutPositions(before.ir));
  });
}

for (const file of [...builtins, ...fixtures]) {
  test(`${name(file)}: formatting reports the same problems`, () => {
    const text = readFileSync(file, 'utf8');
    const problems = (t: string) =>
      compile(t, basename(file), { registry }).diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`);
    assert.deepEqual(problems(format(text).text), problems(text));
  });
}

test('the built-in chains and pipelines are in the canonical layout', () => {
  for (const file of builtins)
    assert.equal(format(readFileSync(file, 'utf8')).changed, false, `${name(file)}: run mailman fmt`);
});

for (const expected of dslFiles(EXPECTED)) {
  test(`fmt-fixtures/${basename(expected)} formats to expected/${basename(expected)}`, () => {
    const source = readFileSync(join(FIXTURES, basename(expected)), 'utf8');
    assert.equal(format(source).text, readFileSync(expected, 'utf8'));
  });
}

test('files the lexer cannot read are left exactly as they are', () => {
  for (const fixture of ['bad-character.chain', 'unterminated-string.chain']) {
    const text = readFileSync(join(FIXTURES, fixture), 'utf8');
    const result = format(text);
    assert.equal(result.skipped, 'lexical-error');
    assert.equal(result.text, text);
    assert.equal(result.changed, false);
  }
  assert.match(format('chain x { if loop then hold "oops }\n').reason ?? '', /unterminated string at 1:29/);
  assert.match(format('chain x { if a matches /oops }\n').reason ?? '', /unterminated regex/);
});

test('the compact one-line forms are split one item per line', () => {
  assert.equal(
    format('chain accept "Accept the post" { run accept-message stop }').text,
    'chain accept "Accept the post" {\n    run accept-message\n    stop\n}\n',
  );
  assert.equal(
    format('pipeline virgin "Mail the list generates" { cook-headers rfc-2369 to-outgoing }\n').text,
    'pipeline virgin "Mail the list generates" {\n    cook-headers\n    rfc-2369\n    to-outgoing\n}\n',
  );
});

test('arguments, paths and lists are written tight; operators get one space', () => {
  const { text } = format(
    'chain x{if header-match ( header : c.header , pattern : /a/i )or sender . domain in[ "a" ,"b" ]then defer}',
  );
  assert.equal(
    text,
    'chain x {\n    if header-match(header: c.header, pattern: /a/i) or sender.domain in ["a", "b"] then defer\n}\n',
  );
  assert.match(
    format('chain x { if size>=2MB and size<40KB then hold }').text,
    /if size >= 2MB and size < 40KB then hold/,
  );
  // A parenthesised condition is not an argument list: it keeps its space after `not`.
  assert.match(format('chain x { if not(loop or any) then hold }').text, /if not \(loop or any\) then hold/);
});

test('`then` is aligned within a run of links, unless that gets too wide', () => {
  assert.equal(
    format('chain x { if loop then discard if member-moderation then hold accept }').text,
    'chain x {\n    if loop              then discard\n    if member-moderation then hold\n    accept\n}\n',
  );
  const long = `if header "${'X'.repeat(70)}" exists`;
  const { text } = format(`chain x { if loop then discard ${long} then hold }`);
  assert.match(text, /^ {4}if loop then discard$/m);
  assert.ok(
    text.split('\n').every((line) => line.length <= MAX_WIDTH),
    text,
  );
});

test('an item too wide for a line is broken before then, and stays so', () => {
  const cond = Array.from({ length: 12 }, (_, i) => `header "X-${i}" exists`).join(' or ');
  const { text } = format(`chain x { if ${cond} then hold }`);
  assert.match(text, /\n {8}then hold\n/);
  assert.equal(format(text).text, text);
});

test('comments keep their place: trailing ones after one space, own-line ones indented', () => {
  const { text } = format('#top\nchain x {   # brace\n# own\nif loop    # mid\nthen discard      # end\n}\n');
  assert.equal(text, '#top\nchain x { # brace\n    # own\n    if loop # mid\n        then discard # end\n}\n');
});

test('a blank line separates definitions from the chain, before its comments', () => {
  assert.equal(
    format('let n = 1\n# the chain\nchain x { accept }').text,
    'let n = 1\n\n# the chain\nchain x {\n    accept\n}\n',
  );
  assert.equal(format('# only a header\nchain x { accept }').text, '# only a header\nchain x {\n    accept\n}\n');
});

test('any soup of tokens, spaces, newlines and comments formats idempotently and keeps its tokens', () => {
  const piece = fc.constantFrom(
    'chain',
    'pipeline',
    'let',
    'rule',
    'if',
    'then',
    'else',
    'as number',
    'count',
    'for',
    'in',
    'when',
    'accept',
    'hold',
    'jump',
    'detour',
    'run',
    'to',
    'otherwise',
    'and',
    'or',
    'not',
    'is',
    'a',
    'matches',
    'starts',
    'with',
    'exists',
    'header',
    'true',
    'loop',
    'any',
    'max-size',
    'sender',
    '"text {sender}"',
    '/re#x/i',
    '40',
    'KB',
    '2MB',
    '1.5',
    '{',
    '}',
    '(',
    ')',
    '[',
    ']',
    ',',
    ':',
    '=',
    '.',
    '<',
    '>=',
    '# note\n',
  );
  const gap = fc.constantFrom(' ', '', '\n', '\n\n', '\t  ', '\r\n\n\n');
  fc.assert(
    fc.property(fc.array(fc.tuple(piece, gap), { maxLength: 60 }), (parts) => {
      const text = parts.map(([p, g]) => p + g).join('');
      const once = format(text);
      assert.notEqual(once.skipped, 'unsafe', once.reason);
      assert.equal(format(once.text).text, once.text);
      assert.deepEqual(tokenStream(once.text), tokenStream(text));
    }),
    { numRuns: 500 },
  );
});

// --- the command -------------------------------------------------------------------------

const BIN = join(ROOT, 'bin', 'mailman.js');

function mailman(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.MAILMAN_CONFIG_FILE;
  const res = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

test('mailman fmt --check lists what would change and exits 1; fmt rewrites; then --check exits 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-fmt-'));
  try {
    const messy = 'chain messy { if loop then discard accept }';
    writeFileSync(join(dir, 'messy.chain'), messy);
    writeFileSync(join(dir, 'tidy.chain'), 'chain tidy {\n    accept\n}\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a chain { }');

    const check = mailman(['fmt', '--check', dir], dir);
    assert.equal(check.code, 1, check.stderr);
    assert.equal(check.stdout, `${join(dir, 'messy.chain')}\n`);
    assert.equal(readFileSync(join(dir, 'messy.chain'), 'utf8'), messy, '--check writes nothing');

    const fix = mailman(['fmt', dir], dir);
    assert.equal(fix.code, 0, fix.stderr);
    assert.equal(fix.stdout, `${join(dir, 'messy.chain')}\n`);
    assert.equal(
      readFileSync(join(dir, 'messy.chain'), 'utf8'),
      'chain messy {\n    if loop then discard\n    accept\n}\n',
    );
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'not a chain { }');
    assert.deepEqual(readdirSync(dir).sort(), ['messy.chain', 'notes.txt', 'tidy.chain'], 'no temporary file left');

    const again = mailman(['fmt', '--check', join(dir, 'messy.chain'), join(dir, 'tidy.chain')], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');

    const missing = mailman(['fmt', '--check', join(dir, 'nope.chain')], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.chain: no such file or directory/);
    assert.equal(mailman(['fmt', '--frobnicate'], dir).code, 2);

    writeFileSync(join(dir, 'bad.chain'), 'chain bad { if loop && any then hold }');
    const bad = mailman(['fmt', '--check', join(dir, 'bad.chain')], dir);
    assert.equal(bad.code, 1, 'a file that does not parse fails --check');
    assert.match(
      bad.stderr,
      /bad\.chain: left as it is: it does not parse \(MM101 at 1:21: unexpected characters '&&'\)/,
    );
    assert.match(
      bad.stderr,
      /bad\.chain:1:21: error MM101: unexpected characters '&&'\n.*\n {20}\^\^\nhint: write 'and'/,
    );

    writeFileSync(join(dir, 'messy.chain'), messy);
    const json = mailman(['fmt', '--check', '--json', dir], dir);
    assert.equal(json.code, 1, json.stderr);
    // bad.chain is in the directory now: fmt leaves it, says why, and fails even without --check.
    assert.equal(mailman(['fmt', dir], dir).code, 1);
    assert.equal(json.stderr, '', 'what is left alone is in the JSON');
    const report = JSON.parse(json.stdout) as { changed: string[]; left_alone: { file: string; reason: string }[] };
    assert.deepEqual(report.changed, [join(dir, 'messy.chain')]);
    assert.deepEqual(
      report.left_alone.map((l) => l.file),
      [join(dir, 'bad.chain')],
    );
    assert.match(report.left_alone[0].reason, /MM101 at 1:21/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mailman fmt leaves a file with syntax errors untouched, prints its diagnostics and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-fmt-'));
  try {
    const broken = 'chain broken {\n  if loop discard\n   if any then   hold\n}\n';
    writeFileSync(join(dir, 'broken.chain'), broken);
    for (const args of [['fmt'], ['fmt', '--check']]) {
      const r = mailman([...args, join(dir, 'broken.chain')], dir);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'not listed as changed');
      assert.match(r.stderr, /broken\.chain:2:11: error MM201: expected 'then' after 'loop', found 'discard'/);
      assert.match(r.stderr, /\d+ errors?, 0 warnings in 1 file/);
      assert.equal(readFileSync(join(dir, 'broken.chain'), 'utf8'), broken, 'left byte for byte');
    }
    for (const fixture of ['broken-syntax.chain', 'broken-missing-brace.chain']) {
      const text = readFileSync(join(FIXTURES, fixture), 'utf8');
      const result = format(text);
      assert.equal(result.skipped, 'syntax-error', fixture);
      assert.equal(result.text, text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mailman fmt --check without paths checks the built-ins and the site dirs, without a config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-fmt-'));
  try {
    const clean = mailman(['fmt', '--check'], dir);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.stdout, '');
    // The default [dsl] chain_dir is var/chains below the working directory.
    mkdirSync(join(dir, 'var', 'chains'), { recursive: true });
    writeFileSync(join(dir, 'var', 'chains', 'site.chain'), 'chain site { accept }');
    const site = mailman(['fmt', '--check'], dir);
    assert.equal(site.code, 1, site.stderr);
    assert.equal(site.stdout, `${join(dir, 'var', 'chains', 'site.chain')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
