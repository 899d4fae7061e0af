// The layers of src/, read from the imports themselves: data and dependencies flow one way,
// so a module may import from its own layer or a lower one, never a higher one. Type-only
// imports count: a type from above is a dependency on above all the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
import { dirname, join, normalize, relative, sep } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** Lowest first. A top-level folder of src/ (or a lone module, by its name) belongs to one layer. */
const LAYERS: string[][] = [
  ['config', 'queue', 'model', 'email', 'patterns', 'paths', 'logging', 'version', 'types'],
  ['services'],
  // The interfaces of everything the language can name; they mention services' types.
  ['registry'],
  ['dsl', 'grammar'],
  ['moderation', 'delivery', 'mta', 'commands', 'archivers'],
  // Explain runs moderation and shows delivery's pipeline, dry.
  ['explain'],
  ['runners', 'rest', 'cli', 'master', 'lsp'],
];

const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The unit a file belongs to: its first folder under src/ (or its name there); grammar/ sits beside src/. */
function unitOf(root: string, file: string): string {
  const parts = relative(root, file).split(sep);
  if (parts[0] === 'grammar') return 'grammar';
  return parts[1].replace(/\.ts$/, '');
}

/** Relative imports of a file: static, type-only, re-exports, and dynamic import('…') with a literal. */
function importsOf(file: string): { line: number; target: string }[] {
  const text = readFileSync(file, 'utf8');
  const out: { line: number; target: string }[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of text.matchAll(pattern)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ line, target: normalize(join(dirname(file), m[1].replace(/\.js$/, '.ts'))) });
  }
  return out;
}

function filesUnder(root: string): string[] {
  return ['src', 'grammar'].flatMap((d) => (existsSync(join(root, d)) ? sources(join(root, d)) : []));
}

function violations(root: string): string[] {
  const wrong: string[] = [];
  for (const file of filesUnder(root)) {
    const from = unitOf(root, file);
    for (const { line, target } of importsOf(file)) {
      const to = unitOf(root, target);
      if ((layerOf.get(to) ?? -1) > (layerOf.get(from) ?? -1)) {
        wrong.push(`${relative(root, file)}:${line}: ${from} imports ${relative(root, target)} (${to} is above)`);
      }
    }
  }
  return wrong;
}

test('every folder of src/ has a layer', () => {
  const unplaced = [...new Set(filesUnder(PACKAGE_ROOT).map((f) => unitOf(PACKAGE_ROOT, f)))].filter(
    (u) => !layerOf.has(u),
  );
  assert.deepEqual(unplaced, [], 'give these a place in LAYERS (test/unit/layering.test.ts)');
});

test('no module imports from a higher layer', () => {
  assert.deepEqual(violations(PACKAGE_ROOT), [], 'a lower layer reaches up; move the shared piece down or pass it in');
});

test('the check finds static, type-only and dynamic imports that reach up', () => {
  const root = mkdtempSync(join(tmpdir(), 'layering-'));
  try {
    mkdirSync(join(root, 'src', 'email'), { recursive: true });
    mkdirSync(join(root, 'src', 'rest'), { recursive: true });
    writeFileSync(join(root, 'src', 'rest', 'app.ts'), "import { x } from '../email/ok.js';\n");
    writeFileSync(
      join(root, 'src', 'email', 'ok.ts'),
      "import type { App } from '../rest/app.js';\nexport const x = 1;\nconst cli = () => import('../cli/main.js');\n",
    );
    assert.deepEqual(violations(root), [
      'src/email/ok.ts:1: email imports src/rest/app.ts (rest is above)',
      'src/email/ok.ts:3: email imports src/cli/main.ts (cli is above)',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
