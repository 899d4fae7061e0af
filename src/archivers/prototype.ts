// Mailman's sample archiver: each post as one file of a maildir per list, under
// archive_dir/prototype/LIST-ID/. Maildir needs no lock: a file is written whole under tmp/
// with a name no other writer can pick, then renamed into new/, so a reader never sees half of
// one and concurrent runners never collide. It has no web pages, so no URLs.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { defineArchiver } from '../registry.js';

let delivered = 0;

/** A maildir file name unique to this process and moment (time, pid, counter, host). */
function uniqueName(): string {
  const now = Date.now();
  const host = hostname().replace(/\//g, '\\057').replace(/:/g, '\\072');
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++delivered}.${host}`;
}

/** Makes a directory's new entries durable: a rename is only on disk once its directory is. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export default defineArchiver({
  name: 'prototype',
  description: 'Keeps each post in a maildir under archive_dir/prototype/LIST-ID (no web archive).',
  listUrl: () => undefined,
  permalink: () => undefined,
  async archiveMessage({ config }, mlist, msg) {
    const dir = join(config.path('paths', 'archive_dir'), 'prototype', mlist.list_id);
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o775 });
    const name = uniqueName();
    const tmp = join(dir, 'tmp', name);
    const handle = await open(tmp, 'wx', 0o660);
    try {
      await handle.writeFile(msg.toBuffer());
      await handle.sync();
    } catch (err) {
      await handle.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await handle.close();
    await rename(tmp, join(dir, 'new', name));
    await syncDir(join(dir, 'new'));
  },
});
