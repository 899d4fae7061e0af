// The master's status file (run_dir/master.json) and how `mailman status` reads it: which
// runner slices are up, which fail at start, crash-loop or were given up on. Kept apart from
// the master so the CLI reads it without loading the master.

/** Restarts are counted within this window; past [runner.X] max_restarts the slice stays down. */
export const RESTART_WINDOW_MS = 10 * 60_000;
/** This many restarts within the window, even of a runner that is up now, is a crash loop. */
export const CRASH_LOOP_RESTARTS = 3;

export interface RunnerStatus {
  name: string;
  slice: number;
  count: number;
  /** The worker process hosting it (`queues:0`); runners of one process share its pid. */
  process?: string;
  pid: number | null;
  /** Restarts within the window (kept for readers of the first version of this file). */
  restarts: number;
  /** When each of those restarts happened, ISO 8601. */
  restarted_at?: string[];
  running: boolean;
  /** The current process said it was ready (its server listens, its queue is watched). */
  ready?: boolean;
  /** Exits in a row before the process was ready: a runner that cannot start. */
  failed_starts?: number;
  /** How it last stopped: its process's exit code or signal, or the error its loop died of. */
  last_exit?: { code: number | null; signal: string | null; at: string; before_ready: boolean; error?: string } | null;
  gave_up: boolean;
}

export interface MasterStatusFile {
  pid: number;
  started: string;
  runners: RunnerStatus[];
}

export type RunnerHealth = 'ok' | 'starting' | 'failing-at-start' | 'crash-looping' | 'down';

/** A runner slice's health and the line `mailman status` prints for it. */
export function describeRunner(r: RunnerStatus, now = Date.now()): { health: RunnerHealth; text: string } {
  const recent = r.restarted_at
    ? r.restarted_at.filter((t) => now - Date.parse(t) < RESTART_WINDOW_MS).length
    : r.restarts;
  const exit = r.last_exit
    ? r.last_exit.signal
      ? `killed by ${r.last_exit.signal}`
      : r.last_exit.error
        ? `error: ${r.last_exit.error.slice(0, 200)}`
        : `exit code ${r.last_exit.code}`
    : '';
  const failedStarts = r.failed_starts ?? 0;
  if (r.gave_up) {
    const why = r.last_exit?.before_ready
      ? `it failed at start ${failedStarts} time(s) in a row`
      : `it stopped ${r.restarts + 1} times within ${RESTART_WINDOW_MS / 60_000} minutes`;
    return {
      health: 'down',
      text:
        `DOWN: ${why}${exit ? ` (last: ${exit})` : ''}; the master gave up on it. See the error log, fix the ` +
        `cause, then "mailman restart"`,
    };
  }
  if (failedStarts > 0 && !r.ready) {
    return {
      health: 'failing-at-start',
      text:
        `FAILING AT START: exited ${failedStarts} time(s) before it was ready${exit ? ` (last: ${exit})` : ''}; ` +
        `the master keeps retrying. See the error log`,
    };
  }
  if (recent >= CRASH_LOOP_RESTARTS) {
    return {
      health: 'crash-looping',
      text:
        `CRASH-LOOPING: ${recent} restarts in the last ${RESTART_WINDOW_MS / 60_000} ` +
        `minutes${exit ? ` (last: ${exit})` : ''}${r.pid ? `; now pid ${r.pid}` : ''}`,
    };
  }
  const restarts = recent ? `, ${recent} restart(s) in the last ${RESTART_WINDOW_MS / 60_000} minutes` : '';
  if (!r.pid) return { health: 'starting', text: `restarting${restarts}` };
  // A file written by a master without `ready` counts a live pid as running.
  if (r.ready === false) return { health: 'starting', text: `starting, pid ${r.pid}${restarts}` };
  return { health: 'ok', text: `running, pid ${r.pid}${restarts}` };
}
