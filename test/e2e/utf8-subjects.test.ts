// Issue 9, item 10, through the real server: a post whose Subject is raw UTF-8 (as Postfix
// passes SMTPUTF8 mail), RFC 2047 or raw 8-bit Latin-1 reaches each member as exactly
// "[Team] Grüße aus Köln", every header the list does not rewrite leaves byte for byte,
// and a held post shows its subject as text in REST, `mailman held` and the notices.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import libmime from 'libmime';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { sendLmtp } from '../helpers/lmtp-client.js';
import { plainText } from '../helpers/mime-text.js';

const FORMS: [string, Buffer][] = [
  ['raw UTF-8', Buffer.from('Grüße aus Köln', 'utf8')],
  ['RFC 2047', Buffer.from('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=')],
  ['8-bit Latin-1', Buffer.from('Grüße aus Köln', 'latin1')],
];

let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('team@example.com', ['anne@example.org', 'bart@example.org']);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

/** A message from header lines given as bytes (strings are UTF-8), CRLF throughout. */
function raw(lines: (string | Buffer)[], body: Buffer): Buffer {
  return Buffer.concat([
    ...lines.flatMap((l) => [Buffer.isBuffer(l) ? l : Buffer.from(l, 'utf8'), Buffer.from('\r\n')]),
    Buffer.from('\r\n'),
    body,
  ]);
}

/** The received Subject: one 7-bit line (folds allowed), and what libmime, not our decoder, reads. */
function receivedSubject(r: Received): string {
  const block = r.raw.subarray(0, r.raw.indexOf('\r\n\r\n') + 2).toString('latin1');
  const m = /(?:^|\r\n)Subject:((?:[^\r\n]*)(?:\r\n[ \t][^\r\n]*)*)/i.exec(block);
  assert.ok(m, 'a Subject header');
  for (const l of m[0].replace(/^\r\n/, '').split('\r\n')) {
    assert.match(l, /^[\x20-\x7e\t]*$/, `7-bit: ${JSON.stringify(l)}`);
    assert.ok(l.length <= 78, `folded under 78 columns: ${l}`);
  }
  return libmime.decodeWords(m[1].replace(/\r\n(?=[ \t])/g, '')).trim();
}

async function deliveredTo(member: string, messageId: string): Promise<Received> {
  const mine = (r: Received) => r.msg.messageId === messageId;
  await sink.waitFor(() => sink.copiesFor(member, mine).length >= 1, 20_000, `${messageId} to ${member}`);
  return sink.copiesFor(member, mine)[0];
}

for (const [i, [form, subject]] of FORMS.entries()) {
  test(`a ${form} subject reaches the members as "[Team] Grüße aus Köln", the other headers byte for byte`, async () => {
    const messageId = `<utf8-${i}@example.org>`;
    const untouched = [
      Buffer.from('From: =?UTF-8?Q?J=C3=BCrgen?= <anne@example.org>'),
      Buffer.from('To: "Team für Köln" <team@example.com>', 'utf8'),
      Buffer.from(`Message-ID: ${messageId}`),
      Buffer.from('Date: Wed, 25 Nov 2026 12:00:00 +0000'),
      Buffer.from('X-Raw-Note: Grüße, raw UTF-8', 'utf8'),
      Buffer.from('X-Latin-Note: Grüße, raw Latin-1', 'latin1'),
      Buffer.from('Comments: =?iso-8859-1?q?K=F6ln?= stays encoded'),
      Buffer.from('X-Folded: one\r\n\ttwo  \r\n   three'),
      Buffer.from('MIME-Version: 1.0'),
      Buffer.from('Content-Type: text/plain; charset="utf-8"'),
      Buffer.from('Content-Transfer-Encoding: 8bit'),
    ];
    const res = await sendLmtp(
      server.lmtpPort,
      'anne@example.org',
      ['team@example.com'],
      raw([...untouched, Buffer.concat([Buffer.from('Subject: '), subject])], Buffer.from('Grüße aus Köln\r\n')),
    );
    assert.deepEqual(res.accepted, ['team@example.com']);
    const copy = await deliveredTo('bart@example.org', messageId);
    assert.equal(receivedSubject(copy), '[Team] Grüße aus Köln');
    assert.equal(copy.msg.get('subject'), '[Team] Grüße aus Köln');
    const received = Buffer.concat([Buffer.from('\r\n'), copy.raw]);
    for (const line of untouched) {
      assert.ok(
        received.includes(Buffer.concat([Buffer.from('\r\n'), line, Buffer.from('\r\n')])),
        `unchanged: ${line.toString('latin1')}`,
      );
    }
    assert.ok(copy.msg.body.toString('utf8').startsWith('Grüße aus Köln\r\n'), copy.msg.body.toString('utf8'));
  });
}

