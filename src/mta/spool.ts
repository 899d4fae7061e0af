// Receives one LMTP DATA transfer onto disk as it arrives, so a large message never sits
// whole in the LMTP process's memory. Only the header block is kept in memory (it is
// stamped and re-written); the body is copied from the spool file into each queue file.
// The spool file needs no fsync: the queue files made from it are fsynced before 250.
// A message within the memory limit the caller gives never gets a spool file at all: most
// posts are a few kilobytes, and creating, re-reading and removing a file for each costs
// more than the queue write itself.
import { promises as fs, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';

/** A header block larger than this is not a header block: the message is shunted whole. */
export const MAX_HEADER_BYTES = 1 << 20;

export interface SpooledMessage {
  /**
   * The spool file holding every byte received (none once the size limit was passed); absent when
   * `data` holds them.
   */
  file?: string;
  /** Every byte received, for a message that stayed within the memory limit. */
  data?: Buffer;
  /** Bytes received. */
  size: number;
  /** True when `size` went over the limit; nothing past the limit was written. */
  oversize: boolean;
  hasNul: boolean;
  /**
   * The header block as received, blank line included, and where the body starts in the
   * file; undefined when no header block ends within MAX_HEADER_BYTES.
   */
  header?: Buffer;
  bodyOffset?: number;
}

let sequence = 0;

/** The spool directory, emptied of files left by LMTP processes that are gone. */
export function openSpoolDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    const pid = Number(name.split('.')[0]);
    // A transfer that was cut off by a crash was never acknowledged: the MTA still has it.
    if (!Number.isInteger(pid) || !isAlive(pid)) rmSync(join(dir, name), { force: true });
  }
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads the DATA stream to its end: into memory while it is within `memoryLimit` bytes,
 * into a new spool file from the chunk that passes it (0: a file from the start). Past
 * `maxSize` (0: no limit) the rest is read and dropped, so the session stays in step and can
 * answer 552. The caller removes the file; on error it is removed here.
 */
export async function spoolMessage(
  stream: Readable,
  dir: string,
  maxSize: number,
  memoryLimit = 0,
): Promise<SpooledMessage> {
  const file = join(dir, `${process.pid}.${Date.now()}.${sequence++}`);
  const scan = new HeaderScanner();
  let size = 0;
  let oversize = false;
  let hasNul = false;
  // A failed open or write (disk full) must not stop the reading: the client is still
  // sending, and only once its final dot is read can each RCPT be answered 451 in step.
  let writeError: unknown;
  let fh: FileHandle | undefined;
  let held: Buffer[] | undefined = [];
  const write = async (chunk: Buffer) => {
    for (let done = 0; done < chunk.length;) done += (await fh!.write(chunk, done, chunk.length - done)).bytesWritten;
  };
  const openFile = async () => {
    try {
      fh = await fs.open(file, 'w');
    } catch (err) {
      writeError = err;
    }
  };
  if (memoryLimit <= 0) {
    held = undefined;
    await openFile();
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (oversize || writeError) continue;
      try {
        if (maxSize > 0 && size > maxSize) {
          oversize = true;
          held = held && [];
          await fh?.truncate(0);
          continue;
        }
        if (!hasNul && chunk.includes(0)) hasNul = true;
        scan.push(chunk);
        if (held && size <= memoryLimit) {
          held.push(chunk);
          continue;
        }
        if (held) {
          // Over the memory limit: what was held goes to the file first.
          await openFile();
          if (writeError) continue;
          for (const h of held) await write(h);
          held = undefined;
        }
        await write(chunk);
      } catch (err) {
        writeError = err;
      }
    }
    if (writeError) throw writeError;
  } catch (err) {
    await fh?.close().catch(() => undefined);
    if (fh || memoryLimit <= 0) await fs.rm(file, { force: true });
    throw err;
  }
  await fh?.close();
  const end = oversize ? undefined : scan.headerEnd(size);
  const where = held ? { data: Buffer.concat(held) } : { file };
  return {
    ...where,
    size,
    oversize,
    hasNul,
    ...(end === undefined ? {} : { header: scan.prefix().subarray(0, end), bodyOffset: end }),
  };
}

/**
 * Finds where the header block ends, as Message splits a message: a message starting with
 * a blank line has no header; otherwise the first CRLFCRLF or LFLF, whichever comes first;
 * with neither, a message that is all header. Keeps at most MAX_HEADER_BYTES.
 */
class HeaderScanner {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Index just past the first blank line, once seen. */
  private blank: number | undefined;
  private tail = Buffer.alloc(0);

  push(chunk: Buffer): void {
    if (this.blank !== undefined || this.kept >= MAX_HEADER_BYTES) return;
    // Three bytes of the previous chunk, so a blank line split across chunks is found.
    const window = Buffer.concat([this.tail, chunk]);
    const base = this.kept - this.tail.length;
    const crlf = window.indexOf('\r\n\r\n');
    const lf = window.indexOf('\n\n');
    if (crlf >= 0 && (lf < 0 || crlf < lf)) this.blank = base + crlf + 4;
    else if (lf >= 0) this.blank = base + lf + 2;
    const take = chunk.subarray(0, MAX_HEADER_BYTES - this.kept);
    this.chunks.push(take);
    this.kept += take.length;
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - 3)));
  }

  prefix(): Buffer {
    return Buffer.concat(this.chunks);
  }

  headerEnd(total: number): number | undefined {
    const p = this.prefix();
    if (p[0] === 0x0a) return 1;
    if (p[0] === 0x0d && p[1] === 0x0a) return 2;
    if (this.blank !== undefined && this.blank <= this.kept) return this.blank;
    if (total === this.kept) return total; // all header, and all of it is here
    return undefined;
  }
}
