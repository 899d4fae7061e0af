// Recovery at start-up: what a killed or crashed runner left in its queue goes back to work.
// Claimed files (.bak) are put back with only the recipients their progress does not record
// (progress.ts), or shunted when they keep crashing their runner; a finished hop's `.pend`
// files are promoted unless their upstream claim still stands; stale `.tmp` files and
// orphaned progress go.
import { promises as fs, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeQueueFile, encodeQueueFile, type MsgData } from './qfile.js';
import { BAK, DONE, EXT, MAX_BAK_COUNT, PEND, STALE_TMP_MS, TMP } from './queue-files.js';
import { readProgress, removeProgress } from './progress.js';
import type { QueueEntry, Switchboard } from './switchboard.js';

/**
 * At start-up, puts this slice's claimed files back in the queue. A file that keeps coming
 * back (its runner crashed MAX_BAK_COUNT times on it, when `blame` says the runner crashed
 * rather than was killed from outside) goes to `shunt` so the queue moves on;
 * `mailman unshunt` can retry it. Returns what was done, for the log.
 */
export async function recoverClaims(
  board: Switchboard,
  shunt: Switchboard,
  opts: { blame?: boolean } = {},
): Promise<{ requeued: number; shunted: number }> {
  const blame = opts.blame ?? true;
  let requeued = 0;
  let shunted = 0;
  const names = readdirSync(board.dir);
  const present = new Set(names);
  for (const name of names) {
    if (name.endsWith(DONE)) {
      // Progress whose message is gone (finished, or crashed between the two removals).
      const base = name.slice(0, -DONE.length);
      if (board.inSlice(base) && !present.has(base + BAK) && !present.has(base + EXT))
        await removeProgress(join(board.dir, name));
      continue;
    }
    if (name.endsWith(PEND)) {
      // A hop's file whose runner dropped its claim and was killed before renaming it:
      // promote it, unless the claim is still there (that runner will redo the hop).
      if (!(await upstreamClaimed(join(board.dir, name)))) {
        if (await promotePending(join(board.dir, name))) requeued++;
      }
      continue;
    }
    if (name.endsWith(TMP)) {
      // A write that never completed was never acknowledged to anyone. One still being
      // written (by a runner of this process that started first, or by LMTP) is young:
      // left alone, and a later recovery takes it if its writer died.
      const path = join(board.dir, name);
      try {
        if (Date.now() - statSync(path).mtimeMs > STALE_TMP_MS) await fs.rm(path, { force: true });
      } catch {
        /* gone meanwhile: it was being written */
      }
      continue;
    }
    if (!name.endsWith(BAK)) continue;
    const base = name.slice(0, -BAK.length);
    if (!board.inSlice(base)) continue;
    const path = join(board.dir, name);
    if (!blame && !present.has(base + DONE)) {
      // Nothing suggests this message hurt anyone: it goes back as it was, strikes unchanged.
      await fs.rename(path, join(board.dir, base + EXT));
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
        whichq: board.name,
        shunt_reason: `unreadable queue file: ${(err as Error).message}`,
      });
      await fs.rm(path);
      shunted++;
      continue;
    }
    // Strikes only when the runner crashed: see `blame` above.
    const count = (entry.msgdata._bak_count ?? 0) + (blame ? 1 : 0);
    const msgdata: MsgData = blame ? { ...entry.msgdata, _bak_count: count } : { ...entry.msgdata };
    const done = await readProgress(join(board.dir, base + DONE));
    if (done && Array.isArray(msgdata.recipients))
      msgdata.recipients = (msgdata.recipients as string[]).filter((r) => !done.has(r));
    if (blame && count >= MAX_BAK_COUNT) {
      await shunt.enqueue(entry.raw, {
        ...msgdata,
        whichq: board.name,
        shunt_reason: `its ${board.name} runner stopped ${count} times while handling it`,
      });
      await fs.rm(path);
      if (done) await removeProgress(join(board.dir, base + DONE));
      shunted++;
    } else {
      const data = encodeQueueFile(entry.raw, msgdata);
      const tmp = join(board.dir, base + TMP);
      await fs.writeFile(tmp, data);
      const fh = await fs.open(tmp, 'r+');
      await fh.sync();
      await fh.close();
      await fs.rename(tmp, join(board.dir, base + EXT));
      await fs.rm(path, { force: true });
      // Only now: the requeued file no longer names the recipients it records.
      if (done) await removeProgress(join(board.dir, base + DONE));
      requeued++;
    }
  }
  if (requeued || shunted) await board.syncDirectory();
  return { requeued, shunted };
}

/** Whether the queue file that wrote this `.pend` is still claimed (or waiting) upstream. */
async function upstreamClaimed(pend: string): Promise<boolean> {
  let from: unknown;
  try {
    from = decodeQueueFile(await fs.readFile(pend)).msgdata._hop_from;
  } catch {
    return false;
  }
  const m = typeof from === 'string' ? /^([a-z0-9_-]+)\/([0-9.]+\+[0-9a-f]+)$/.exec(from) : null;
  if (!m) return false;
  const dir = join(pend, '..', '..', m[1]);
  return existsSync(join(dir, m[2] + BAK)) || existsSync(join(dir, m[2] + EXT));
}

/**
 * A hop's `.pend` becomes `.qmsg`. Two may try: the runner that wrote it, once its claim is
 * gone, and the recovery of a runner starting beside it in the same process, which sees no
 * claim; the first rename wins, and the other finds nothing left to do. Returns whether
 * this call promoted it.
 */
export async function promotePending(pend: string): Promise<boolean> {
  try {
    await fs.rename(pend, pend.slice(0, -PEND.length) + EXT);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
