// A lock between the server's processes (runners, REST, the CLI) around a short critical
// section: a file created exclusively, holding the pid of its holder. A process killed while
// holding it (the runtime's own tests SIGKILL workers at random) leaves the file behind; the
// next taker finds that pid gone and takes the lock at once, rather than waiting out a timer
// while posts queue up behind it. Within one process the takers queue on a promise, so only
// one of them at a time looks at the file.
import { open, readFile, rename, rm, stat } from 'node:fs/promises';

const chains = new Map<string, Promise<unknown>>();

/** Whether a process with this pid is running (on this host, where the lock lives). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(path: string, timeoutMs: number): Promise<void> {
  for (let waited = 0; ; waited += 20) {
    try {
      const fh = await open(path, 'wx', 0o640);
      try {
        await fh.writeFile(String(process.pid));
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    // No pid yet: a taker between its create and its write, unless the file is old.
    const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if ((holder && !alive(holder)) || (!holder && age > 5_000)) {
      // Moved aside, not removed: of two processes that both saw it dead, one wins the rename.
      const aside = `${path}.dead.${process.pid}`;
      if (
        await rename(path, aside).then(
          () => true,
          () => false,
        )
      )
        await rm(aside, { force: true });
      continue;
    }
    if (waited >= timeoutMs) throw new Error(`timed out waiting for ${path} (held by pid ${holder || '?'})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `fn` holding the lock file `path`; waits up to `timeoutMs` for a live holder. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const before = chains.get(path) ?? Promise.resolve();
  const run = before
    .catch(() => undefined)
    .then(async () => {
      await acquire(path, timeoutMs);
      try {
        return await fn();
      } finally {
        await rm(path, { force: true });
      }
    });
  chains.set(path, run);
  try {
    return await run;
  } finally {
    if (chains.get(path) === run) chains.delete(path);
  }
}
