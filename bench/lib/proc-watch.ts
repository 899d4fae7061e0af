// What a server costs the machine, read from /proc for the process tree under its master:
// CPU (utime+stime) and memory (PSS, which splits shared pages among their users, so the sum
// over processes is the real footprint, unlike RSS). Knows nothing about which processes a
// server has: it follows parent links from the roots it is given, and names processes with
// the labeller it is given, so a change of process model changes the labels, not this code.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcEntry {
  ppid: number;
  /** utime + stime, seconds. */
  cpu: number;
  comm: string;
}

function procTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited between readdir and read
    }
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    table.set(Number(d), {
      ppid: Number(f[1]),
      cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK,
      comm: stat.slice(stat.indexOf('(') + 1, close),
    });
  }
  return table;
}

function descendants(roots: readonly number[], table: Map<number, ProcEntry>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, e] of table) {
    const list = children.get(e.ppid);
    if (list) list.push(pid);
    else children.set(e.ppid, [pid]);
  }
  const out = new Set<number>();
  const todo = roots.filter((p) => table.has(p));
  while (todo.length) {
    const p = todo.pop()!;
    if (out.has(p)) continue;
    out.add(p);
    todo.push(...(children.get(p) ?? []));
  }
  return [...out];
}

/** Proportional set size of one process in bytes, 0 if it is gone. */
export function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export interface ProcFigure {
  pid: number;
  label: string;
  value: number;
}

export interface WatchResult {
  /** Server CPU seconds within the window, all processes of the tree. */
  cpuS: number;
  cpuByProcess: ProcFigure[];
  /** Highest sum of PSS seen in one sample, bytes, and each process's share in that sample. */
  peakPss: number;
  pssAtPeak: ProcFigure[];
  /** Processes in the tree at the PSS peak, and the most seen in any sample. */
  procsAtPeak: number;
  maxProcs: number;
  samples: number;
}

/**
 * Samples the tree every `intervalMs` between start() and stop(). CPU is the last value seen
 * per pid minus its value at start() (a process born in the window counts from zero), so a
 * process that dies in the window keeps what it had used at the last sample.
 */
export class ProcWatch {
  private timer: NodeJS.Timeout | undefined;
  private base = new Map<number, number>();
  private seen = new Map<number, number>();
  private labels = new Map<number, string>();
  private peak = { total: 0, per: [] as ProcFigure[], procs: 0 };
  private maxProcs = 0;
  private samples = 0;

  constructor(
    private readonly roots: () => number[],
    private readonly label: (pid: number, comm: string) => string,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    const table = procTable();
    for (const pid of descendants(this.roots(), table)) this.base.set(pid, table.get(pid)!.cpu);
    this.sample(table);
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): WatchResult {
    clearInterval(this.timer);
    this.sample();
    const cpuByProcess = [...this.seen]
      .map(([pid, cpu]) => ({
        pid,
        label: this.labels.get(pid) ?? String(pid),
        value: cpu - (this.base.get(pid) ?? 0),
      }))
      .sort((a, b) => b.value - a.value);
    return {
      cpuS: cpuByProcess.reduce((s, p) => s + p.value, 0),
      cpuByProcess,
      peakPss: this.peak.total,
      pssAtPeak: this.peak.per,
      procsAtPeak: this.peak.procs,
      maxProcs: this.maxProcs,
      samples: this.samples,
    };
  }

  private sample(table = procTable()): void {
    const tree = descendants(this.roots(), table);
    const per: ProcFigure[] = [];
    let total = 0;
    for (const pid of tree) {
      const e = table.get(pid)!;
      this.seen.set(pid, e.cpu);
      // Labels are taken late (after the runner wrote its status) and kept once found.
      const label = this.label(pid, e.comm);
      if (!this.labels.has(pid) || this.labels.get(pid) !== label) this.labels.set(pid, label);
      const bytes = pss(pid);
      total += bytes;
      per.push({ pid, label, value: bytes });
    }
    this.samples++;
    this.maxProcs = Math.max(this.maxProcs, tree.length);
    if (total > this.peak.total) this.peak = { total, per: per.sort((a, b) => b.value - a.value), procs: tree.length };
  }
}
