// The golden corpus: broken files in test/dsl/golden/, each with the exact output of
// `mailman validate test/dsl/golden/FILE` (run from the repository root) in FILE.expected.
// The real CLI runs as a child process, so option parsing, the built-in and site files, the
// graph checks and the exit code are all part of what is compared.
//
// Regenerate after a deliberate change with `UPDATE_GOLDEN=1 node --test dist/test/dsl/golden.test.js`,
// then read every changed .expected file: each must be a message a list owner can act on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Codes } from '../../src/dsl/index.js';
import { MAX_USE_FILES } from '../../src/dsl/uses.js';
import { ROOT } from './support.js';

const run = promisify(execFile);
const GOLDEN = join('test', 'dsl', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
/** No site configuration: a temporary directory with none, so only built-in files are context. */
const CWD_ENV = { ...process.env, MAILMAN_CONFIG_FILE: '' };

async function validate(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  // An empty var dir keeps a developer's var/chains out of the comparison.
  const varDir = mkdtempSync(join(tmpdir(), 'golden-var-'));
  const conf = join(varDir, 'mailman.conf');
  writeFileSync(conf, `[paths]\nvar_dir: ${varDir}\n`);
  try {
    const r = await run(process.execPath, [join('bin', 'mailman.js'), '-C', conf, 'validate', ...args], {
      cwd: ROOT,
      env: CWD_ENV,
    });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  } finally {
    rmSync(varDir, { recursive: true, force: true });
  }
}

// .rules files are goldens too, except shared-*.rules: the files the goldens `use` (one broken on purpose).
const files = readdirSync(join(ROOT, GOLDEN))
  .filter((f) => /\.(chain|pipeline)$/.test(f) || (f.endsWith('.rules') && !f.startsWith('shared-')))
  .sort();

test('the corpus is large and every file is named after what it declares', () => {
  assert.ok(files.length >= 45, `${files.length} golden files`);
  for (const f of files) {
    if (f.endsWith('.rules')) continue; // declares no chain or pipeline
    const text = readFileSync(join(ROOT, GOLDEN, f), 'utf8');
    const name = f.replace(/\.(chain|pipeline)$/, '');
    // Files about MM203/MM308 are the exceptions that prove the rule.
    if (['no-declaration.chain', 'wrong-name.chain'].includes(f)) continue;
    assert.match(text, new RegExp(`\\b(chain|pipeline) ${name}\\b`), `${f} declares ${name}`);
  }
});

const seen = new Set<string>();
for (const f of files) {
  test(`golden ${f}`, async () => {
    const path = join(GOLDEN, f);
    const { stdout, stderr, code } = await validate(path);
    assert.equal(stderr, '');
    for (const m of stdout.matchAll(/^\S+:\d+:\d+: (?:error|warning|note) (MM\d{3}):/gm)) seen.add(m[1]);
    const expectedFile = join(ROOT, `${path}.expected`);
    if (UPDATE) writeFileSync(expectedFile, stdout);
    assert.equal(stdout, readFileSync(expectedFile, 'utf8'));
    assert.equal(code, 1, 'every golden file has at least one error');
  });
}

// MM317 needs more .rules files than the corpus should hold: they are written for the test,
// under test-output/ so the paths in the report are the same on every run.
test('golden use-limit.chain (65 generated .rules files beside it)', async () => {
  const dir = join('test-output', 'golden-use-limit');
  rmSync(join(ROOT, dir), { recursive: true, force: true });
  mkdirSync(join(ROOT, dir), { recursive: true });
  try {
    const uses: string[] = [];
    for (let i = 0; i <= MAX_USE_FILES; i++) {
      writeFileSync(join(ROOT, dir, `part${i}.rules`), `let part${i} = ${i}\n`);
      uses.push(`use "part${i}.rules"`);
    }
    writeFileSync(join(ROOT, dir, 'use-limit.chain'), `${uses.join('\n')}\n\nchain use-limit {\n    accept\n}\n`);
    const { stdout, stderr, code } = await validate(join(dir, 'use-limit.chain'));
    assert.equal(stderr, '');
    for (const m of stdout.matchAll(/^\S+:\d+:\d+: (?:error|warning|note) (MM\d{3}):/gm)) seen.add(m[1]);
    const expectedFile = join(ROOT, GOLDEN, 'use-limit.chain.expected');
    if (UPDATE) writeFileSync(expectedFile, stdout);
    assert.equal(stdout, readFileSync(expectedFile, 'utf8'));
    assert.equal(code, 1);
  } finally {
    rmSync(join(ROOT, dir), { recursive: true, force: true });
  }
});

/**
 * MM206 is what compile() says when a stage throws: no well-formed or broken file can produce
 * it unless the compiler has a bug, so test/dsl/limits.test.ts shows it with a registry that
 * throws instead.
 */
const NOT_FROM_A_FILE: readonly string[] = [Codes.CompilerFailure];

test('together, the golden files show every diagnostic code', () => {
  const missing = Object.values(Codes).filter((c) => !seen.has(c) && !NOT_FROM_A_FILE.includes(c));
  assert.deepEqual(missing, []);
});

test('every built-in chain and pipeline validates without an error (exit 0)', async () => {
  const { stdout, code } = await validate();
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^0 errors, \d+ warnings? in \d+ files$/m);
  const builtins = [...readdirSync(join(ROOT, 'chains')), ...readdirSync(join(ROOT, 'pipelines'))].filter((f) =>
    /\.(chain|pipeline)$/.test(f),
  );
  assert.match(stdout, new RegExp(`in ${builtins.length} files\\n$`));
  // And each one named on the command line.
  const { code: named } = await validate(
    ...builtins.map((f) => join(f.endsWith('.chain') ? 'chains' : 'pipelines', f)),
  );
  assert.equal(named, 0);
});

