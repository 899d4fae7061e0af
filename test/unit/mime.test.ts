// The one MIME layer (src/email): parameters with RFC 2231 continuations, quoted-printable
// soft breaks as RFC 2045 reads them, nested trees, byte identity of the parts an edit does
// not touch, the tree a Message owns, and the bounds on hostile structure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Message } from '../../src/email/message.js';
import { MAX_DEPTH, MAX_PARTS, MimePart, firstTextPlain } from '../../src/email/mime-tree.js';
import { parseContentType, parseStructured } from '../../src/email/params.js';
import { decodeTransfer, encodeTransfer } from '../../src/email/transfer-encoding.js';
import { decodeText } from '../../src/email/charset.js';
import { multipartBody, newBoundary, textPart } from '../../src/email/new-part.js';

const crlf = (lines: string[]) => lines.join('\r\n');

test('parameters: RFC 2231 continuations, encoded and not, join and decode their charset', () => {
  const d = parseStructured(`attachment; filename*0*=utf-8''R%C3%A9sum; filename*1*=%C3%A9; filename*2=".pdf"`);
  assert.equal(d.value, 'attachment');
  assert.equal(d.params.filename, 'Résumé.pdf');
  const latin = parseContentType(`Text/Plain; CHARSET="iso-8859-1"; name*=iso-8859-1'de'Gr%FC%DFe.txt`);
  assert.deepEqual(latin, { value: 'text/plain', params: { charset: 'iso-8859-1', name: 'Grüße.txt' } });
  assert.equal(parseStructured('attachment; title*0="Part "; title*1="two"').params.title, 'Part two');
  // Outlook's RFC 2047 words in a quoted filename are read as every mail reader shows them.
  const outlook = parseStructured('attachment; filename="=?utf-8?q?Gr=C3=BC=C3=9Fe?=.txt"');
  assert.equal(outlook.params.filename, 'Grüße.txt');
  // A type that is not type/subtype is the default, with the parameters it had.
  assert.deepEqual(parseContentType('text; charset=utf-8'), { value: 'text/plain', params: { charset: 'utf-8' } });
  assert.deepEqual(parseContentType(undefined, 'message/rfc822'), { value: 'message/rfc822', params: {} });
});

test('a part reads its filename from RFC 2231 continuations in either header', () => {
  const raw = Buffer.from(
    crlf([
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: application/pdf',
      `Content-Disposition: attachment;`,
      ` filename*0*=utf-8''%E2%82%AC-Rech;`,
      ` filename*1*=nung.PDF`,
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0=',
      '--b',
      `Content-Type: application/octet-stream; name*0="long-"; name*1="name.tar.gz"`,
      '',
      'x',
      '--b--',
      '',
    ]),
  );
  const [, pdf, tgz] = [...new Message(raw).mime().walk()];
  assert.equal(pdf.filename, '€-Rechnung.PDF');
  assert.equal(pdf.extension, 'pdf');
  assert.equal(tgz.filename, 'long-name.tar.gz');
  assert.equal(tgz.extension, 'gz');
});

test('quoted-printable: white space after a soft break\'s "=" is padding, before it is content', () => {
  // RFC 2045 6.7: transport may add trailing white space, so it is dropped; "a  =" keeps its spaces.
  const body = Buffer.from('a  =\r\nb= \t\r\nc=\nd   \r\ne=3D=C3=BC =ZZ\r\n');
  assert.equal(decodeTransfer(body, 'quoted-printable').toString('utf8'), 'a  bcd\r\ne=ü =ZZ\r\n');
  // The same bytes read the same whichever text part carries them.
  const head = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n';
  const msg = new Message(Buffer.concat([Buffer.from(head), body]));
  assert.equal(msg.mime().decodedText(), 'a  bcd\r\ne=ü =ZZ\r\n');
  // Encoding keeps hard breaks in the part's line ends, escapes trailing space, folds at 76.
  const enc = encodeTransfer(Buffer.from(`${'x'.repeat(80)}\nend \n`), 'quoted-printable', '\n').toString();
  assert.equal(enc, `${'x'.repeat(75)}=\nxxxxx\nend=20\n`);
  assert.equal(decodeTransfer(Buffer.from(enc), 'quoted-printable').toString(), `${'x'.repeat(80)}\nend \n`);
});

test('malformed bodies degrade instead of throwing: bad base64, unknown charset, unknown encoding', () => {
  assert.equal(decodeTransfer(Buffer.from('SGVs\r\nbG8*!\r\n'), 'base64').toString(), 'Hello');
  assert.equal(decodeTransfer(Buffer.from('as is'), 'x-uuencode').toString(), 'as is');
  assert.equal(decodeText(Buffer.from('caf\xc3\xa9', 'latin1'), 'x-no-such-charset'), 'café');
  // Undeclared 8-bit text: UTF-8 when it is, else windows-1252.
  assert.equal(decodeText(Buffer.from('caf\xe9 \x80', 'latin1'), undefined), 'café €');
  assert.equal(decodeText(Buffer.from('café'), 'us-ascii'), 'café');
});

