// The digest's pieces that need no server: the numbering under each digest_volume_frequency,
// and reading a mailbox that is too big, too full, or not a mailbox at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bumpedNumbering } from '../../src/services/digests.js';
import { mmdfEntry, readMmdf } from '../../src/email/mmdf.js';
import { Message } from '../../src/email/message.js';
import { mimeDigest, plainDigest, type DigestIssue } from '../../src/email/digest.js';
import { parseMime } from '../../src/email/mime-tree.js';
import type { MailingList } from '../../src/model/entities.js';

const list = (frequency: string, last: string | null) =>
  ({
    volume: 3,
    next_digest_number: 7,
    digest_volume_frequency: frequency,
    digest_last_sent_at: last,
  }) as unknown as MailingList;
const at = (iso: string) => new Date(iso);

test('numbering: a new period of digest_volume_frequency starts a volume, else the number moves on', () => {
  const cases: [string, string, string, [number, number]][] = [
    ['monthly', '2026-01-31T23:00:00Z', '2026-01-01T00:00:00Z', [3, 8]],
    ['monthly', '2026-01-31T23:00:00Z', '2026-02-01T00:00:00Z', [4, 1]],
    ['yearly', '2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z', [3, 8]],
    ['yearly', '2026-12-31T00:00:00Z', '2027-01-01T00:00:00Z', [4, 1]],
    ['quarterly', '2026-01-05T00:00:00Z', '2026-03-31T00:00:00Z', [3, 8]],
    ['quarterly', '2026-03-31T00:00:00Z', '2026-04-01T00:00:00Z', [4, 1]],
    // ISO weeks: Monday starts one; 2026-12-31 (Thursday) and 2027-01-03 (Sunday) share week 53.
    ['weekly', '2026-12-31T00:00:00Z', '2027-01-03T00:00:00Z', [3, 8]],
    ['weekly', '2027-01-03T00:00:00Z', '2027-01-04T00:00:00Z', [4, 1]],
    ['daily', '2026-05-05T00:00:00Z', '2026-05-05T23:59:59Z', [3, 8]],
    ['daily', '2026-05-05T23:59:59Z', '2026-05-06T00:00:00Z', [4, 1]],
  ];
  for (const [frequency, last, now, expected] of cases) {
    const next = bumpedNumbering(list(frequency, last), at(now));
    assert.deepEqual([next.volume, next.next_digest_number], expected, `${frequency} ${last} -> ${now}`);
    assert.equal(next.digest_last_sent_at.toISOString(), at(now).toISOString());
  }
  // No digest sent yet: only the number moves.
  const first = bumpedNumbering(list('daily', null), at('2030-01-01T00:00:00Z'));
  assert.deepEqual([first.volume, first.next_digest_number], [3, 8]);
});

