// Which runner slices live in which worker process. Runners are async loops waiting on their
// queue directory; a Node process costs ~40 MB before it does anything and ~65 MB once the
// database layer is loaded, so the queue runners share one process per slice and only the
// servers the outside world talks to (LMTP, REST) get their own. `[runner.NAME] process`
// moves a runner into a process of its own (or back to Mailman's one-per-runner shape).
import type { Config } from '../config/config.js';

export interface RunnerSlice {
  name: string;
  slice: number;
  count: number;
}

export interface ProcessPlan {
  /** `queues:0`, `lmtp:0`: the process name in the status file and the logs. */
  key: string;
  group: string;
  slice: number;
  runners: RunnerSlice[];
}

const PROCESS_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** The worker processes to start, in a stable order, each with the runner slices it hosts. */
export function planProcesses(config: Config): ProcessPlan[] {
  const plans = new Map<string, ProcessPlan>();
  for (const name of config.runnerNames()) {
    const section = `runner.${name}`;
    if (!config.bool(section, 'start')) continue;
    const group = config.get(section, 'process').trim().toLowerCase();
    if (!PROCESS_NAME.test(group))
      throw new Error(
        `[${section}] process: "${group}" is not a process name (lower-case letters, digits, - and _, at most 40)`,
      );
    const count = config.int(section, 'instances');
    if (count < 1 || (count & (count - 1)) !== 0)
      throw new Error(`[${section}] instances must be a power of 2, not ${count}`);
    for (let slice = 0; slice < count; slice++) {
      const key = `${group}:${slice}`;
      let plan = plans.get(key);
      if (!plan) plans.set(key, (plan = { key, group, slice, runners: [] }));
      plan.runners.push({ name, slice, count });
    }
  }
  return [...plans.values()];
}

/** The argv form of a runner slice, as the master hands it to a worker process. */
export const sliceArg = (r: RunnerSlice): string => `${r.name}:${r.slice}:${r.count}`;

export function parseSliceArg(arg: string): RunnerSlice {
  const m = /^([a-z0-9_-]+):(\d+):(\d+)$/.exec(arg);
  if (!m) throw new Error(`bad runner slice "${arg}" (want NAME:SLICE:COUNT)`);
  return { name: m[1], slice: Number(m[2]), count: Number(m[3]) };
}

export const sliceId = (r: RunnerSlice): string => `${r.name}:${r.slice}`;
