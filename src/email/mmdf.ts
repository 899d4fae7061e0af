// The MMDF mailbox a list's digest collects posts in: each entry is a line of four ^A, a
// From_ line, the message with LF line ends, and four ^A again. Reading one is bounded:
// the file may have grown without limit, or been written by something hostile.
import { open } from 'node:fs/promises';

const DELIMITER = '\x01\x01\x01\x01\n';

/** One MMDF entry for `raw`. */
export function mmdfEntry(raw: Buffer, when = new Date()): Buffer {
  // A post holding the delimiter itself would end its entry early: it loses one ^A there.
  const text = raw.toString('binary').replace(/\r\n/g, '\n').replaceAll(DELIMITER, DELIMITER.slice(1));
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return Buffer.from(`${DELIMITER}From MAILER-DAEMON ${when.toUTCString()}\n${body}${DELIMITER}`, 'binary');
}

export interface MailboxLimits {
  /** Bytes read from the file at most; the rest is not looked at. */
  maxBytes: number;
  /** Entries returned at most. */
  maxMessages: number;
}

export interface MailboxRead {
  /** Each message's bytes, CRLF line ends, without the From_ line. */
  messages: Buffer[];
  /** Entries (or bytes) left out by the limits. */
  truncated: boolean;
}

/**
 * The messages of an MMDF mailbox; undefined when there is no such file. At most
 * `maxBytes` are read and `maxMessages` returned; the scan only moves forward, so no input
 * makes it loop. Text outside the delimiters, and empty entries, are skipped.
 */
export async function readMmdf(path: string, limits: MailboxLimits): Promise<MailboxRead | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let data: Buffer;
  let truncated = false;
  try {
    const size = (await fh.stat()).size;
    const want = Math.min(size, limits.maxBytes);
    data = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(data, got, want - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    data = data.subarray(0, got);
    truncated = size > got;
  } finally {
    await fh.close();
  }
  const text = data.toString('binary');
  const messages: Buffer[] = [];
  let at = text.indexOf(DELIMITER);
  while (at >= 0) {
    const start = at + DELIMITER.length;
    const end = text.indexOf(DELIMITER, start);
    // An entry cut off by the byte limit (or never closed) is not taken half.
    if (end < 0) {
      if (start < text.length) truncated = true;
      break;
    }
    if (messages.length >= limits.maxMessages) {
      truncated = true;
      break;
    }
    let entry = text.slice(start, end);
    if (entry.startsWith('From ')) entry = entry.slice(entry.indexOf('\n') + 1 || entry.length);
    if (entry.trim()) messages.push(Buffer.from(entry.replace(/\r?\n/g, '\r\n'), 'binary'));
    at = text.indexOf(DELIMITER, end + DELIMITER.length);
  }
  return { messages, truncated };
}