/** A post with a preamble, transport padding, an attached message, LF inside one part, an epilogue. */
const NESTED = crlf([
  'From: anne@example.org',
  'Subject: nested',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'This is a preamble.',
  '--outer  ',
  'Content-Type: multipart/alternative; boundary=inner',
  '',
  '--inner',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Gr=FC=DFe, Approved: x',
  '--inner',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Hi</p>',
  '--inner--',
  '',
  '--outer',
  'Content-Type: message/rfc822',
  '',
  'From: bob@example.org',
  'Subject: inner',
  'Content-Type: multipart/mixed; boundary=deep',
  '',
  '--deep',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAw==',
  '--deep',
  '',
  'no headers at all',
  '--deep--',
  '',
  '--outer',
  'Content-Type: text/plain',
  '',
  'lf\nlines\n',
  '--outer--',
  'epilogue',
  '',
]);

test('nested multiparts and attached messages are walked parents first, with their types', () => {
  const msg = new Message(Buffer.from(NESTED));
  const parts = [...msg.mime().walk()];
  assert.deepEqual(
    parts.map((p) => p.type),
    [
      'multipart/mixed',
      'multipart/alternative',
      'text/plain',
      'text/html',
      'message/rfc822',
      'multipart/mixed',
      'application/octet-stream',
      'text/plain',
      'text/plain',
    ],
  );
  assert.equal(parts[2].decodedText(), 'Grüße, Approved: x');
  assert.deepEqual([...parts[6].decodedBytes()], [0, 1, 2, 3]);
  assert.equal(parts[7].decodedText(), 'no headers at all');
  assert.equal(parts[8].decodedText(), 'lf\nlines\n');
  assert.equal(parts[5].msg.get('subject'), 'inner');
  assert.equal(firstTextPlain(msg.mime()), parts[2]);
  // multipart/digest children without a Content-Type are messages.
  const digest = new Message(
    Buffer.from(
      crlf(['Content-Type: multipart/digest; boundary=d', '', '--d', '', 'Subject: one', '', 'hi', '--d--', '']),
    ),
  );
  assert.deepEqual(
    [...digest.mime().walk()].map((p) => p.type),
    ['multipart/digest', 'message/rfc822', 'text/plain'],
  );
});

test('editing one part leaves every other byte as it came', () => {
  const msg = new Message(Buffer.from(NESTED));
  const root = msg.mime();
  assert.equal(root.toBuffer().toString('latin1'), NESTED, 'an unedited tree writes back its bytes');
  const parts = [...root.walk()];
  parts[2].setDecodedBytes(Buffer.from('Gr\xfc\xdfe!', 'latin1'));
  parts[7].setDecodedBytes(Buffer.from('edited\r\n'));
  root.commit();
  const expected = NESTED.replace('Gr=FC=DFe, Approved: x', 'Gr=FC=DFe!').replace(
    '\r\n\r\nno headers at all',
    '\r\n\r\nedited\r\n',
  );
  assert.equal(msg.toBuffer().toString('latin1'), expected);
  // Dropping a part rebuilds only its container; the others keep their delimiters and padding.
  const again = new Message(Buffer.from(NESTED));
  const outer = again.mime();
  outer.setChildren([outer.children![0], outer.children![2]]);
  outer.commit();
  const start = NESTED.indexOf('\r\n--outer\r\nContent-Type: message/rfc822');
  const end = NESTED.indexOf('\r\n--outer\r\nContent-Type: text/plain');
  assert.equal(again.toBuffer().toString('latin1'), NESTED.slice(0, start) + NESTED.slice(end));
});

test('a Message owns its tree: parsed once, parsed again after any edit', () => {
  const msg = new Message(Buffer.from(NESTED));
  const first = msg.mime();
  assert.equal(msg.mime(), first);
  msg.set('Subject', 'renamed');
  const second = msg.mime();
  assert.notEqual(second, first);
  msg.set('Content-Type', 'text/plain');
  assert.equal(msg.mime().isContainer, false);
  msg.remove('content-type');
  msg.add('Content-Type', 'multipart/mixed; boundary="outer"');
  const third = msg.mime();
  assert.equal(third.children?.length, 3);
  msg.body = Buffer.from('--outer\r\n\r\nonly\r\n--outer--\r\n');
  assert.equal(msg.mime().children?.length, 1);
  assert.equal(msg.mime().children?.[0].decodedText(), 'only');
});