test('a reply in raw UTF-8 keeps one Re: after the prefix', async () => {
  const messageId = '<utf8-reply@example.org>';
  await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['team@example.com'],
    raw(
      [
        'From: anne@example.org',
        'To: team@example.com',
        `Message-ID: ${messageId}`,
        'Subject: AW: [Team] Re: Grüße aus Köln',
      ],
      Buffer.from('Hi.\r\n'),
    ),
  );
  assert.equal(receivedSubject(await deliveredTo('bart@example.org', messageId)), '[Team] Re: Grüße aus Köln');
});

test('a long multibyte subject is folded under 78 columns with every character whole', async () => {
  const messageId = '<utf8-long@example.org>';
  const text = `${'Grüße aus Köln, 日本語のテキスト, Ελληνικά 🎉 '.repeat(5).trim()}`;
  await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['team@example.com'],
    raw(
      ['From: anne@example.org', 'To: team@example.com', `Message-ID: ${messageId}`, `Subject: ${text}`],
      Buffer.from('Hi.\r\n'),
    ),
  );
  const copy = await deliveredTo('bart@example.org', messageId);
  // receivedSubject checks the width; a word split inside a character would not decode back.
  assert.equal(receivedSubject(copy), `[Team] ${text}`);
  assert.doesNotMatch(receivedSubject(copy), /\ufffd/);
});

test('a held post with a Latin-1 subject reads as text in REST, `mailman held` and the notices', async () => {
  const messageId = '<utf8-held@example.org>';
  const subject = Buffer.from('Subject: Grüße aus Köln', 'latin1');
  await sendLmtp(
    server.lmtpPort,
    'zoe@example.net',
    ['team@example.com'],
    raw(['From: zoe@example.net', 'To: team@example.com', `Message-ID: ${messageId}`, subject], Buffer.from('Hi.\r\n')),
  );
  let held: { entries?: { message_id: string; subject: string; original_subject: string }[] } = {};
  await server.waitUntil(
    async () => {
      held = (await server.rest('GET', '/lists/team.example.com/held')).body;
      return (held.entries ?? []).some((e) => e.message_id === messageId);
    },
    20_000,
    'the held message',
  );
  const entry = held.entries!.find((e) => e.message_id === messageId)!;
  assert.equal(entry.subject, 'Grüße aus Köln');
  assert.equal(entry.original_subject, 'Grüße aus Köln');
  const cli = await server.cli(['held', 'team@example.com']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /\tzoe@example\.net\tGrüße aus Köln\t/);
  await sink.waitFor(
    () => sink.copiesFor('zoe@example.net').length >= 1 && sink.copiesFor('team-owner@example.com').length >= 1,
    20_000,
    'the notices',
  );
  assert.match(plainText(sink.copiesFor('zoe@example.net')[0].raw), /\n {4}Grüße aus Köln\r?\n/);
  assert.match(plainText(sink.copiesFor('team-owner@example.com')[0].raw), /\n {4}Subject: Grüße aus Köln\r?\n/);
});
