// The guide behind `mailman validate --explain CODE` (src/dsl/code-guide.ts): every code has an
// entry, every broken example really draws its code when validated with the built-in files,
// every fix is clean (no error, no warning), and each summary is the row of docs/language.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CODE_GUIDE,
  EXAMPLE_CODES,
  checkWorkspace,
  Codes,
  dslFilesIn,
  explainCode,
  type CodeExample,
} from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR, ROOT } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'code-guide-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const builtins = [...dslFilesIn(CHAINS_DIR, 'builtin'), ...dslFilesIn(PIPELINES_DIR, 'builtin')];

/** The example validated with the built-in files, as `mailman validate FILE` would: its diagnostics. */
function validate(example: CodeExample, beside: readonly CodeExample[] = []) {
  const path = join(dir, example.file);
  const others = beside.map((b) => ({ file: b.file, path: join(dir, b.file), origin: 'given' as const }));
  beside.forEach((b, i) => writeFileSync(others[i].path, b.text));
  writeFileSync(path, example.text);
  try {
    const ws = checkWorkspace(
      [...builtins, ...others, { file: example.file, path, origin: example.origin ?? 'given' }],
      {
        registry,
      },
    );
    return ws.diagnostics.filter((d) => d.file === example.file);
  } finally {
    rmSync(path, { force: true });
    for (const o of others) rmSync(o.path, { force: true });
  }
}

test('every diagnostic code has an entry; every one a file can draw has a broken example and a fix', () => {
  assert.deepEqual([...CODE_GUIDE.keys()].sort(), Object.values(Codes).sort());
  for (const entry of CODE_GUIDE.values()) {
    if (entry.code === Codes.CompilerFailure) continue; // a compiler bug, drawn by no file on purpose
    assert.ok(entry.broken && entry.fixed, entry.code);
    // Drawn by examples files, which run through a chain of their own.
    assert.equal(EXAMPLE_CODES.has(entry.code), entry.subject !== undefined, entry.code);
  }
});

for (const entry of CODE_GUIDE.values()) {
  if (!entry.broken || !entry.fixed || entry.subject) continue;
  const { broken, fixed } = entry;
  test(`${entry.code}: the broken example draws it, the fix is clean`, () => {
    const drawn = validate(broken, entry.beside);
    assert.ok(
      drawn.some((d) => d.code === entry.code),
      `${broken.file} draws ${drawn.map((d) => `${d.code} ${d.message}`).join('; ') || 'nothing'}`,
    );
    const left = validate(fixed, entry.beside).filter((d) => d.severity !== 'note');
    assert.deepEqual(
      left.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`),
      [],
      `${fixed.file} is clean`,
    );
  });
}

/** `mailman validate` (examples run) on the subject chain with an examples file beside it: the codes drawn. */
async function validateExamples(subject: CodeExample, examples: CodeExample): Promise<string[]> {
  const var_ = mkdtempSync(join(tmpdir(), 'code-guide-examples-'));
  try {
    mkdirSync(join(var_, 'chains'));
    writeFileSync(join(var_, 'chains', subject.file), subject.text);
    writeFileSync(join(var_, 'chains', examples.file), examples.text);
    writeFileSync(join(var_, 'mailman.conf'), `[paths]\nvar_dir: ${var_}\n`);
    const args = ['bin/mailman.js', '-C', join(var_, 'mailman.conf'), 'validate', '--format=json'];
    const r = spawnSync(process.execPath, [...args, join(var_, 'chains', subject.file)], {
      cwd: ROOT,
      env: { ...process.env, MAILMAN_CONFIG_FILE: '' },
      encoding: 'utf8',
    });
    assert.equal(r.stderr, '');
    return (JSON.parse(r.stdout) as { code: string }[]).map((d) => d.code);
  } finally {
    rmSync(var_, { recursive: true, force: true });
  }
}

for (const entry of CODE_GUIDE.values()) {
  const { broken, fixed, subject } = entry;
  if (!broken || !fixed || !subject) continue;
  test(`${entry.code}: the broken examples file draws it through validate, the fix is clean`, async () => {
    const drawn = await validateExamples(subject, broken);
    assert.ok(drawn.includes(entry.code), `${broken.file} draws ${drawn.join(', ') || 'nothing'}`);
    assert.deepEqual(await validateExamples(subject, fixed), [], `${fixed.file} is clean`);
  });
}

test('each summary is the row of the codes table in docs/language.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'language.md'), 'utf8');
  for (const entry of CODE_GUIDE.values()) assert.ok(doc.includes(`| ${entry.code} | ${entry.summary} |`), entry.code);
});

test('the printed entry: the meaning, the advice, both files; long lines cut', () => {
  const text = explainCode('mm301') ?? '';
  assert.match(text, /^MM301: unknown rule\n\nName a registered rule/);
  assert.match(text, /Broken \(typo\.chain\):\n {4}chain typo \{\n {8}if max-sise then hold\n/);
  assert.match(text, /Fixed \(typo\.chain\):\n {4}chain typo \{\n {8}if max-size then hold\n/);
  assert.ok(
    (explainCode('MM205') ?? '').split('\n').every((l) => [...l].length <= 110),
    'a 10,000-character example is not printed whole',
  );
  assert.equal(explainCode('MM999'), undefined);
});
