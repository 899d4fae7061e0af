// The LMTP spool splits header and body as the message arrives, in chunks of any size; the
// split must be the one Message makes of the whole message, or a post would change on disk.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spoolMessage, MAX_HEADER_BYTES } from '../../src/mta/spool.js';
import { Message } from '../../src/email/message.js';

const dir = mkdtempSync(join(tmpdir(), 'spool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function chunked(raw: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < raw.length; i += size) parts.push(raw.subarray(i, i + size));
  return Readable.from(parts);
}

const SAMPLES = [
  'From: a@example.org\r\nSubject: crlf\r\n\r\nbody\r\n\r\nmore\r\n',
  'From: a@example.org\nSubject: lf\n\nbody\n\nmore\n',
  'From: a@example.org\r\nSubject: mixed\n\nbody\r\n\r\n',
  'From: a@example.org\r\nX: y\r\n\nbody after a CRLF then LF blank line\r\n',
  '\r\nno header at all\r\n',
  '\nno header, LF\n',
  'From: a@example.org\r\nSubject: headers only\r\n',
  'From: a@example.org\r\nSubject: headers only, no final newline',
  'From: a@example.org\r\n\tfolded\r\n\r\n',
];

test('header and body are split as Message splits the whole message, whatever the chunk size', async () => {
  for (const text of SAMPLES) {
    const raw = Buffer.from(text, 'latin1');
    const whole = new Message(raw).toBuffer();
    for (const size of [1, 2, 3, 4, 5, 7, 64, 100_000]) {
      const s = await spoolMessage(chunked(raw, size), dir, 0);
      assert.equal(s.size, raw.length);
      assert.ok(s.header, `${JSON.stringify(text)} / ${size}`);
      const rebuilt = Buffer.concat([
        new Message(s.header).headerBytes(),
        readFileSync(s.file!).subarray(s.bodyOffset),
      ]);
      assert.equal(
        rebuilt.toString('latin1'),
        whole.toString('latin1'),
        `${JSON.stringify(text)} in chunks of ${size}`,
      );
      rmSync(s.file!);
    }
  }
});

test('a header block larger than the cap has no header; a NUL is noticed; past the size limit nothing is kept', async () => {
  const huge = Buffer.from(`X-Long: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\nbody\r\n`);
  const h = await spoolMessage(chunked(huge, 65_536), dir, 0);
  assert.equal(h.header, undefined);
  assert.equal(readFileSync(h.file!).length, huge.length, 'the whole message is kept, for shunt');
  rmSync(h.file!);

  const nul = await spoolMessage(chunked(Buffer.from('From: a@example.org\r\n\r\nx\0y\r\n'), 4), dir, 0);
  assert.equal(nul.hasNul, true);
  rmSync(nul.file!);

  const big = await spoolMessage(chunked(Buffer.alloc(10_000, 'a'), 1000), dir, 5_000);
  assert.equal(big.oversize, true);
  assert.equal(big.size, 10_000, 'the rest was read, so the session stays in step');
  assert.equal(readFileSync(big.file!).length, 0);
  rmSync(big.file!);
});

test('a transfer cut off mid-message leaves no spool file', async () => {
  const stream = new Readable({ read() {} });
  const pending = spoolMessage(stream, dir, 0);
  stream.push(Buffer.from('From: a@example.org\r\n'));
  // As smtp-server does when the client goes away: an error only if someone listens.
  setTimeout(() => stream.destroy(stream.listenerCount('error') ? new Error('connection closed') : undefined), 50);
  await assert.rejects(pending);
  assert.deepEqual(readdirSync(dir), []);
});

test('a spool that cannot be written still reads the message to its end, then fails', async () => {
  const stream = chunked(Buffer.alloc(50_000, 'a'), 1000);
  await assert.rejects(spoolMessage(stream, join(dir, 'no-such-dir'), 0), { code: 'ENOENT' });
  assert.equal(stream.readableEnded, true, 'the session can still answer each RCPT');
});

test('within the memory limit a message is kept in memory, past it in a spool file, with the same split either way', async () => {
  const small = Buffer.from('From: a@example.org\r\nSubject: small\r\n\r\nbody\r\n');
  const m = await spoolMessage(chunked(small, 7), dir, 0, 1024);
  assert.equal(m.file, undefined);
  assert.deepEqual(m.data, small);
  assert.equal(m.bodyOffset, small.indexOf('\r\n\r\n') + 4);
  assert.deepEqual(readdirSync(dir), [], 'no spool file for a message held in memory');
  // Crossing the limit mid-transfer: the bytes held so far go to the file first.
  const large = Buffer.concat([Buffer.from('From: a@example.org\r\nSubject: large\r\n\r\n'), Buffer.alloc(5000, 'b')]);
  const l = await spoolMessage(chunked(large, 700), dir, 0, 1024);
  assert.equal(l.data, undefined);
  assert.deepEqual(readFileSync(l.file!), large);
  assert.equal(l.bodyOffset, large.indexOf('\r\n\r\n') + 4);
  rmSync(l.file!);
  // Over the size limit while still in memory: nothing kept, the rest read to the end.
  const over = await spoolMessage(chunked(Buffer.alloc(3000, 'c'), 500), dir, 2000, 1024 * 1024);
  assert.equal(over.oversize, true);
  assert.equal(over.size, 3000);
  assert.deepEqual(over.data, Buffer.alloc(0));
  assert.deepEqual(readdirSync(dir), []);
});
