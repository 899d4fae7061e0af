// Whole-file replacement that a reader in another process can never see half done and that a
// crash cannot tear: write a temporary beside the file, fsync it, rename it over the file,
// fsync the directory so the rename itself survives. Every small state file (status, address
// announcements, last-good chain texts, site chain files, the arrivals record, stored
// messages) goes through here rather than each module repeating the four steps.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of the new file (default 0o644 less the umask). */
  mode?: number;
  /** Create the directory first when it may not exist yet. */
  mkdir?: boolean;
}

/** A temporary beside the file: same directory so rename is atomic, hidden, unique per writer. */
function tempName(file: string): string {
  const unique = `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}`;
  return join(dirname(file), `.${basename(file)}.${unique}.tmp`);
}

/** Some file systems cannot fsync a directory; the rename is still atomic there, only less durable. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* see above */
  }
}

/** Replaces `file` with `data` atomically and durably, from the loop (for small files). */
export function writeFileAtomically(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(file);
  if (opts.mkdir) mkdirSync(dir, { recursive: true });
  const tmp = tempName(file);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    const fd = openSync(tmp, 'w', opts.mode ?? 0o644);
    try {
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/** The same for files large enough that the write and fsync belong in the thread pool. */
export async function writeFileAtomicallyAsync(
  file: string,
  data: Buffer,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(file);
  if (opts.mkdir) await fs.mkdir(dir, { recursive: true });
  const tmp = tempName(file);
  try {
    const fh = await fs.open(tmp, 'w', opts.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}
