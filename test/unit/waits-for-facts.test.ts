// The end-to-end tests wait for facts, never for time. A fixed pause before an assertion fails
// for nothing on a loaded machine, wastes time on an idle one, and "nothing more arrived" after
// a pause proves nothing. This test reads their sources and fails on a pause. It also keeps
// the split of test/suites.ts honest: a test that starts a server is an end-to-end test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { suiteOf } from '../suites.js';

const TESTS = join(PACKAGE_ROOT, 'test');

/** How a pause is written: a timer that resolves a promise, a sleep or delay, the promise timers. */
const PAUSES = [/\bsetTimeout\(\s*[\w$]+\s*,/, /\b(sleep|delay|pause)\s*\(/, /\btimers\/promises\b/];

/** Imports by which a test starts the server or a REST server, or speaks LMTP or SMTP to one. */
const SERVER_HELPERS = /from '(\.\.\/helpers\/(server|smtp-sink|lmtp-client|raw-lmtp)|(\.\.\/rest|\.)\/harness)\.js'/;

const RULE = [
  'an end-to-end test waits for a fact, never for a length of time:',
  '  - for something to happen: sink.waitFor(), or waitFor() from test/helpers/wait.ts (it polls, with a deadline);',
  '  - before asserting that nothing more arrived (exactly one copy, no notice): barrierPost() from',
  '    test/helpers/barrier.ts, which returns once the server has finished with everything it was given before it.',
  'Pauses found:',
].join('\n');

function sources(dir = TESTS): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sources(path);
      return name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

/** The lines of a source that pause, as `file:line: text`; comments are not code. */
function pausesIn(file: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => {
    const code = line.trim();
    if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return [];
    return PAUSES.some((p) => p.test(code)) ? [`${file}:${i + 1}: ${code}`] : [];
  });
}

test('the guard sees each form of pause, and leaves a deadline alone', () => {
  const pauses = [
    'await new Promise((r) => setTimeout(r, 300));',
    'await new Promise((resolve) => setTimeout(resolve, 500)); // room for a stray copy',
    'await sleep(1500);',
    "import { setTimeout as delay } from 'node:timers/promises';",
    'await delay(200);',
  ];
  for (const line of pauses) assert.equal(pausesIn('x', line).length, 1, line);
  const notPauses = [
    "timer = setTimeout(() => reject(new Error('timed out')), ms);",
    'sink.delayMs = 300;',
    '// a comment may say sleep(300) is not allowed',
    "process.kill(pid, 'SIGSTOP');",
  ];
  for (const line of notPauses) assert.deepEqual(pausesIn('x', line), [], line);
});

test('no end-to-end test pauses: each waits for a fact', () => {
  const e2e = sources().filter((f) => suiteOf(f) === 'e2e');
  assert.ok(
    e2e.some((f) => f.endsWith(join('e2e', 'posting.test.ts'))),
    `the e2e suite has its tests: ${e2e.length}`,
  );
  const found = e2e.flatMap((f) => pausesIn(relative(PACKAGE_ROOT, f), readFileSync(f, 'utf8')));
  assert.deepEqual(found, [], `${RULE}\n${found.join('\n')}`);
});

test('every test that starts a server, or speaks LMTP or SMTP to one, is in the e2e suite', () => {
  const misplaced = sources()
    .filter((f) => SERVER_HELPERS.test(readFileSync(f, 'utf8')) && suiteOf(f) !== 'e2e')
    .map((f) => relative(PACKAGE_ROOT, f));
  assert.deepEqual(misplaced, [], 'add them to E2E in test/suites.ts: `npm run test:unit` runs without a server');
});
