// The one way header values are read (raw UTF-8, RFC 2047 words, 8-bit legacy bytes) and
// the one way they are written (7-bit RFC 2047, folded, never split inside a character),
// on the real Message class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import libmime from 'libmime';
import { Message } from '../../src/email/message.js';

/** The three ways "Grüße aus Köln" reaches us: raw UTF-8 (SMTPUTF8), RFC 2047, raw Latin-1. */
export const SUBJECT_FORMS: [string, Buffer][] = [
  ['raw UTF-8', Buffer.from('Grüße aus Köln', 'utf8')],
  ['RFC 2047', Buffer.from('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=')],
  ['8-bit Latin-1', Buffer.from('Grüße aus Köln', 'latin1')],
];

function message(headers: (string | Buffer)[], body = 'Hello.\r\n'): Message {
  const parts: Buffer[] = [];
  for (const h of headers) parts.push(Buffer.isBuffer(h) ? h : Buffer.from(h, 'utf8'), Buffer.from('\r\n'));
  return new Message(Buffer.concat([...parts, Buffer.from('\r\n'), Buffer.from(body)]));
}

const subjectLine = (value: Buffer) => Buffer.concat([Buffer.from('Subject: '), value]);

/** Every physical header line of the block, as bytes read as latin1 (one char per byte). */
function headerLines(msg: Message): string[] {
  return msg
    .headerBytes()
    .toString('latin1')
    .replace(/\r\n\r\n$/, '')
    .split('\r\n');
}

for (const [form, value] of SUBJECT_FORMS) {
  test(`a ${form} subject reads as text and is written back exactly once encoded`, () => {
    const msg = message(['From: anne@example.org', subjectLine(value), 'X-Other: kept'], 'Hello.\r\n');
    assert.equal(msg.get('subject'), 'Grüße aus Köln');
    assert.deepEqual(msg.getAll('subject'), ['Grüße aus Köln']);
    msg.set('Subject', `[Team] ${msg.get('subject')}`);
    const line = headerLines(msg).find((l) => l.startsWith('Subject:'))!;
    // 7-bit on the wire, and any RFC 2047 reader (libmime here, not our decoder) gets the text.
    assert.match(line, /^[\x20-\x7e]+$/);
    assert.equal(libmime.decodeWords(line.slice('Subject: '.length)), '[Team] Grüße aus Köln');
    assert.equal(new Message(msg.toBuffer()).get('subject'), '[Team] Grüße aus Köln');
  });
}

test('valid UTF-8 is never read as Latin-1, and bytes that are not UTF-8 are windows-1252, never U+FFFD', () => {
  // "Ã¼" in windows-1252 is C3 BC: the same bytes as UTF-8 "ü". UTF-8 wins.
  assert.equal(message([subjectLine(Buffer.from([0xc3, 0xbc]))]).get('subject'), 'ü');
  // 0x80 and 0x9f are printable in windows-1252 (euro sign, Y diaeresis), not C1 controls.
  assert.equal(message([subjectLine(Buffer.from([0x80, 0x20, 0x9f, 0x20, 0xe9]))]).get('subject'), '€ Ÿ é');
  // A truncated UTF-8 sequence makes the whole value legacy: every byte still maps to one character.
  assert.equal(message([subjectLine(Buffer.from([0x47, 0x72, 0xc3]))]).get('subject'), 'GrÃ');
  assert.doesNotMatch(message([subjectLine(Buffer.from([0xff, 0xfe, 0xc0, 0xaf]))]).get('subject')!, /\ufffd/);
});

test('folded values are unfolded; an unknown charset or a broken word stays as written', () => {
  const msg = message([
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n =?UTF-8?Q?_aus_K=C3=B6ln?=',
    'X-Tab: one\r\n\ttwo',
    'X-Odd: =?x-no-such-charset?Q?abc?= and =?utf-8?Q?broken',
  ]);
  assert.equal(msg.get('subject'), 'Grüße aus Köln');
  assert.equal(msg.get('x-tab'), 'one\ttwo');
  assert.match(msg.get('x-odd')!, /and =\?utf-8\?Q\?broken$/);
});

