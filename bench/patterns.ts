// `node dist/bench/patterns.js`: the admin-regex engine (src/patterns/patterns.ts, RE2 via
// re2js) against V8's backtracking RegExp: compile and match time on typical header patterns,
// and the classic exponential shapes on a Subject of N `a` and a `!`. Figures only; V8 is
// skipped where it would run for minutes.
import { performance } from 'node:perf_hooks';
import { compilePattern } from '../src/patterns/patterns.js';

const TYPICAL = [
  '^\\[SPAM\\]',
  'viagra|cialis|casino',
  '^Re:\\s+.*(urgent|winner)',
  '[A-Z0-9._%+-]+@example\\.(com|org)',
  '^[^@]+@(lists\\.)?example\\.com$',
  'X-Spam-Score: \\*{5,}',
];
const SUBJECT = 'Re: [Team] The quarterly meeting agenda for next Tuesday, please review the attached winner file';

function perCall(fn: () => void, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n;
}

const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;
let k = 0;
// A fresh source each time defeats the module's cache, so this is the engine's compile time.
console.log(
  `compile, typical header pattern: re2js ${us(perCall(() => compilePattern(`${TYPICAL[k % TYPICAL.length]}|x${k++}`, { ignoreCase: true }), 600))}, V8 ${us(perCall(() => new RegExp(`${TYPICAL[k % TYPICAL.length]}|x${k++}`, 'i'), 600))}`,
);
const ours = TYPICAL.map((p) => compilePattern(p, { ignoreCase: true }));
const v8 = TYPICAL.map((p) => new RegExp(p, 'i'));
console.log(
  `match, typical pattern on a 100-character Subject: re2js ${us(perCall(() => ours.forEach((r) => r.test(SUBJECT)), 5000) / TYPICAL.length)}, V8 ${us(perCall(() => v8.forEach((r) => r.test(SUBJECT)), 5000) / TYPICAL.length)}`,
);
for (const p of ['(a+)+$', '(a|aa)+$']) {
  for (const n of [20, 24, 30, 5000, 100_000]) {
    const text = `${'a'.repeat(n)}!`;
    const re = compilePattern(p);
    const mine = perCall(() => re.test(text), n > 5000 ? 3 : 20);
    const js = n <= 24 ? `${perCall(() => new RegExp(p).test(text), 1).toFixed(1)} ms` : 'skipped (exponential)';
    console.log(`${p} on ${n} a + '!': re2js ${mine.toFixed(3)} ms, V8 ${js}`);
  }
}
