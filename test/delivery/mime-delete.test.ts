// Content filtering on real MIME messages: parts filtered by type and extension, pass lists,
// alternatives collapsed, single-part multiparts recast, and the post disposed of by
// filter_action when nothing acceptable is left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryWorld } from './support.js';
import { DiscardMessage, RejectMessage } from '../../src/registry.js';
import { Message } from '../../src/email/message.js';

let world: DeliveryWorld;
before(async () => {
  world = await DeliveryWorld.open('[mailman]\nfiltered_messages_are_preservable: yes');
});
after(async () => {
  await world?.close();
});

const HEAD = [
  'From: anne@example.org',
  'To: ant@example.com',
  'Subject: parts',
  'Message-ID: <parts@example.org>',
  'MIME-Version: 1.0',
];

function mixed(...parts: string[][]): string {
  return [
    ...HEAD,
    'Content-Type: multipart/mixed; boundary="MIX"',
    '',
    'This is a multi-part message.',
    ...parts.flatMap((p) => ['--MIX', ...p]),
    '--MIX--',
    '',
  ].join('\r\n');
}
const TEXT = ['Content-Type: text/plain; charset=us-ascii', '', 'Hello.'];
const HTML = ['Content-Type: text/html; charset=us-ascii', '', '<p>Hello.</p>'];
const EXE = [
  'Content-Type: application/octet-stream; name="run.exe"',
  'Content-Disposition: attachment; filename="run.exe"',
  'Content-Transfer-Encoding: base64',
  '',
  'TVqQAA==',
];
const PDF = [
  'Content-Type: application/pdf',
  "Content-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9.PDF",
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0=',
];
const ALT = ['Content-Type: multipart/alternative; boundary="ALT"', '', '--ALT', ...TEXT, '--ALT', ...HTML, '--ALT--'];

async function filter(raw: string, settings: Record<string, unknown>) {
  await world.configure({
    filter_content: true,
    filter_types: '',
    pass_types: '',
    filter_extensions: '',
    pass_extensions: '',
    collapse_alternatives: true,
    filter_action: 'discard',
    ...settings,
  });
  return world.run('mime-delete', world.ctx(raw));
}

/** The types of a message's parts, from its bytes as they would be sent. */
function types(m: Message): string[] {
  return [...new Message(m.toBuffer()).mime().walk()].map((p) => p.type);
}

test('the MIME tree writes an unchanged message back byte for byte', () => {
  const raw = Buffer.from(mixed(TEXT, ALT, PDF));
  const tree = new Message(raw).mime();
  assert.deepEqual(
    [...tree.walk()].map((p) => p.type),
    ['multipart/mixed', 'text/plain', 'multipart/alternative', 'text/plain', 'text/html', 'application/pdf'],
  );
  assert.equal([...tree.walk()][5].extension, 'pdf');
  assert.equal([...tree.walk()][5].filename, 'Résumé.PDF');
  assert.equal(tree.toBuffer().toString(), raw.toString());
});

test('filter_content off: nothing happens', async () => {
  await world.configure({ filter_content: false, filter_types: 'text/plain' });
  const raw = mixed(TEXT, EXE);
  const ctx = await world.run('mime-delete', world.ctx(raw));
  assert.equal(ctx.msg.toBuffer().toString(), raw);
});

test('parts of a filtered type or extension are removed, and the post is marked', async () => {
  const ctx = await filter(mixed(TEXT, EXE, PDF), { filter_extensions: 'exe' });
  const tree = new Message(ctx.msg.toBuffer()).mime();
  assert.deepEqual(
    [...tree.walk()].map((p) => p.type),
    ['multipart/mixed', 'text/plain', 'application/pdf'],
  );
  assert.match(ctx.msg.get('x-content-filtered-by') ?? '', /^Mailman\/MimeDel /);
  assert.match(
    ctx.msg.body.toString(),
    /^This is a multi-part message\.\r\n--MIX\r\nContent-Type: text\/plain; charset=us-ascii\r\n\r\nHello\.\r\n--MIX\r\nContent-Type: application\/pdf/,
  );
  assert.match(ctx.msg.body.toString(), /JVBERi0=\r\n--MIX--\r\n$/);
  // By main type: every application/* part goes; the one part left replaces the multipart.
  const single = await filter(mixed(TEXT, EXE, PDF), { filter_types: 'application' });
  assert.equal(single.msg.get('content-type'), 'text/plain; charset=us-ascii');
  assert.equal(single.msg.body.toString(), 'Hello.');
});

test('pass_types and pass_extensions keep only what they name', async () => {
  const ctx = await filter(mixed(TEXT, EXE, PDF), { pass_types: 'multipart\ntext/plain\napplication/pdf' });
  assert.deepEqual(types(ctx.msg), ['multipart/mixed', 'text/plain', 'application/pdf']);
  const ext = await filter(mixed(TEXT, EXE, PDF), { pass_extensions: '.pdf' });
  assert.deepEqual(types(ext.msg), ['multipart/mixed', 'text/plain', 'application/pdf']);
});