test('a multipart without its close delimiter still has its parts; rebuilt, it gets one', () => {
  const unclosed = crlf(['Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'one', '--b', '', 'two']);
  const msg = new Message(Buffer.from(unclosed));
  const root = msg.mime();
  assert.deepEqual(
    root.children?.map((p) => p.decodedText()),
    ['one', 'two'],
  );
  assert.equal(root.toBuffer().toString(), msg.toBuffer().toString());
  root.setChildren([root.children![1]]);
  root.commit();
  assert.equal(msg.body.toString(), '--b\r\n\r\ntwo\r\n--b--\r\n');
  // No delimiter at all: one opaque part, as a reader shows it.
  const opaque = new Message(Buffer.from('Content-Type: multipart/mixed; boundary=zz\r\n\r\nplain\r\n'));
  assert.equal(opaque.mime().isContainer, false);
});

test('hostile structure is bounded: nesting depth, part count, part header size', () => {
  const depth = 2000;
  let body = 'leaf\r\n';
  for (let i = depth; i > 0; i--) {
    body = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
  }
  const deep = new Message(Buffer.from(body));
  const levels = [...deep.mime().walk()];
  assert.equal(levels.length, MAX_DEPTH + 1);
  assert.equal(deep.mime().toBuffer().toString(), body);
  const delimited = Array.from({ length: MAX_PARTS * 3 }, (_, i) => `--m\r\n\r\n${i}`);
  const many = crlf(['Content-Type: multipart/mixed; boundary=m', '', ...delimited, '--m--', '']);
  const wide = new Message(Buffer.from(many));
  const root = wide.mime();
  assert.ok([...root.walk()].length <= MAX_PARTS);
  assert.equal(root.toBuffer().toString(), many);
  root.setChildren(root.children!.slice(1));
  root.commit();
  // The first part goes; the rest, parsed or not, stays as it came.
  const wideBody = many.slice(many.indexOf('\r\n\r\n') + 4);
  assert.equal(wide.body.toString(), `--m\r\n${wideBody.slice(wideBody.indexOf('\r\n1\r\n'))}`);
  const fat = crlf([
    'Content-Type: multipart/mixed; boundary=f',
    '',
    '--f',
    `X-Pad: ${'p'.repeat(70 * 1024)}`,
    'Content-Type: multipart/mixed; boundary=g',
    '',
    '--g',
    '',
    'x',
    '--g--',
    '--f--',
    '',
  ]);
  const parts = [...new Message(Buffer.from(fat)).mime().walk()];
  assert.equal(parts.length, 2);
  assert.equal(parts[1].isContainer, false);
});

test('new parts: MimeNode chooses the headers, the body reads back as the text', () => {
  const ascii = textPart('Read the rules.\n', '\r\n').toString();
  const head = [
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    'Content-Disposition: inline',
  ].join('\r\n');
  assert.equal(ascii, `${head}\r\n\r\nRead the rules.`);
  for (const text of ['-- Liste für Ameisen\nbye\n', '日本語のフッター\n']) {
    const part = MimePart.fromBytes(textPart(text, '\n'));
    assert.equal(part.params.charset, 'utf-8');
    assert.match(part.transferEncoding, /^(quoted-printable|base64)$/);
    assert.equal(part.decodedText().replace(/\r\n/g, '\n').replace(/\n$/, ''), text.replace(/\n$/, ''));
    assert.doesNotMatch(part.toBuffer().toString('latin1'), /\r/, "the message's own line ends");
  }
  const boundary = newBoundary();
  const wrapped = new Message(
    Buffer.concat([
      Buffer.from(`Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`),
      multipartBody(boundary, [textPart('one', '\r\n'), textPart('two\n', '\r\n')], '\r\n'),
    ]),
  );
  assert.deepEqual(
    wrapped.mime().children?.map((p) => p.decodedText()),
    ['one', 'two'],
  );
});

test('MIME soup never throws and an unedited tree always writes back its bytes', () => {
  // A fixed-seed generator, so a failure names the message that caused it.
  let seed = 20261206;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const pieces = [
    '--a',
    '--a--',
    '--b',
    '--b--',
    '\r\n',
    '\n',
    '',
    'Content-Type: multipart/mixed; boundary=a',
    'Content-Type: message/rfc822',
    'Content-Type: multipart/alternative; boundary="b"',
    'Content-Type: text/plain; charset=x-unknown',
    'Content-Type: ;;==',
    'Content-Transfer-Encoding: base64',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Transfer-Encoding: x-bogus',
    `Content-Disposition: attachment; filename*0*=utf-8''%E2%82; filename*5=x`,
    '=E2=8',
    '=\r\n',
    '!!!%%%',
    '\xff\xfe\x00',
  ];
  for (let n = 0; n < 300; n++) {
    const lines = Array.from({ length: 1 + next(40) }, () => pieces[next(pieces.length)]);
    const raw = Buffer.from(`${pieces[7 + next(3)]}\r\n\r\n${lines.join('\r\n')}`, 'latin1');
    const msg = new Message(raw);
    for (const part of msg.mime().walk()) {
      assert.equal(typeof part.decodedText(), 'string', `message ${n}`);
      assert.equal(typeof part.filename, 'string');
    }
    assert.ok(msg.mime().toBuffer().equals(raw), `message ${n}`);
  }
});