test('an encoded line break never reaches a value or a header written from it', () => {
  const msg = message(['Subject: =?UTF-8?Q?one=0D=0ABcc:_evil@example.net?=']);
  assert.equal(msg.get('subject'), 'one Bcc: evil@example.net');
  msg.set('Subject', 'two\r\nBcc: evil@example.net');
  msg.add('X-Note', 'three\rX-Evil: yes\nX-Evil: yes');
  assert.deepEqual(msg.names(), ['subject', 'x-note']);
  assert.equal(msg.get('subject'), 'two Bcc: evil@example.net');
});

test('headers nobody touched leave byte for byte, however they were written', () => {
  const untouched = [
    Buffer.from('X-Raw: Grüße aus Köln', 'utf8'),
    Buffer.from('X-Latin: Grüße aus Köln', 'latin1'),
    Buffer.from('X-Encoded: =?iso-8859-1?q?K=F6ln?='),
    Buffer.from('X-Folded: one\r\n\ttwo  '),
    Buffer.from('To: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= <team@example.com>, "Jürgen" <j@example.de>', 'utf8'),
  ];
  const msg = message([...untouched, subjectLine(SUBJECT_FORMS[0][1])]);
  msg.get('x-raw');
  msg.getAll('to');
  msg.addresses('to');
  msg.set('Subject', '[Team] Grüße aus Köln');
  msg.add('X-Mailman-Version', '3.3.9');
  const out = msg.toBuffer();
  for (const line of untouched)
    assert.ok(out.includes(Buffer.concat([line, Buffer.from('\r\n')])), line.toString('latin1'));
});

