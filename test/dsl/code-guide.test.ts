// The guide behind `mailman validate --explain CODE` (src/dsl/code-guide.ts): every code has an
// entry, every broken example really draws its code when validated with the built-in files,
// every fix is clean (no error, no warning), and each summary is the row of docs/language.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
function validate(example: CodeExample) {
  const path = join(dir, example.file);
  writeFileSync(path, example.text);
  try {
    const ws = checkWorkspace([...builtins, { file: example.file, path, origin: example.origin ?? 'given' }], {
      registry,
    });
    return ws.diagnostics.filter((d) => d.file === example.file);
  } finally {
    rmSync(path, { force: true });
  }
}

test('every diagnostic code has an entry; every one a file can draw has a broken example and a fix', () => {
  assert.deepEqual([...CODE_GUIDE.keys()].sort(), Object.values(Codes).sort());
  for (const entry of CODE_GUIDE.values()) {
    if (entry.code === Codes.CompilerFailure) continue; // a compiler bug, drawn by no file on purpose
    if (EXAMPLE_CODES.has(entry.code)) continue; // drawn by examples files: test/dsl/examples.test.ts
    assert.ok(entry.broken && entry.fixed, entry.code);
  }
});

for (const entry of CODE_GUIDE.values()) {
  if (!entry.broken || !entry.fixed) continue;
  const { broken, fixed } = entry;
  test(`${entry.code}: the broken example draws it, the fix is clean`, () => {
    const drawn = validate(broken);
    assert.ok(
      drawn.some((d) => d.code === entry.code),
      `${broken.file} draws ${drawn.map((d) => `${d.code} ${d.message}`).join('; ') || 'nothing'}`,
    );
    const left = validate(fixed).filter((d) => d.severity !== 'note');
    assert.deepEqual(
      left.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`),
      [],
      `${fixed.file} is clean`,
    );
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
