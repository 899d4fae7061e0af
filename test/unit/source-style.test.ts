// Two rules of CONTRIBUTING.md that a reader cannot check by eye across the tree: source lines
// of at most 120 characters (Prettier wraps code; strings and comments are wrapped by hand), and
// no `eslint-disable` comments, since the project runs no ESLint for them to address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

const MAX_LINE = 120;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const under = (...dirs: string[]) => dirs.flatMap((d) => sources(join(PACKAGE_ROOT, d)));

test(`no line of src/ or grammar/ is longer than ${MAX_LINE} characters`, () => {
  const long: string[] = [];
  for (const file of under('src', 'grammar')) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.length > MAX_LINE) long.push(`${relative(PACKAGE_ROOT, file)}:${i + 1} (${line.length})`);
      });
  }
  assert.deepEqual(long, [], 'wrap these (npm run format wraps code; strings and comments by hand)');
});

test('no eslint-disable comments', () => {
  const found = under('src', 'grammar', 'test', 'bench').filter((f) => /eslint-disable/.test(readFileSync(f, 'utf8')));
  const self = relative(PACKAGE_ROOT, join(PACKAGE_ROOT, 'test', 'unit', 'source-style.test.ts'));
  assert.deepEqual(
    found.map((f) => relative(PACKAGE_ROOT, f)).filter((f) => f !== self),
    [],
  );
});