test('validate --explain CODE prints the guide entry; an unknown code is a usage error', async () => {
  const known = await validate('--explain', 'MM301');
  assert.equal(known.code, 0, known.stderr);
  assert.match(known.stdout, /^MM301: unknown rule\n/);
  assert.match(known.stdout, /Broken \(typo\.chain\):\n.*\n {8}if max-sise then hold\n/);
  assert.match(known.stdout, /Fixed \(typo\.chain\):\n.*\n {8}if max-size then hold\n/);
  const unknown = await validate('--explain', 'MM999');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown code 'MM999': the codes are MM101, MM102/);
});

test('usage errors exit 2; --strict fails on warnings; --format json gives the diagnostic fields', async () => {
  assert.equal((await validate('no/such/file.chain')).code, 2);
  assert.equal((await validate('--format', 'yaml')).code, 2);
  assert.equal((await validate('--no-such-option')).code, 2);
  const warningOnly = join(tmpdir(), `warning-only-${process.pid}.chain`);
  writeFileSync(
    warningOnly.replace(/[^/]+$/, 'warning-only.chain'),
    'chain warning-only {\n    defer\n    accept\n}\n',
  );
  const file = warningOnly.replace(/[^/]+$/, 'warning-only.chain');
  try {
    assert.equal((await validate(file)).code, 0);
    assert.equal((await validate('--strict', file)).code, 1);
    const json = await validate('--format', 'json', file);
    assert.deepEqual(JSON.parse(json.stdout), [
      {
        file,
        line: 2,
        column: 5,
        endLine: 2,
        endColumn: 10,
        severity: 'warning',
        code: 'MM504',
        message: "an unconditional 'defer' does nothing",
        hint: 'remove it, or put it after a rule: if RULE then defer',
      },
    ]);
  } finally {
    rmSync(file, { force: true });
  }
});

test('validate DIR checks each .chain, .pipeline and .rules in it; any other file is refused, naming the extensions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'validate-dir-'));
  try {
    writeFileSync(join(dir, 'good.chain'), 'chain good {\n    accept\n}\n');
    writeFileSync(join(dir, 'bad.chain'), 'chain bad {\n    if max-sise then hold\n    accept\n}\n');
    writeFileSync(join(dir, 'good.pipeline'), 'pipeline good {\n    to-outgoing\n}\n');
    writeFileSync(join(dir, 'notes.txt'), 'chain notes {\n    accept\n}\n');
    const all = await validate(dir);
    assert.equal(all.code, 1, all.stderr);
    assert.match(all.stdout, /bad\.chain:2:8: error MM301: unknown rule 'max-sise'/);
    assert.match(all.stdout, /^1 error, 0 warnings in 3 files$/m);
    rmSync(join(dir, 'bad.chain'));
    const clean = await validate(dir);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /^0 errors, 0 warnings in 2 files$/m);

    const txt = await validate(join(dir, 'notes.txt'));
    assert.equal(txt.code, 2);
    assert.match(
      txt.stderr,
      /notes\.txt: not a chain, pipeline or rules file: a file's name is NAME\.chain or NAME\.pipeline, after what it declares, or NAME\.rules/,
    );
    const empty = mkdtempSync(join(tmpdir(), 'validate-empty-'));
    try {
      const none = await validate(empty);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no \.chain, \.pipeline or \.rules files in/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('five distinct mistakes, syntax and semantic mixed, give five diagnostics at their places', async () => {
  const { stdout, code } = await validate(join(GOLDEN, 'five-mistakes.chain'));
  assert.equal(code, 1);
  const found = [...stdout.matchAll(/^(\S+:\d+:\d+): error (MM\d{3}):/gm)].map((m) => `${m[1]} ${m[2]}`);
  const at = (lineCol: string, code: string) => `${join(GOLDEN, 'five-mistakes.chain')}:${lineCol} ${code}`;
  assert.deepEqual(found, [
    at('4:8', 'MM301'), // max-sise: unknown rule
    at('5:15', 'MM201'), // size > then: no value
    at('6:20', 'MM306'), // membre: unknown role, in the link after a syntax error
    at('7:13', 'MM201'), // if loop discard: no then
    at('8:41', 'MM303'), // jump nowhere: unknown chain, after another syntax error
  ]);
  assert.match(stdout, /^5 errors, 0 warnings in 1 file$/m);
});
