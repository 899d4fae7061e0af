// Messages the LMTP runner queued lately, so that an MTA re-sending one it never heard us
// acknowledge (we were killed after the queue file was safe and before the 250 went out)
// gets its 250 without the post going to the list twice. An MTA re-sends the same bytes to
// the same recipients; anything new differs at least in its Received header, so an exact
// match of envelope sender, bytes and list is a re-send and nothing else.
//
// A message is recorded with the name of its queue file once that file is written and
// synced, and before it is renamed into the queue: so there is no instant in which it is in
// the queue unrecorded. A kill between the record and the rename leaves a complete `.tmp`;
// the re-send finds the record and puts that file in the queue then (Switchboard.commitTmp),
// so nothing recorded is ever lost either.
//
// Kept in memory and in an append-only file in run_dir, written without fsync: the
// page cache outlives a killed process, which is the case this is for; after a machine crash
// the worst outcome is a post delivered twice, as before. Bounded in entries and in age.
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../queue/atomic-file.js';
import { createHash } from 'node:crypto';

/**
 * Long enough for an MTA's retry after our restart (Postfix: minutes), short enough to stay
 * small; well inside the age at which queue recovery removes a `.tmp` (STALE_TMP_MS), so a
 * recorded file is still there when its re-send comes.
 */
const WINDOW_MS = 60 * 60_000;
const MAX_ENTRIES = 20_000;
/** Read at start: at most this much of the file's end. */
const MAX_READ = 4 << 20;

export class RecentArrivals {
  private readonly seen = new Map<string, { at: number; file?: string }>();
  private fd: number;
  private appended = 0;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.load();
    this.fd = openSync(file, 'a');
  }

  /** The key of one message for one list queue: what a re-send would repeat exactly. */
  static key(envelopeFrom: string, raw: Buffer, target: string): string {
    return createHash('sha256')
      .update(envelopeFrom)
      .update('\0')
      .update(target)
      .update('\0')
      .update(raw)
      .digest('base64url')
      .slice(0, 32);
  }

  has(key: string, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  /** The record of a message seen in the window: when, and the queue file it went to. */
  get(key: string, now = Date.now()): { at: number; file?: string } | undefined {
    const entry = this.seen.get(key);
    return entry && now - entry.at < WINDOW_MS ? entry : undefined;
  }

  /** Call once the queue file is written and synced, before it enters the queue and before the reply. */
  add(key: string, now = Date.now(), file?: string): void {
    this.seen.delete(key); // re-inserted last: Map order is age order
    this.seen.set(key, { at: now, file });
    if (this.seen.size > MAX_ENTRIES) this.seen.delete(this.seen.keys().next().value as string);
    appendFileSync(this.fd, line(key, this.seen.get(key)!));
    // The file is rewritten once per MAX_ENTRIES appends, never per add once the map is full.
    if (++this.appended > MAX_ENTRIES) this.compact(now);
  }

  close(): void {
    closeSync(this.fd);
  }

  private load(): void {
    let text = '';
    try {
      const size = statSync(this.file).size;
      const buf = readFileSync(this.file);
      text = buf.subarray(Math.max(0, size - MAX_READ)).toString('latin1');
    } catch {
      return;
    }
    const now = Date.now();
    for (const line of text.split('\n')) {
      const m = /^(\d{1,15}) ([A-Za-z0-9_-]{32})(?: ([0-9.]{1,40}\+[0-9a-f]{40}))?$/.exec(line);
      if (m && now - Number(m[1]) < WINDOW_MS) this.seen.set(m[2], { at: Number(m[1]), file: m[3] });
    }
    this.trim(now);
  }

  private trim(now: number): void {
    for (const [key, { at }] of this.seen) {
      if (this.seen.size <= MAX_ENTRIES && now - at < WINDOW_MS) break;
      this.seen.delete(key);
    }
  }

  /** Rewrites the file with what is still in the window, so it never grows without bound. */
  private compact(now: number): void {
    this.trim(now);
    writeFileAtomically(this.file, [...this.seen].map(([k, entry]) => line(k, entry)).join(''));
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.appended = 0;
  }
}

const line = (key: string, entry: { at: number; file?: string }) =>
  `${entry.at} ${key}${entry.file ? ` ${entry.file}` : ''}\n`;
