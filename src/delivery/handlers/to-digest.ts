// Collects posts for the list's digest: each one is appended to the list's MMDF mailbox,
// var/lists/LISTID/digest.mmdf. Building and sending the digest (size threshold, periodic
// sending, the digest runner) is later work; the mailbox is what it will read.
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defineHandler } from '../../registry.js';
import type { Config } from '../../config/config.js';

const MMDF_DELIMITER = '\x01\x01\x01\x01\n';

/** List directories made in this process: a mkdir per post is a syscall that fails every time. */
const madeDirs = new Set<string>();

export function digestMailbox(config: Config, listId: string): string {
  return join(config.path('paths', 'list_data_dir'), listId, 'digest.mmdf');
}

/** One MMDF entry: delimiter, a From_ line, the message with LF line ends, delimiter. */
export function mmdfEntry(raw: Buffer, when = new Date()): Buffer {
  const text = raw.toString('binary').replace(/\r\n/g, '\n');
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return Buffer.from(`${MMDF_DELIMITER}From MAILER-DAEMON ${when.toUTCString()}\n${body}${MMDF_DELIMITER}`, 'binary');
}

export default defineHandler({
  name: 'to-digest',
  description: "Append the post to the list's digest mailbox when digests are enabled.",
  async process({ mlist, msg, msgdata, services, dryRun }) {
    if (!mlist.digests_enabled || msgdata.isdigest || dryRun) return;
    const file = digestMailbox(services.config, mlist.list_id);
    const dir = join(file, '..');
    const entry = mmdfEntry(msg.toBuffer());
    if (madeDirs.has(dir)) {
      try {
        return await appendFile(file, entry);
      } catch (err) {
        // The list's directory went with a deleted list of the same name: made again below.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
    await appendFile(file, entry);
  },
});
