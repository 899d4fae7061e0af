// The names of a queue's files: a message waiting (.qmsg), claimed by a runner (.bak), being
// written (.tmp), written by a hop not yet finished (.pend), and a claimed message's progress
// (.done). Shared by the switchboard and its recovery.

export const EXT = '.qmsg';
export const BAK = '.bak';
export const TMP = '.tmp';
/**
 * A .tmp this old is removed at recovery. No write of ours takes a minute, but LMTP may have
 * recorded a written `.tmp` as received the instant before a kill (recent-arrivals.ts) and
 * puts it in the queue when the MTA offers it again: kept well past that record's window.
 */
export const STALE_TMP_MS = 2 * 60 * 60_000;
/** Written by a hop whose runner has not yet dropped its claim: see hop.ts. */
export const PEND = '.pend';
/** Progress sidecar of a claimed file: the recipients already done, one per line. */
export const DONE = '.done';
/** After this many recoveries a message is presumed to crash its runner, and is shunted. */
export const MAX_BAK_COUNT = 3;
