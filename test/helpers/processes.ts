// What the kernel says about a server's processes: its tree under the master (tests kill it),
// each one's proportional set size (shared pages divided among their sharers, so a sum is
// honest) and CPU time (benches print them; no test asserts on them). Linux /proc only.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The pid and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (!f) continue;
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** Proportional set size in MiB (0 once the process is gone). */
export function pssMiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** User plus system CPU time in ms. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return f ? ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S : 0;
}

/** Samples the tree's total PSS every `everyMs` until stopped; keeps the peak and its breakdown. */
export class PssSampler {
  peak = 0;
  peakByPid = new Map<number, number>();
  private timer: NodeJS.Timeout;
  constructor(root: number, everyMs = 200) {
    const sample = () => {
      const by = new Map(processTree(root).map((p) => [p, pssMiB(p)] as const));
      const total = [...by.values()].reduce((a, b) => a + b, 0);
      if (total > this.peak) {
        this.peak = total;
        this.peakByPid = by;
      }
    };
    sample();
    this.timer = setInterval(sample, everyMs);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
