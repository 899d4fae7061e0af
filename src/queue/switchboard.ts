// The switchboard: one directory per queue, one file per message. A write is durable before
// enqueue() resolves (tmp file, fsync, rename, fsync of the directory); a runner claims a file
// by renaming it to .bak and removes the .bak only once the message is safely elsewhere.
// Writes to one directory that are in flight together share its fsync (group commit, in
// durable-io.ts).
import {
  promises as fs,
  closeSync,
  openSync,
  writeSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  watch,
  FSWatcher,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { currentHop, derivedBase, type Hop } from './hop.js';
import { directorySync, unlinkIfThere, writeAll, writeSmall, type DirectorySync } from './durable-io.js';
import { encodeQueueFile, encodeMetadataLine, decodeQueueFile, MsgData } from './qfile.js';

const EXT = '.qmsg';
const BAK = '.bak';
const TMP = '.tmp';
/**
 * A .tmp this old is removed at recovery. No write of ours takes a minute, but LMTP may have
 * recorded a written `.tmp` as received the instant before a kill (recent-arrivals.ts) and
 * puts it in the queue when the MTA offers it again: kept well past that record's window.
 */
const STALE_TMP_MS = 2 * 60 * 60_000;
/** Written by a hop whose runner has not yet dropped its claim: see hop.ts. */
const PEND = '.pend';
/** Progress sidecar of a claimed file: the recipients already done, one per line. */
const DONE = '.done';
/**
 * Below this size a queue file is read and written with synchronous calls, fsync excepted:
 * from the page cache they take microseconds, where each call through libuv's thread pool
 * costs a round trip and a wake-up of the loop. Larger files keep the loop free.
 */
const SYNC_IO_BYTES = 256 << 10;
/** Copy buffer for enqueueFrom: large enough to be quick, small next to any message limit. */
const COPY_CHUNK = 1 << 20;
/** After this many recoveries a message is presumed to crash its runner, and is shunted. */
export const MAX_BAK_COUNT = 3;

let sequence = 0;

export interface QueueEntry {
  raw: Buffer;
  msgdata: MsgData;
}

export class Switchboard {
  readonly dir: string;
  private readonly dirSync: DirectorySync;

  constructor(
    readonly name: string,
    queueDir: string,
    readonly slice = 0,
    readonly count = 1,
  ) {
    if (count < 1 || (count & (count - 1)) !== 0)
      throw new Error(`[runner.${name}] instances must be a power of 2, not ${count}`);
    this.dir = join(queueDir, name);
    mkdirSync(this.dir, { recursive: true });
    this.dirSync = directorySync(this.dir);
  }

  /**
   * Writes a message durably and returns its file base (name without extension).
   * `beforeCommit` is told the file's base once its bytes are synced and before it is renamed
   * into the queue: LMTP records the message as received there (see commitTmp()).
   * `notBefore` (epoch ms) names the file for that time: runners pass it by until then (see
   * isDue), so a message waiting to be tried again holds up nothing queued behind it.
   */
  async enqueue(
    raw: Buffer,
    msgdata: MsgData,
    opts: { beforeCommit?: (base: string) => void; notBefore?: number } = {},
  ): Promise<string> {
    // Encoded only once write() has added the hop's origin to the metadata.
    if (raw.length < SYNC_IO_BYTES)
      return this.write(
        raw,
        msgdata,
        { small: () => encodeQueueFile(raw, msgdata) },
        opts.beforeCommit,
        opts.notBefore,
      );
    return this.write(
      raw,
      msgdata,
      async (fh) => {
        await fh.writeFile(encodeQueueFile(raw, msgdata));
      },
      opts.beforeCommit,
      opts.notBefore,
    );
  }

  /**
   * Puts in the queue a file that enqueue() wrote and synced and whose `beforeCommit` ran,
   * but whose rename a kill prevented. Returns false when there is no such `.tmp` (it was
   * renamed, and may have been handled since).
   */
  async commitTmp(base: string): Promise<boolean> {
    try {
      await fs.rename(join(this.dir, base + TMP), join(this.dir, base + EXT));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await this.dirSync.sync();
    return true;
  }

  /**
   * Like enqueue(), for a message that is on disk rather than in memory (a large LMTP
   * message spooled as it arrived): `head`, then the bytes of `file` from `offset`, copied
   * a chunk at a time so the message is never whole in this process's memory.
   */
  async enqueueFrom(head: Buffer, file: string, offset: number, msgdata: MsgData): Promise<string> {
    return this.write(head, msgdata, async (fh) => {
      await writeAll(fh, encodeMetadataLine(msgdata));
      await writeAll(fh, head);
      const src = await fs.open(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(COPY_CHUNK);
        for (let pos = offset; ;) {
          const { bytesRead } = await src.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) break;
          await writeAll(fh, buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
      } finally {
        await src.close();
      }
    });
  }

  /** The durable write both enqueues share: tmp file, fsync, rename, fsync of the directory. */
  private async write(
    seed: Buffer,
    msgdata: MsgData,
    fill: { small: () => Buffer } | ((fh: FileHandle) => Promise<void>),
    beforeCommit?: (base: string) => void,
    notBefore?: number,
  ): Promise<string> {
    const hop = currentHop();
    const derived = hop && derivedBase(hop, this.name);
    if (hop && derived) {
      const pend = join(this.dir, derived + PEND);
      // The hop's second pass (its runner was killed before dropping its claim): what the
      // first pass wrote is here already, or was promoted and is being handled.
      if (existsSync(pend)) {
        hop.pending.push(pend);
        return derived;
      }
      if (existsSync(join(this.dir, derived + EXT)) || existsSync(join(this.dir, derived + BAK))) return derived;
      msgdata._hop_from = `${hop.queue}/${hop.base}`;
    }
    const now = Math.max(Date.now(), Math.floor(notBefore ?? 0));
    const hash = createHash('sha1')
      .update(seed)
      .update(String(msgdata.listid ?? ''))
      .update(`${now}.${process.pid}.${sequence}`)
      .digest('hex');
    // Millisecond time then a per-process sequence: name order is arrival order.
    const base =
      derived ?? `${String(now).padStart(14, '0')}.${String(sequence++ % 1_000_000).padStart(6, '0')}+${hash}`;
    const tmp = join(this.dir, base + TMP);
    if (typeof fill !== 'function') await writeSmall(tmp, fill.small());
    else {
      const fh = await fs.open(tmp, 'w');
      try {
        await fill(fh);
        await fh.sync();
      } catch (err) {
        await fh.close().catch(() => undefined);
        await fs.rm(tmp, { force: true });
        throw err;
      }
      await fh.close();
    }
    beforeCommit?.(base);
    await fs.rename(tmp, join(this.dir, base + (hop ? PEND : EXT)));
    await this.dirSync.sync();
    if (hop) hop.pending.push(join(this.dir, base + PEND));
    return base;
  }

  /** The time (epoch ms) a file base is named for: when it arrived, or when it may be tried again. */
  static dueAt(base: string): number {
    return Number(base.slice(0, 14)) || 0;
  }

  /** The file bases in this slice, oldest first. */
  files(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith(EXT))
      .map((n) => n.slice(0, -EXT.length))
      .filter((b) => this.inSlice(b))
      .sort();
  }

  /**
   * Removes a waiting file (an administrator's DELETE over REST). False when there is no such
   * file waiting: one a runner has claimed is its to finish.
   */
  async remove(base: string): Promise<boolean> {
    if (!this.files().includes(base)) return false;
    try {
      await fs.unlink(join(this.dir, base + EXT));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await this.dirSync.sync();
    return true;
  }

  /** A waiting file's size in bytes, or -1 once it is gone (claimed by another). */
  size(base: string): number {
    try {
      return statSync(join(this.dir, base + EXT)).size;
    } catch {
      return -1;
    }
  }

  private inSlice(base: string): boolean {
    if (this.count === 1) return true;
    const hash = base.slice(base.indexOf('+') + 1);
    const top = parseInt(hash.slice(0, 8), 16);
    return Math.floor((top * this.count) / 0x1_0000_0000) === this.slice;
  }

  /** Claims a message: renamed to .bak first, so a crash mid-work leaves it recoverable. */
  async dequeue(base: string, sizeHint = Infinity): Promise<QueueEntry> {
    const bak = join(this.dir, base + BAK);
    await fs.rename(join(this.dir, base + EXT), bak);
    return decodeQueueFile(sizeHint < SYNC_IO_BYTES ? readFileSync(bak) : await fs.readFile(bak));
  }

  /**
   * The message is safely elsewhere (or delivered): drop the claim, then promote what the
   * hop wrote, then drop its progress. A kill between any two steps is safe: without the
   * claim, recover() promotes the hop's `.pend` files and drops the sidecar.
   */
  async finish(base: string, hop?: Hop): Promise<void> {
    await unlinkIfThere(join(this.dir, base + BAK));
    // The claim is gone: what the hop wrote becomes the next queues' to take.
    await Promise.all((hop?.pending ?? []).map(promote));
    // Last: a crash in between leaves a sidecar without a message, which recover() drops;
    // the other order could leave a message without its progress and re-send it whole.
    // Only a sidecar this process wrote can be here: recover() removed any older one.
    const done = join(this.dir, base + DONE);
    const fd = sidecars.get(done);
    if (fd !== undefined) {
      sidecars.delete(done);
      closeSync(fd);
      await unlinkIfThere(done);
    }
  }

  /**
   * Records recipients of a claimed message as done (delivered, or refused for good), so
   * that recover() puts the message back with only the others. A plain append without
   * fsync: a killed process leaves its writes in the page cache, so this holds against
   * SIGKILL at any instant; after a machine crash the record may be short and some
   * recipients get the message twice, which is the safe way to fail (never lost). A line
   * cut short by a kill mid-write has no newline and is ignored.
   */
  async recordDone(base: string, recipients: readonly string[]): Promise<void> {
    // Synchronous on purpose: an async append waits its turn in libuv's thread pool behind
    // the fsyncs of every queue write in this process, and each millisecond it waits is a
    // millisecond in which a kill re-sends what the MTA already has.
    // The file stays open until finish(): a personalised post records one line per copy, and
    // an open and a close around each append cost more than the write itself.
    if (!recipients.length) return;
    const file = join(this.dir, base + DONE);
    let fd = sidecars.get(file);
    if (fd === undefined) sidecars.set(file, (fd = openSync(file, 'a')));
    const line = Buffer.from(recipients.join('\n') + '\n');
    for (let at = 0; at < line.length;) at += writeSync(fd, line, at);
  }

  /** What recordDone() wrote for a file, whole lines only. */
  private async doneOf(base: string): Promise<Set<string> | undefined> {
    let text: string;
    try {
      text = await fs.readFile(join(this.dir, base + DONE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a line a kill cut short
    return new Set(lines);
  }

  /**
   * At start-up, puts this slice's claimed files back in the queue. A file that keeps coming
   * back (its runner crashed MAX_BAK_COUNT times on it, when `blame` says the runner crashed
   * rather than was killed from outside) goes to `shunt` so the queue moves on;
   * `mailman unshunt` can retry it. Returns what was done, for the log.
   */
  async recover(shunt: Switchboard, opts: { blame?: boolean } = {}): Promise<{ requeued: number; shunted: number }> {
    const blame = opts.blame ?? true;
    let requeued = 0;
    let shunted = 0;
    const names = readdirSync(this.dir);
    const present = new Set(names);
    for (const name of names) {
      if (name.endsWith(DONE)) {
        // Progress whose message is gone (finished, or crashed between the two removals).
        const base = name.slice(0, -DONE.length);
        if (this.inSlice(base) && !present.has(base + BAK) && !present.has(base + EXT))
          await removeSidecar(join(this.dir, name));
        continue;
      }
      if (name.endsWith(PEND)) {
        // A hop's file whose runner dropped its claim and was killed before renaming it:
        // promote it, unless the claim is still there (that runner will redo the hop).
        if (!(await this.upstreamClaimed(join(this.dir, name)))) {
          if (await promote(join(this.dir, name))) requeued++;
        }
        continue;
      }
      if (name.endsWith(TMP)) {
        // A write that never completed was never acknowledged to anyone. One still being
        // written (by a runner of this process that started first, or by LMTP) is young:
        // left alone, and a later recovery takes it if its writer died.
        const path = join(this.dir, name);
        try {
          if (Date.now() - statSync(path).mtimeMs > STALE_TMP_MS) await fs.rm(path, { force: true });
        } catch {
          /* gone meanwhile: it was being written */
        }
        continue;
      }
      if (!name.endsWith(BAK)) continue;
      const base = name.slice(0, -BAK.length);
      if (!this.inSlice(base)) continue;
      const path = join(this.dir, name);
      if (!blame && !present.has(base + DONE)) {
        // Nothing suggests this message hurt anyone: it goes back as it was, strikes unchanged.
        await fs.rename(path, join(this.dir, base + EXT));
        requeued++;
        continue;
      }
      let entry: QueueEntry;
      try {
        entry = decodeQueueFile(await fs.readFile(path));
      } catch (err) {
        // Unreadable metadata: keep the bytes in shunt rather than lose them.
        const raw = await fs.readFile(path);
        await shunt.enqueue(raw, {
          whichq: this.name,
          shunt_reason: `unreadable queue file: ${(err as Error).message}`,
        });
        await fs.rm(path);
        shunted++;
        continue;
      }
      // Strikes only when the runner crashed: see `blame` above.
      const count = (entry.msgdata._bak_count ?? 0) + (blame ? 1 : 0);
      const msgdata: MsgData = blame ? { ...entry.msgdata, _bak_count: count } : { ...entry.msgdata };
      const done = await this.doneOf(base);
      if (done && Array.isArray(msgdata.recipients))
        msgdata.recipients = (msgdata.recipients as string[]).filter((r) => !done.has(r));
      if (blame && count >= MAX_BAK_COUNT) {
        await shunt.enqueue(entry.raw, {
          ...msgdata,
          whichq: this.name,
          shunt_reason: `its ${this.name} runner stopped ${count} times while handling it`,
        });
        await fs.rm(path);
        if (done) await removeSidecar(join(this.dir, base + DONE));
        shunted++;
      } else {
        const data = encodeQueueFile(entry.raw, msgdata);
        const tmp = join(this.dir, base + TMP);
        await fs.writeFile(tmp, data);
        const fh = await fs.open(tmp, 'r+');
        await fh.sync();
        await fh.close();
        await fs.rename(tmp, join(this.dir, base + EXT));
        await fs.rm(path, { force: true });
        // Only now: the requeued file no longer names the recipients it records.
        if (done) await removeSidecar(join(this.dir, base + DONE));
        requeued++;
      }
    }
    if (requeued || shunted) await this.dirSync.sync();
    return { requeued, shunted };
  }

  /** Whether the queue file that wrote this `.pend` is still claimed (or waiting) upstream. */
  private async upstreamClaimed(pend: string): Promise<boolean> {
    let from: unknown;
    try {
      from = decodeQueueFile(await fs.readFile(pend)).msgdata._hop_from;
    } catch {
      return false;
    }
    const m = typeof from === 'string' ? /^([a-z0-9_-]+)\/([0-9.]+\+[0-9a-f]+)$/.exec(from) : null;
    if (!m) return false;
    const dir = join(this.dir, '..', m[1]);
    return existsSync(join(dir, m[2] + BAK)) || existsSync(join(dir, m[2] + EXT));
  }

  /** Calls back whenever a file may have arrived; the runner still scans, this only wakes it. */
  watch(onChange: () => void): FSWatcher {
    // Only a name that a runner could take wakes it: this process's own temporary files,
    // claims and removals would otherwise make every runner rescan its directory.
    return watch(this.dir, { persistent: false }, (_event, name) => {
      if (!name || name.endsWith(EXT)) onChange();
    });
  }
}

/**
 * A hop's `.pend` becomes `.qmsg`. Two may try: the runner that wrote it, once its claim is
 * gone, and the recovery of a runner starting beside it in the same process, which sees no
 * claim; the first rename wins, and the other finds nothing left to do. Returns whether
 * this call promoted it.
 */
async function promote(pend: string): Promise<boolean> {
  try {
    await fs.rename(pend, pend.slice(0, -PEND.length) + EXT);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * The `.done` sidecars recordDone() wrote in this process, with their open descriptors, so
 * finish() closes and unlinks only those.
 */
const sidecars = new Map<string, number>();

/**
 * Removes a sidecar at recovery. A runner restarted within its process recovers what it held
 * when it failed: the descriptor its last run kept open is closed here, or the next run of
 * that message would append to the removed file and its progress would be lost.
 */
async function removeSidecar(file: string): Promise<void> {
  const fd = sidecars.get(file);
  if (fd !== undefined) {
    sidecars.delete(file);
    closeSync(fd);
  }
  await fs.rm(file, { force: true });
}

/** All switchboards by queue name, for a process that writes to several queues. */
export class Switchboards {
  private readonly boards = new Map<string, Switchboard>();
  constructor(readonly queueDir: string) {}
  get(name: string): Switchboard {
    let sb = this.boards.get(name);
    if (!sb) this.boards.set(name, (sb = new Switchboard(name, this.queueDir)));
    return sb;
  }
}

export const QUEUE_NAMES = [
  'in',
  'pipeline',
  'out',
  'virgin',
  'retry',
  'shunt',
  'bad',
  'command',
  'bounces',
  'archive',
  'digest',
  'nntp',
] as const;
