// A claimed message's progress: the `.done` sidecar beside its `.bak`, one recipient a line,
// written after each SMTP transaction so a runner killed mid-message re-sends only to the
// recipients no transaction settled (recovery.ts reads it back). The descriptors of the
// sidecars this process writes stay open until the message is finished.
import { promises as fs, closeSync, openSync, writeSync } from 'node:fs';
import { unlinkIfThere } from './durable-io.js';

/** The sidecars written in this process, with their open descriptors. */
const sidecars = new Map<string, number>();

/**
 * Appends recipients as done. A plain append without fsync: a killed process leaves its writes
 * in the page cache, so this holds against SIGKILL at any instant; after a machine crash the
 * record may be short and some recipients get the message twice, which is the safe way to
 * fail (never lost). A line cut short by a kill mid-write has no newline and is ignored.
 */
export function appendProgress(file: string, recipients: readonly string[]): void {
  // Synchronous on purpose: an async append waits its turn in libuv's thread pool behind
  // the fsyncs of every queue write in this process, and each millisecond it waits is a
  // millisecond in which a kill re-sends what the MTA already has.
  // The file stays open until finishProgress(): a personalised post records one line per
  // copy, and an open and a close around each append cost more than the write itself.
  if (!recipients.length) return;
  let fd = sidecars.get(file);
  if (fd === undefined) sidecars.set(file, (fd = openSync(file, 'a')));
  const line = Buffer.from(recipients.join('\n') + '\n');
  for (let at = 0; at < line.length;) at += writeSync(fd, line, at);
}

/** What appendProgress() wrote, whole lines only; undefined when there is no sidecar. */
export async function readProgress(file: string): Promise<Set<string> | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a line a kill cut short
  return new Set(lines);
}

/**
 * The message is done: its sidecar goes. Only one this process wrote can be there, since
 * recovery removed any older one.
 */
export async function finishProgress(file: string): Promise<void> {
  const fd = sidecars.get(file);
  if (fd === undefined) return;
  sidecars.delete(file);
  closeSync(fd);
  await unlinkIfThere(file);
}

/**
 * Removes a sidecar at recovery. A runner restarted within its process recovers what it held
 * when it failed: the descriptor its last run kept open is closed here, or the next run of
 * that message would append to the removed file and its progress would be lost.
 */
export async function removeProgress(file: string): Promise<void> {
  const fd = sidecars.get(file);
  if (fd !== undefined) {
    sidecars.delete(file);
    closeSync(fd);
  }
  await fs.rm(file, { force: true });
}
