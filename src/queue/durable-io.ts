// The file-system steps queue files are made of, each as cheap as it can be made: a group
// commit of directory fsyncs, a small file written from the loop with only its fsync in
// libuv's thread pool, an unlink that tolerates a file already gone.
import { promises as fs, closeSync, fsync, openSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';

/** fsync of an open descriptor, in the thread pool. */
export const fsyncFd = promisify(fsync);

/**
 * Group commit of one directory's entries. sync() resolves after an fsync of the directory
 * that began after sync() was called, so every rename made before the call is durable; all
 * callers waiting when an fsync begins share it.
 */
export class DirectorySync {
  private running = false;
  private waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Kept open for the life of the process: one fsync per group, not open, fsync, close. */
  private fd: number | undefined;
  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.syncOnce();
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
  }

  private async syncOnce(): Promise<void> {
    this.fd ??= openSync(this.dir, 'r');
    await fsyncFd(this.fd);
  }
}

/** One group per directory in this process, whichever Switchboard objects write there. */
const directorySyncs = new Map<string, DirectorySync>();

export function directorySync(dir: string): DirectorySync {
  let ds = directorySyncs.get(dir);
  if (!ds) directorySyncs.set(dir, (ds = new DirectorySync(dir)));
  return ds;
}

/** A small file written whole: open, write and close from the loop, only the fsync in the pool. */
export async function writeSmall(path: string, data: Buffer): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done);
    await fsyncFd(fd);
  } catch (err) {
    closeSync(fd);
    await fs.rm(path, { force: true });
    throw err;
  }
  closeSync(fd);
}

export async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/** unlink, where fs.rm({ force }) would lstat first: once per message per queue, it shows. */
export async function unlinkIfThere(path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
