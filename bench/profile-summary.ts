// Self time by function (and by package) of a --cpu-prof .cpuprofile: where a process spends
// its CPU, without a browser. `node dist/bench/profile-summary.js FILE.cpuprofile [TOP]`
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

// --window=FROM-TO (µs of CLOCK_MONOTONIC, as bench/delivery.js prints it): only samples taken then.
const opts = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [file, topArg = '25'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const win = opts
  .find((a) => a.startsWith('--window='))
  ?.slice('--window='.length)
  .split('-')
  .map(Number);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
let t = p.startTime;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i] ?? 0;
  if (win && (t < win[0] || t > win[1])) continue;
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
}

const where = (url: string) => {
  if (!url) return '(native)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node';
  const d = url.match(/dist\/(.*)$/);
  return d ? d[1] : url;
};
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of self) {
  if (byId.get(id)!.callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const n = byId.get(id)!;
  const fn = `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}${n.callFrame.url ? ':' + (n.callFrame.lineNumber + 1) : ''}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  const pkg = where(n.callFrame.url).replace(/\/.*/, '') || '(native)';
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  total += us;
}
const top = Number(topArg);
const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
console.log(`${file}: ${(total / 1000).toFixed(0)} ms busy sampled (${(idle / 1000).toFixed(0)} ms idle left out)`);
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${pct(v)} ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
console.log('-- by package/dir');
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`${pct(v)} ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
