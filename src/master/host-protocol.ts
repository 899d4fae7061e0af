// The messages between the master and its worker processes over the fork IPC channel.
// Runners are named `NAME:SLICE`; a start carries `NAME:SLICE:COUNT`.

export type HostToMaster =
  /** The runner works: its server listens, its queue is watched. */
  | { type: 'ready'; runner: string }
  /** The runner could not start, or its loop died; the process itself goes on. */
  | { type: 'exited'; runner: string; beforeReady: boolean; error: string };

/** Start (again) a runner slice the process hosts, after the master's back-off. */
export type MasterToHost = { type: 'start'; runner: string };