test('a long multibyte subject folds under 78 columns and no encoded word splits a character', () => {
  const text = `Re: ${'Grüße aus Köln, 日本語のテキスト, Ελληνικά 🎉 '.repeat(6).trim()}`;
  const msg = message([subjectLine(Buffer.from(text, 'utf8'))]);
  msg.set('Subject', `[Team] ${msg.get('subject')}`);
  const lines = headerLines(msg);
  assert.ok(lines.length > 5, 'folded');
  for (const l of lines) assert.ok(l.length <= 78 && /^[\x20-\x7e]+$/.test(l), l);
  const strict = new TextDecoder('utf-8', { fatal: true });
  const words = msg
    .headerBytes()
    .toString('latin1')
    .match(/=\?UTF-8\?Q\?[^?]*\?=/g)!;
  for (const w of words) {
    const bytes = Buffer.from(
      w
        .slice(10, -2)
        .replace(/_/g, ' ')
        .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
    assert.doesNotThrow(() => strict.decode(bytes), `word ${w} ends inside a character`);
  }
  assert.equal(new Message(msg.toBuffer()).get('subject'), `[Team] ${text}`);
});

test('address headers: names are encoded as phrases, lists keep their structure', () => {
  const msg = message(['From: anne@example.org']);
  msg.set('From', '"Jürgen via Team" <team@example.com>');
  msg.set('Cc', '"Müller, Jürgen" <j@example.de>, plain@example.org, "Ann Person" <ann@example.org>');
  msg.set('To', 'Gäste: a@example.org, b@example.org;');
  const lines = headerLines(msg);
  assert.deepEqual(lines[0], 'From: =?UTF-8?Q?J=C3=BCrgen_via_Team?= <team@example.com>');
  for (const l of lines) assert.match(l, /^[\x20-\x7e]+$/);
  assert.deepEqual(msg.addresses('from'), [{ name: 'Jürgen via Team', email: 'team@example.com' }]);
  assert.deepEqual(msg.addresses('cc'), [
    { name: 'Müller, Jürgen', email: 'j@example.de' },
    { name: '', email: 'plain@example.org' },
    { name: 'Ann Person', email: 'ann@example.org' },
  ]);
  assert.deepEqual(
    msg.addresses('to').map((a) => a.email),
    ['a@example.org', 'b@example.org'],
  );
  assert.equal(msg.get('to'), 'Gäste: a@example.org, b@example.org;');
});

test('an encoded display name can never pose as an address (RFC 2047 section 6.2)', () => {
  // Decoded, the name reads "member@example.org <member@example.org>,": decoding before
  // parsing would make the member the sender and the real address a second one.
  const msg = message([
    'From: =?utf-8?Q?member=40example.org_=3Cmember=40example.org=3E=2C?= <evil@attacker.net>',
    'To: =?utf-8?Q?team=40example.com?= <other@example.net>',
  ]);
  assert.deepEqual(msg.senders(['from']), ['evil@attacker.net']);
  assert.deepEqual(msg.addresses('from'), [
    { name: 'member@example.org <member@example.org>,', email: 'evil@attacker.net' },
  ]);
  assert.deepEqual(
    msg.addresses('to').map((a) => a.email),
    ['other@example.net'],
  );
  // Raw UTF-8 and Latin-1 names read as text too.
  assert.deepEqual(message([Buffer.from('From: Jürgen <j@example.de>', 'latin1')]).addresses('from'), [
    { name: 'Jürgen', email: 'j@example.de' },
  ]);
});

test('the encoded form keeps RFC 2047 words as written but decodes the bytes', () => {
  assert.equal(
    message([subjectLine(SUBJECT_FORMS[1][1])]).getEncoded('subject'),
    '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=',
  );
  assert.equal(message([subjectLine(SUBJECT_FORMS[2][1])]).getEncoded('subject'), 'Grüße aus Köln');
  assert.equal(message(['From: a@example.org']).getEncoded('subject'), undefined);
});

test('text that reads as an encoded word is written so that it is decoded only once', () => {
  // The sender meant the literal characters "=?utf-8?q?x?=": they arrived encoded once more.
  const msg = message(['Subject: =?UTF-8?Q?about_=3D=3Futf-8=3Fq=3Fx=3F=3D_words?=']);
  assert.equal(msg.get('subject'), 'about =?utf-8?q?x?= words');
  msg.set('Subject', `[Team] ${msg.get('subject')}`);
  assert.equal(new Message(msg.toBuffer()).get('subject'), '[Team] about =?utf-8?q?x?= words');
  const line = headerLines(msg)
    .filter((l) => l.startsWith('Subject:') || l.startsWith(' '))
    .join('');
  assert.equal(libmime.decodeWords(line.slice('Subject: '.length)), '[Team] about =?utf-8?q?x?= words');
});

test('addresses are parsed once per header and follow every edit of it', () => {
  const msg = new Message(Buffer.from('From: Anne <anne@example.org>\r\nCc: b@example.org\r\n\r\nbody\r\n'));
  assert.deepEqual(msg.addresses('from'), [{ email: 'anne@example.org', name: 'Anne' }]);
  assert.deepEqual(msg.senders(['from', 'cc']), ['anne@example.org', 'b@example.org']);
  const got = msg.addresses('cc');
  got.pop(); // a caller's copy: the message's own stays whole
  assert.deepEqual(msg.addresses('CC'), [{ email: 'b@example.org', name: '' }]);
  msg.set('From', 'Bart <bart@example.org>');
  assert.deepEqual(msg.addresses('from'), [{ email: 'bart@example.org', name: 'Bart' }]);
  msg.add('Cc', 'c@example.org');
  assert.deepEqual(
    msg.addresses('cc').map((a) => a.email),
    ['b@example.org', 'c@example.org'],
  );
  msg.remove('cc');
  assert.deepEqual(msg.addresses('cc'), []);
  msg.addRawLines('Cc', ['Cc: d@example.org']);
  assert.deepEqual(
    msg.addresses('cc').map((a) => a.email),
    ['d@example.org'],
  );
  msg.setRawLine('From', 'From: e@example.org');
  assert.deepEqual(msg.senders(['from']), ['e@example.org']);
});
