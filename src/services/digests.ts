// A list's digest between posts and the digest runner. Posts collect in the list's MMDF
// mailbox (var/lists/LISTID/digest.mmdf); "sending the digest now" moves the mailbox aside
// as that issue's file (digest.VOLUME.NUMBER.mmdf), moves the list's numbering on, and queues
// a trigger naming the issue to the `digest` queue, where the runner builds and sends it. The
// to-digest handler (by size), `mailman digests` and REST all send through sendDigestNow().
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { withFileLock } from '../queue/file-lock.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { MailingList } from '../model/entities.js';
import type { Services } from './services.js';
import { logger } from '../logging.js';

export const DIGEST_MAILBOX = 'digest.mmdf';
/** An issue's file: digest.VOLUME.NUMBER.mmdf. */
export const ISSUE_FILE = /^digest\.(\d{1,9})\.(\d{1,9})\.mmdf$/;
/** Beside an issue's file once its digests are queued: the issue needs no sending again. */
export const SENT_SUFFIX = '.sent';

const log = logger('digest');

export function listDataDir(config: Config, listId: string): string {
  return join(config.path('paths', 'list_data_dir'), listId);
}

export function digestMailbox(config: Config, listId: string): string {
  return join(listDataDir(config, listId), DIGEST_MAILBOX);
}

export function issueMailbox(config: Config, listId: string, volume: number, number: number): string {
  return join(listDataDir(config, listId), `digest.${volume}.${number}.mmdf`);
}

/**
 * Appends one MMDF entry to the list's mailbox; returns the mailbox's size after it. The
 * append holds the list's digest lock, the lock sendDigestNow() moves the mailbox under: an
 * append opened just before the move would otherwise write into the issue after the digest
 * runner read it (a post lost), or be split from the posts it came with.
 */
export async function appendToDigest(config: Config, listId: string, entry: Buffer): Promise<number> {
  const file = digestMailbox(config, listId);
  return withDigestLock(config, listId, async () => {
    const fh = await open(file, 'a');
    try {
      await fh.write(entry);
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  });
}

export interface DigestNumbering {
  volume: number;
  next_digest_number: number;
  digest_last_sent_at: Date;
}

/** ISO 8601 week-numbering year and week of a UTC date. */
function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return t.getUTCFullYear() * 100 + Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

/** The period a time falls in, under digest_volume_frequency: a new period is a new volume. */
function period(frequency: string, d: Date): number {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (frequency) {
    case 'yearly':
      return y;
    case 'quarterly':
      return y * 10 + Math.floor(m / 3);
    case 'weekly':
      return isoWeek(d);
    case 'daily':
      return Math.floor(Date.UTC(y, m, d.getUTCDate()) / 86_400_000);
    default: // monthly, Mailman's default
      return y * 100 + m;
  }
}

/**
 * The numbering after one more issue: a new volume (numbered from 1) when the period of
 * digest_volume_frequency has turned since digest_last_sent_at, else the next number.
 */
export function bumpedNumbering(mlist: MailingList, now = new Date()): DigestNumbering {
  const last = mlist.digest_last_sent_at ? new Date(mlist.digest_last_sent_at as string | Date) : null;
  const frequency = String(mlist.digest_volume_frequency ?? 'monthly');
  const newVolume = last !== null && !Number.isNaN(last.getTime()) && period(frequency, now) > period(frequency, last);
  return newVolume
    ? { volume: mlist.volume + 1, next_digest_number: 1, digest_last_sent_at: now }
    : { volume: mlist.volume, next_digest_number: mlist.next_digest_number + 1, digest_last_sent_at: now };
}

/** One sender at a time per list, across processes (the pipeline runner, the CLI, REST). */
export async function withDigestLock<T>(config: Config, listId: string, fn: () => Promise<T>): Promise<T> {
  const dir = listDataDir(config, listId);
  // Made again each time: the directory goes with a deleted list of the same name.
  await mkdir(dir, { recursive: true });
  return withFileLock(join(dir, 'digest.lock'), fn);
}

/** Moves the list's numbering on by one issue (`mailman digests --bump`, REST bump). */
export async function bumpDigestNumber(services: Services, mlist: MailingList): Promise<DigestNumbering> {
  return withDigestLock(services.config, mlist.list_id, async () => {
    const fresh = (await services.lists.get(mlist.list_id)) ?? mlist;
    const next = bumpedNumbering(fresh);
    await services.lists.update(fresh, { ...next });
    Object.assign(mlist, next);
    return next;
  });
}

export interface DigestSent {
  list_id: string;
  volume: number;
  digest_number: number;
  /** The mailbox's size when it was moved aside. */
  bytes: number;
}

/** The trigger the digest runner takes: no message of its own, only the issue it names. */
export async function queueIssue(services: Services, listId: string, volume: number, number: number): Promise<void> {
  const path = issueMailbox(services.config, listId, volume, number);
  await services.queues.get('digest').enqueue(Buffer.from(`X-Mailman-Digest: ${volume}.${number}\r\n\r\n`), {
    listid: listId,
    digest_path: path,
    volume,
    digest_number: number,
  });
}

/**
 * Sends the list's digest when its mailbox has reached digest_size_threshold KB (0: never by
 * size), or, with `force`, whenever it holds anything. Returns the issue sent, or null.
 */
export async function sendDigestNow(
  services: Services,
  mlist: MailingList,
  opts: { force?: boolean } = {},
): Promise<DigestSent | null> {
  const { config } = services;
  const mailbox = digestMailbox(config, mlist.list_id);
  return withDigestLock(config, mlist.list_id, async () => {
    const size = await stat(mailbox).then(
      (s) => s.size,
      () => 0,
    );
    const threshold = Number(mlist.digest_size_threshold ?? 0);
    const bySize = threshold > 0 && size >= threshold * 1024;
    if (!(bySize || (opts.force && size > 0))) return null;
    // Read again under the lock: another process may have sent an issue since `mlist` was read.
    let fresh = (await services.lists.get(mlist.list_id)) ?? mlist;
    // The numbering moves on first: a crash before the rename skips a number and loses nothing.
    // An issue's file already there (an older crash) is never written over: the next number is taken.
    for (let tries = 0; ; tries++) {
      const { volume, next_digest_number: number } = fresh;
      const next = bumpedNumbering(fresh);
      await services.lists.update(fresh, { ...next });
      const dest = issueMailbox(config, mlist.list_id, volume, number);
      if (existsSync(dest)) {
        if (tries >= 100) throw new Error(`no free digest issue number for ${mlist.list_id}`);
        log.warn({ list: mlist.list_id, volume, number }, 'digest issue file exists already; taking the next number');
        continue;
      }
      await rename(mailbox, dest);
      await queueIssue(services, mlist.list_id, volume, number);
      Object.assign(mlist, next);
      return { list_id: mlist.list_id, volume, digest_number: number, bytes: size };
    }
  });
}