test('multipart/alternative collapses to its first alternative', async () => {
  const nested = await filter(mixed(ALT, PDF), {});
  assert.deepEqual(types(nested.msg), ['multipart/mixed', 'text/plain', 'application/pdf']);
  const outer = await filter([...HEAD, ...ALT, ''].join('\r\n'), {});
  assert.equal(outer.msg.get('content-type'), 'text/plain; charset=us-ascii');
  assert.equal(outer.msg.body.toString(), 'Hello.');
  assert.equal(outer.msg.get('subject'), 'parts');
  // With collapse_alternatives off, a clean post is untouched.
  const raw = mixed(ALT, PDF);
  const kept = await filter(raw, { collapse_alternatives: false });
  assert.equal(kept.msg.toBuffer().toString(), raw);
});

test('a post of a filtered type is disposed of by filter_action', async () => {
  const html = [...HEAD, ...HTML, ''].join('\r\n');
  await assert.rejects(
    filter(html, { filter_types: 'text/html' }),
    (e) => e instanceof DiscardMessage && /explicitly disallowed/.test(e.message),
  );
  await assert.rejects(
    filter(html, { pass_types: 'text/plain', filter_action: 'reject' }),
    (e) => e instanceof RejectMessage && /not explicitly allowed/.test(e.message),
  );
  await assert.rejects(
    filter(mixed(EXE), { filter_extensions: 'exe' }),
    (e) => e instanceof DiscardMessage && /empty/.test(e.message),
  );
  await assert.rejects(filter(html, { filter_types: 'text/html', filter_action: 'preserve' }), DiscardMessage);
  const bad = await world.queued('bad');
  assert.equal(bad.length, 1);
  assert.equal(bad[0].msg.messageId, '<parts@example.org>');
  await assert.rejects(filter(html, { filter_types: 'text/html', filter_action: 'forward' }), DiscardMessage);
  const notices = await world.queued('virgin');
  assert.equal(notices.length, 1);
  assert.deepEqual(notices[0].msgdata.recipients, ['ant-owner@example.com']);
  assert.equal(notices[0].msg.get('subject'), 'Content filter message notification');
  assert.match(notices[0].msg.body.toString(), /Content-Type: message\/rfc822[\s\S]*<p>Hello\.<\/p>/);
});

test('convert_html_to_plaintext: every HTML part left becomes the text a reader sees, as UTF-8', async () => {
  const page = [
    'Content-Type: text/html; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '<html><head><style>p { color: red }</style><script>alert(1)</script></head><body>',
    '<h1>Caf=E9 news</h1><p>Read <a href=3D"https://example.org/more">the rest</a>.</p>',
    '<ul><li>one</li><li>two</li></ul><img src=3D"x.png" alt=3D"logo"></body></html>',
  ];
  const ctx = await filter(mixed(page, PDF), { convert_html_to_plaintext: true });
  const sent = new Message(ctx.msg.toBuffer());
  const parts = [...sent.mime().walk()];
  assert.deepEqual(
    parts.map((p) => p.type),
    ['multipart/mixed', 'text/plain', 'application/pdf'],
  );
  assert.equal(parts[1].params.charset, 'utf-8');
  const text = parts[1].decodedText();
  assert.match(text, /CAFÉ NEWS/);
  assert.match(text, /Read the rest \[https:\/\/example\.org\/more\]\./);
  assert.match(text, /\* one\r\n \* two/);
  assert.doesNotMatch(text, /alert|color|<|logo/);
  assert.equal(sent.get('x-content-filtered-by')?.startsWith('Mailman/MimeDel'), true);
  // Alternatives kept (collapse off): the HTML alternative is converted too; off, nothing changes.
  const alt = await filter(mixed(ALT), { convert_html_to_plaintext: true, collapse_alternatives: false });
  assert.deepEqual(types(alt.msg), ['multipart/alternative', 'text/plain', 'text/plain']);
  const untouched = await filter(mixed(ALT), { convert_html_to_plaintext: false, collapse_alternatives: false });
  assert.deepEqual(types(untouched.msg), ['multipart/alternative', 'text/plain', 'text/html']);
  await world.configure({ convert_html_to_plaintext: false });
});

test('convert_html_to_plaintext: hostile HTML (deep nesting, a huge page) is cut, not walked', async () => {
  const deep = ['Content-Type: text/html', '', '<div>'.repeat(100_000) + 'bottom' + '</div>'.repeat(100_000)];
  const ctx = await filter([...HEAD, ...deep].join('\r\n'), { convert_html_to_plaintext: true });
  assert.equal(ctx.msg.mime().type, 'text/plain');
  assert.doesNotMatch(ctx.msg.mime().decodedText(), /bottom/, 'past the depth limit nothing is descended into');
  const huge = ['Content-Type: text/html', '', '<p>' + 'word '.repeat(1_000_000) + '</p>'];
  const big = await filter([...HEAD, ...huge].join('\r\n'), { convert_html_to_plaintext: true });
  assert.ok(big.msg.mime().decodedText().length < 4.5 * 2 ** 20);
  await world.configure({ convert_html_to_plaintext: false });
});
