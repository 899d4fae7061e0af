// The switchboard: one directory per queue, one file per message. A write is durable before
// enqueue() resolves (tmp file, fsync, rename, fsync of the directory); a runner claims a file
// by renaming it to .bak and removes the .bak only once the message is safely elsewhere.
// Writes to one directory that are in flight together share its fsync (group commit, in
// durable-io.ts).
import { promises as fs, existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch, FSWatcher } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { currentHop, derivedBase, type Hop } from './hop.js';
import { directorySync, unlinkIfThere, writeAll, writeSmall, type DirectorySync } from './durable-io.js';
import { encodeQueueFile, encodeMetadataLine, decodeQueueFile, MsgData } from './qfile.js';
import { BAK, DONE, EXT, PEND, TMP } from './queue-files.js';
import { appendProgress, finishProgress } from './progress.js';
import { promotePending, recoverClaims } from './recovery.js';

export { MAX_BAK_COUNT } from './queue-files.js';

/**
 * Below this size a queue file is read and written with synchronous calls, fsync excepted:
 * from the page cache they take microseconds, where each call through libuv's thread pool
 * costs a round trip and a wake-up of the loop. Larger files keep the loop free.
 */
const SYNC_IO_BYTES = 256 << 10;
/** Copy buffer for enqueueFrom: large enough to be quick, small next to any message limit. */
const COPY_CHUNK = 1 << 20;
let sequence = 0;

export interface QueueEntry {
  raw: Buffer;
  msgdata: MsgData;
}

export class Switchboard {
  readonly dir: string;
  private readonly dirSync: DirectorySync;

  /** Syncs the queue directory, so renames and removals in it survive a crash. */
  syncDirectory(): Promise<void> {
    return this.dirSync.sync();
  }

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

  /** Whether a file is this slice's to take (its hash falls in the slice). */
  inSlice(base: string): boolean {
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
    await Promise.all((hop?.pending ?? []).map(promotePending));
    // Last: a crash in between leaves a sidecar without a message, which recover() drops;
    // the other order could leave a message without its progress and re-send it whole.
    // Only a sidecar this process wrote can be here: recover() removed any older one.
    await finishProgress(join(this.dir, base + DONE));
  }

  /**
   * Records recipients of a claimed message as done (delivered, or refused for good), so
   * that recover() puts the message back with only the others (see progress.ts).
   */
  recordDone(base: string, recipients: readonly string[]): void {
    appendProgress(join(this.dir, base + DONE), recipients);
  }

  /**
   * At start-up, puts this slice's claimed files back in the queue, or in `shunt` when they
   * keep crashing their runner (see recovery.ts). Returns what was done, for the log.
   */
  recover(shunt: Switchboard, opts: { blame?: boolean } = {}): Promise<{ requeued: number; shunted: number }> {
    return recoverClaims(this, shunt, opts);
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