test('a hostile mailbox is read within its bounds and never loops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmdf-'));
  try {
    const one = (n: number) => mmdfEntry(Buffer.from(`Subject: post ${n}\r\n\r\nbody ${n}\r\n`));
    // Many posts: only maxMessages come back.
    const many = join(dir, 'many.mmdf');
    writeFileSync(many, Buffer.concat(Array.from({ length: 500 }, (_, i) => one(i))));
    const read = (await readMmdf(many, { maxBytes: 1 << 20, maxMessages: 10 }))!;
    assert.equal(read.messages.length, 10);
    assert.equal(read.truncated, true);
    assert.match(read.messages[9].toString(), /^Subject: post 9\r\n\r\nbody 9\r\n$/);

    // A file far bigger than maxBytes (sparse: no disk used) is read no further than that.
    const huge = join(dir, 'huge.mmdf');
    writeFileSync(huge, Buffer.concat([one(1), one(2)]));
    const fd = openSync(huge, 'r+');
    ftruncateSync(fd, 8 * 2 ** 30);
    closeSync(fd);
    const big = (await readMmdf(huge, { maxBytes: 4096, maxMessages: 100 }))!;
    assert.deepEqual(
      big.messages.map((m) => new Message(m).get('subject')),
      ['post 1', 'post 2'],
    );
    assert.equal(big.truncated, true);

    // No delimiters, an unclosed entry, delimiters only: nothing, and it ends.
    const junk = join(dir, 'junk.mmdf');
    writeFileSync(
      junk,
      Buffer.concat([Buffer.from('x'.repeat(10_000)), Buffer.from('\x01\x01\x01\x01\nFrom a\nopen')]),
    );
    assert.deepEqual((await readMmdf(junk, { maxBytes: 1 << 20, maxMessages: 10 }))!.messages, []);
    writeFileSync(junk, '\x01\x01\x01\x01\n'.repeat(1000));
    assert.deepEqual((await readMmdf(junk, { maxBytes: 1 << 20, maxMessages: 10 }))!.messages, []);
    assert.equal(await readMmdf(join(dir, 'absent.mmdf'), { maxBytes: 1, maxMessages: 1 }), undefined);

    // A post quoting the delimiter cannot end its entry early.
    const sly = join(dir, 'sly.mmdf');
    writeFileSync(
      sly,
      Buffer.concat([mmdfEntry(Buffer.from('Subject: sly\r\n\r\na\r\n\x01\x01\x01\x01\r\nb\r\n')), one(2)]),
    );
    const slyRead = (await readMmdf(sly, { maxBytes: 1 << 20, maxMessages: 10 }))!;
    assert.deepEqual(
      slyRead.messages.map((m) => new Message(m).get('subject')),
      ['sly', 'post 2'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the MIME digest keeps each post whole; the plain one names what it leaves out', () => {
  const attached = [
    'From: Bart <bart@example.org>',
    'Subject: [Ant] Re: [Ant] with a picture',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('Grüße from Bart\n').toString('base64'),
    '--b1',
    'Content-Type: image/png; name="dot.png"',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgo=',
    '--b1--',
    '',
  ].join('\r\n');
  const issue: DigestIssue = {
    displayName: 'Ant',
    volume: 2,
    number: 5,
    requestAddress: 'ant-request@example.com',
    postingAddress: 'ant@example.com',
    mailHost: 'example.com',
    subjectPrefix: '[Ant] ',
    posts: [new Message(Buffer.from(attached))],
  };
  const texts = { masthead: 'masthead', header: '', footer: 'footer' };
  const mime = new Message(mimeDigest(issue, texts));
  const digest = parseMime(mime).children!.find((p) => p.type === 'multipart/digest')!;
  assert.equal(digest.children![0].children![0].msg.toBuffer().toString(), attached);
  const toc = parseMime(mime).children![1].decodedText().replace(/\r\n/g, '\n');
  assert.match(toc, /^Today's Topics:\n\n {3}1\. Re: \[Ant\] with a picture \(Bart\)$/);
  const plain = parseMime(new Message(plainDigest(issue, texts)))
    .decodedText()
    .replace(/\r\n/g, '\n');
  assert.match(
    plain,
    /\nGrüße from Bart\n\n\[A image\/png part, dot\.png is not included in the plain-text digest\.\]\n/,
  );
  assert.match(plain, /\nSubject: Digest Footer\n\nfooter\n/);
});

test('mime_digest_keep_headers: a post keeps those headers and its Content-* ones, its body byte for byte', () => {
  const head = [
    'Received: from mx.example.org by ant.example.com; Mon, 7 Dec 2026 06:00:00 +0000',
    'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1;',
    '\th=from:subject; bh=abc=; b=def=',
    'From: Bart <bart@example.org>',
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
    'List-Id: Ant <ant.example.com>',
    'List-Post: <mailto:ant@example.com>',
    'X-Mailman-Version: 3.3.8',
    'MIME-Version: 1.0',
    'Content-Type: application/pdf; name="plan.pdf"',
    'Content-Disposition: attachment; filename="plan.pdf"',
    'Content-Transfer-Encoding: base64',
  ];
  const body = 'JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n';
  const raw = `${head.join('\r\n')}\r\n\r\n${body}`;
  const issue: DigestIssue = {
    displayName: 'Ant',
    volume: 1,
    number: 1,
    requestAddress: 'ant-request@example.com',
    postingAddress: 'ant@example.com',
    mailHost: 'example.com',
    subjectPrefix: '',
    posts: [new Message(Buffer.from(raw))],
    mimeKeepHeaders: 'Date From To Cc Subject Message-ID Content-Type MIME-Version List-Post'.split(' '),
  };
  const texts = { masthead: 'masthead', header: '', footer: '' };
  const carried = (keep?: string[]) => {
    const mime = new Message(mimeDigest({ ...issue, mimeKeepHeaders: keep ?? issue.mimeKeepHeaders }, texts));
    const digest = parseMime(mime).children!.find((p) => p.type === 'multipart/digest')!;
    return digest.children![0].children![0].msg.toBuffer().toString();
  };
  const kept = [head[3], head[4], head[6], ...head.slice(8)];
  assert.equal(carried(), `${kept.join('\r\n')}\r\n\r\n${body}`);
  // Empty: every header, as Mailman 3 carries a post.
  assert.equal(carried([]), raw);
});
