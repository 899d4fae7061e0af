// What is waiting in each queue directory, read from the file names alone (no message is
// opened), for `mailman status`: a queue with mail and no runner to take it is mail the
// server acknowledged and is not handling.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface QueueBacklog {
  name: string;
  /** Messages waiting (.qmsg); claimed ones (.bak) are in a runner's hands. */
  count: number;
  /** Arrival time of the oldest, ms since the epoch. */
  oldest: number;
}

/**
 * Every queue directory under `queueDir` with messages waiting, by name. Dot-directories (the LMTP
 * spool) are not queues.
 */
export function queueBacklogs(queueDir: string): QueueBacklog[] {
  let names: string[];
  try {
    names = readdirSync(queueDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name);
  } catch {
    return [];
  }
  const out: QueueBacklog[] = [];
  for (const name of names.sort()) {
    let files: string[];
    try {
      files = readdirSync(join(queueDir, name)).filter((f) => f.endsWith('.qmsg'));
    } catch {
      continue;
    }
    if (!files.length) continue;
    let oldest = Infinity;
    for (const f of files) oldest = Math.min(oldest, arrival(join(queueDir, name, f), f));
    out.push({ name, count: files.length, oldest });
  }
  return out;
}

/** A queue file's name starts with its enqueue time in ms; anything else is dated by mtime. */
function arrival(path: string, file: string): number {
  const m = /^(\d{14})\./.exec(file);
  if (m) return Number(m[1]);
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** "45s", "12m", "3h 5m", "2d 4h": how long mail has waited. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
