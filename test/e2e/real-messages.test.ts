// Posts as real clients send them (test/fixtures/real-messages/: Thunderbird's
// multipart/alternative, an Apple Mail S/MIME and a Thunderbird PGP/MIME signed post, Latin-1
// in 8bit, UTF-8 in base64, Gmail's attachments; RFC 2047 subjects in UTF-8 and ISO-8859-1, Q
// and B) through the real server with everything that touches a post turned on: ARC sealing,
// an archiver (Archived-At), remove_dkim_headers, a personalised footer, digests, and on a
// second list content filtering with HTML to text. At the SMTP sink each copy has the list's
// headers and a verifying ARC set, its subject prefixed and still decodable, its MIME tree as
// decoration leaves it, and every part the handlers have no business changing is the bytes
// the poster sent: both signatures still verify (openssl, gpg). The MIME and plain digests of
// the same posts carry them the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arc, dkimVerify } from 'mailauth';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { sendLmtp } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';
import { Message, messageIdHash } from '../../src/email/message.js';
import { MimePart } from '../../src/email/mime-tree.js';
import { DnsServer } from '../helpers/dns-server.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/real-messages/', import.meta.url));
const LIST = 'ant.example.com';
const ARCHIVE = 'archive@archive.example.net';
const WATCHER = 'watcher@example.net';
const MIME_READER = 'mime-reader@example.net';
const PLAIN_READER = 'plain-reader@example.net';
const POSTERS = [
  'anne@example.org',
  'bart@example.org',
  'cris@example.net',
  'dora@example.org',
  'erin@example.org',
  'renee@example.org',
];
const FOOTER = '-- \nAnt mailing list -- ant@example.com\nSent to ${user_address}\n';
const footerFor = (email: string, nl = '\r\n') =>
  `-- ${nl}Ant mailing list -- ant@example.com${nl}Sent to ${email}${nl}`;
/** The footer as a part of its own: its last line break is the next delimiter's. */
const footerPart = (email: string) => footerFor(email).slice(0, -2);

const arcKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DNS: Record<string, string[][]> = {
  'arc._domainkey.example.com': [
    [`v=DKIM1; k=rsa; p=${arcKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
  ],
};
const resolver = async (name: string) => {
  const found = DNS[name.toLowerCase()];
  if (!found) throw Object.assign(new Error(`no record for ${name}`), { code: 'ENOTFOUND' });
  return found;
};

interface Fixture {
  raw: Buffer;
  msg: Message;
  root: MimePart;
  id: string;
  sender: string;
}

/** A fixture as it travels: CRLF line ends. */
function fixture(name: string): Fixture {
  const raw = Buffer.from(readFileSync(join(FIXTURES, name)).toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  const msg = new Message(raw);
  return { raw, msg, root: MimePart.fromBytes(raw), id: msg.messageId!, sender: msg.addresses('from')[0].email };
}

const posts = {
  thunderbird: fixture('thunderbird-alternative.eml'),
  signed: fixture('apple-mail-smime-signed.eml'),
  pgp: fixture('thunderbird-pgp-mime-signed.eml'),
  latin1: fixture('mutt-latin1-8bit.eml'),
  base64: fixture('outlook-base64-text.eml'),
  attachments: fixture('gmail-attachments.eml'),
};

const BEE = 'bee.example.com';
/** The same post addressed to bee (else implicit-dest holds it): only its To line differs. */
function toBee(post: Fixture): Fixture {
  const raw = Buffer.from(
    post.raw.toString('latin1').replace(/^To: ant@example\.com\r$/m, 'To: bee@example.com\r'),
    'latin1',
  );
  assert.notEqual(raw.toString('latin1'), post.raw.toString('latin1'));
  return { ...post, raw, msg: new Message(raw), root: MimePart.fromBytes(raw) };
}
const BEE_POSTS = [posts.thunderbird, posts.signed, posts.attachments].map(toBee);
const [beeThunderbird, beeSigned, beeAttachments] = BEE_POSTS;

let sink: SmtpSink;
let server: TestServer;
let dir: string;
let dns: DnsServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'real-messages-'));
  writeFileSync(join(dir, 'arc.pem'), arcKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  dns = await new DnsServer(DNS).start();
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: [
      '[mta]',
      'remove_dkim_headers: yes',
      '[ARC]',
      'enabled: yes',
      'authserv_id: lists.example.com',
      `privkey: ${join(dir, 'arc.pem')}`,
      'selector: arc',
      'domain: example.com',
      // DKIM keys and DMARC policies are asked of the stand-in nameserver: none is published
      // for the posters, so the verdict is none, sealed as cv=none.
      'dkim: yes',
      'dmarc: yes',
      '[dns]',
      `nameservers: 127.0.0.1:${dns.port}`,
      '[archiver.mail_archive]',
      'class: mailman.archiving.mailarchive.MailArchive',
      'enable: yes',
      'base_url: http://archive.example.net/',
      `recipient: ${ARCHIVE}`,
    ].join('\n'),
  });
  await server.createList('ant@example.com', [...POSTERS, WATCHER, MIME_READER, PLAIN_READER]);
  for (const [email, mode] of [
    [MIME_READER, 'mime_digests'],
    [PLAIN_READER, 'plaintext_digests'],
  ]) {
    const member = await server.rest('GET', `/lists/${LIST}/member/${email}`);
    const self = String(member.body.self_link);
    const res = await server.rest('PATCH', self.slice(self.indexOf('/members/')), { delivery_mode: mode });
    assert.equal(res.status, 204, JSON.stringify(res.body));
  }
  const res = await server.rest('PATCH', `/lists/${LIST}/config`, {
    personalize: 'individual',
    member_regular_footer: FOOTER,
  });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  // Bee filters content: HTML becomes text, alternatives are kept (so the converted one is seen).
  await server.createList('bee@example.com', [...POSTERS, WATCHER]);
  const bee = await server.rest('PATCH', `/lists/${BEE}/config`, {
    filter_content: true,
    convert_html_to_plaintext: true,
    collapse_alternatives: false,
  });
  assert.equal(bee.status, 204, JSON.stringify(bee.body));
  const send = async (post: Fixture, list: string) =>
    assert.deepEqual((await sendLmtp(server.lmtpPort, post.sender, [list], post.raw)).accepted, [list]);
  for (const post of Object.values(posts)) await send(post, 'ant@example.com');
  for (const post of BEE_POSTS) await send(post, 'bee@example.com');
  const all = Object.values(posts);
  await sink.waitFor(
    () =>
      all.every((p) => copiesOf(WATCHER, p).length && copiesOf(ARCHIVE, p).length) &&
      BEE_POSTS.every((p) => copiesOf(WATCHER, p, BEE).length && copiesOf(ARCHIVE, p, BEE).length),
    30_000,
    "the watcher's and the archive's copies",
  );
  await barrierPost(server, sink);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const copiesOf = (email: string, post: Fixture, list = LIST) =>
  sink.copiesFor(email, (r) => r.msg.messageId === post.id && r.msg.get('list-id') === `<${list}>`);

function copyOf(email: string, post: Fixture, list = LIST): Received | undefined {
  const copies = copiesOf(email, post, list);
  assert.ok(copies.length <= 1, `one copy of ${post.id} for ${email}`);
  return copies[0];
}

const bytes = (p: MimePart) => p.toBuffer().toString('latin1');
const types = (p: MimePart): string[] => [...p.walk()].map((x) => x.type);
/** The parts below a container, as received, each its own bytes. */
const childBytes = (p: MimePart) => p.children!.map(bytes);

/** Everything a member's copy carries whatever its content: the list's headers, a verifying ARC set. */
async function listHeaders(copy: Received, post: Fixture, list = LIST): Promise<void> {
  const m = copy.msg;
  assert.equal(m.get('list-id'), `<${list}>`);
  const name = list.split('.')[0];
  assert.equal(m.get('list-post'), `<mailto:${name}@example.com>`);
  assert.equal(m.get('list-help'), `<mailto:${name}-request@example.com?subject=help>`);
  assert.equal(m.get('list-subscribe'), `<mailto:${name}-join@example.com>`);
  assert.equal(m.get('list-unsubscribe'), `<mailto:${name}-leave@example.com>`);
  assert.equal(m.get('list-archive'), `<http://archive.example.net/${name}%40example.com>`);
  assert.equal(m.get('archived-at'), `<http://archive.example.net/${messageIdHash(post.id)}>`);
  assert.equal(m.get('x-message-id-hash'), messageIdHash(post.id));
  // remove_dkim_headers: no Authentication-Results left, the upstream one included; the
  // verdict travels in the seal's ARC-Authentication-Results.
  assert.deepEqual(m.getAll('authentication-results'), []);
  assert.match(String(m.get('arc-authentication-results')), /^i=1; lists\.example\.com; /);
  assert.match(String(m.get('arc-authentication-results')), /dmarc=none/);
  assert.match(String(m.get('arc-seal')), /^i=1; a=rsa-sha256; .*cv=none/s);
  assert.match(String(m.get('arc-message-signature')), /^i=1; a=rsa-sha256; /);
  const verified = await dkimVerify(copy.raw, { resolver });
  const chain = await arc(verified.arc as Parameters<typeof arc>[0], { resolver });
  assert.equal(chain.status.result, 'pass', `the ARC chain of ${post.id} verifies`);
}

test('Thunderbird multipart/alternative: wrapped with the footer, both alternatives byte for byte', async () => {
  const post = posts.thunderbird;
  const copy = copyOf(WATCHER, post)!;
  await listHeaders(copy, post);
  assert.equal(copy.msg.get('subject'), '[Ant] Café am Donnerstag ☕');
  const root = MimePart.fromBytes(copy.raw);
  assert.deepEqual(types(root), ['multipart/mixed', 'multipart/alternative', 'text/plain', 'text/html', 'text/plain']);
  const [alternative, footer] = root.children!;
  assert.deepEqual(childBytes(alternative), childBytes(post.root));
  assert.equal(alternative.params.boundary, post.root.params.boundary);
  assert.equal(footer.decodedText(), footerPart(WATCHER));
});

test('Apple Mail S/MIME: the multipart/signed is wrapped whole, and its signature still verifies', async () => {
  const post = posts.signed;
  const copy = copyOf(WATCHER, post)!;
  await listHeaders(copy, post);
  assert.equal(copy.msg.get('subject'), '[Ant] Procès-verbal de mardi');
  const root = MimePart.fromBytes(copy.raw);
  assert.deepEqual(types(root), [
    'multipart/mixed',
    'multipart/signed',
    'text/plain',
    'application/pkcs7-signature',
    'text/plain',
  ]);
  const [signed, footer] = root.children!;
  assert.equal(signed.params.protocol, 'application/pkcs7-signature');
  assert.equal(signed.params.micalg, 'sha-256');
  assert.deepEqual(childBytes(signed), childBytes(post.root));
  assert.equal(footer.decodedText(), footerPart(WATCHER));
  // The signature checked as a mail reader would: over the signed part's bytes as they arrived.
  const content = join(dir, 'signed-part');
  const signature = join(dir, 'smime.p7s');
  writeFileSync(content, signed.children![0].toBuffer());
  writeFileSync(signature, signed.children![1].decodedBytes());
  execFileSync(
    'openssl',
    ['cms', '-verify', '-binary', '-noverify', '-inform', 'DER', '-in', signature, '-content', content],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
});

test('Thunderbird PGP/MIME: the multipart/signed is wrapped whole, and gpg still finds a good signature', async () => {
  const post = posts.pgp;
  const copy = copyOf(WATCHER, post)!;
  await listHeaders(copy, post);
  assert.equal(copy.msg.get('subject'), '[Ant] Keys for the signing party');
  const root = MimePart.fromBytes(copy.raw);
  assert.deepEqual(types(root), [
    'multipart/mixed',
    'multipart/signed',
    'multipart/mixed',
    'text/plain',
    'application/pgp-signature',
    'text/plain',
  ]);
  const [signed, footer] = root.children!;
  assert.equal(signed.params.protocol, 'application/pgp-signature');
  assert.deepEqual(childBytes(signed), childBytes(post.root));
  // The preamble Thunderbird writes for readers without OpenPGP comes along too.
  assert.match(signed.msg.body.toString('latin1'), /^This is an OpenPGP\/MIME signed message/);
  assert.equal(footer.decodedText(), footerPart(WATCHER));
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const gpg = (...args: string[]) =>
    execFileSync('gpg', ['--homedir', home, '--batch', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    gpg('--import', join(FIXTURES, 'erin-openpgp-public.asc'));
    const content = join(dir, 'pgp-signed-part');
    const signature = join(dir, 'OpenPGP_signature.asc');
    writeFileSync(content, signed.children![0].toBuffer());
    writeFileSync(signature, signed.children![1].decodedBytes());
    gpg('--verify', signature, content);
  } finally {
    // The agent gpg may have started for this home goes with it.
    execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
  }
});

test('Latin-1 in 8bit: the footer is appended in the same charset and encoding, the body kept before it', async () => {
  const post = posts.latin1;
  const copy = copyOf(WATCHER, post)!;
  await listHeaders(copy, post);
  assert.equal(copy.msg.get('subject'), '[Ant] Résumé de la réunion');
  assert.equal(copy.msg.addresses('from')[0].name, 'Renée Dupont');
  const root = MimePart.fromBytes(copy.raw);
  assert.deepEqual(types(root), ['text/plain']);
  assert.equal(root.params.charset, 'iso-8859-1');
  assert.equal(root.transferEncoding, '8bit');
  assert.equal(copy.body, '8BITMIME', 'an 8-bit body goes with BODY=8BITMIME');
  assert.equal(copyOf(WATCHER, posts.base64)!.body, undefined, 'a 7-bit one without');
  assert.equal(copy.msg.body.toString('latin1'), post.msg.body.toString('latin1') + footerFor(WATCHER));
  assert.match(root.decodedText(), /^Bonjour à tous,\r\n\r\nvoici le résumé/);
});

test('UTF-8 in base64: the footer goes inside the encoding, the text reads whole', async () => {
  const post = posts.base64;
  const copy = copyOf(WATCHER, post)!;
  await listHeaders(copy, post);
  assert.equal(copy.msg.get('subject'), '[Ant] Встреча в пятницу');
  const root = MimePart.fromBytes(copy.raw);
  assert.deepEqual(types(root), ['text/plain']);
  assert.equal(root.transferEncoding, 'base64');
  // The text inside the base64 has LF line ends, and the footer follows them.
  assert.equal(root.decodedText(), post.root.decodedText() + footerFor(WATCHER, '\n'));
});

test('Gmail attachments: the footer is a last part; the text and both attachments are byte for byte', async () => {
  const post = posts.attachments;
  const copy = copyOf(WATCHER, post)!;
  await listHeaders(copy, post);
  assert.equal(copy.msg.get('subject'), '[Ant] Plan and logo');
  const root = MimePart.fromBytes(copy.raw);
  assert.deepEqual(types(root), [
    'multipart/mixed',
    'multipart/alternative',
    'text/plain',
    'text/html',
    'application/pdf',
    'image/png',
    'text/plain',
  ]);
  const parts = root.children!;
  assert.deepEqual(parts.slice(0, 3).map(bytes), childBytes(post.root));
  assert.equal(parts[1].filename, 'plan.pdf');
  assert.match(parts[1].decodedBytes().toString('latin1'), /^%PDF-1\.4\n[\s\S]*%%EOF\n$/);
  assert.equal(parts[2].decodedBytes().subarray(1, 4).toString(), 'PNG');
  assert.equal(parts[3].decodedText(), footerPart(WATCHER));
});

test('each member gets its own footer; the archive gets the body as posted, undecorated', () => {
  for (const post of Object.values(posts)) {
    for (const email of POSTERS) {
      const copy = copyOf(email, post);
      assert.ok(copy, `${email} has ${post.id}`);
      const texts = [...MimePart.fromBytes(copy.raw).walk()].filter((p) => p.type === 'text/plain' && !p.isContainer);
      assert.ok(
        texts.some((p) => p.decodedText().includes(`Sent to ${email}`)),
        `${email}'s own footer`,
      );
    }
    const archived = copyOf(ARCHIVE, post)!;
    assert.equal(archived.msg.body.toString('latin1'), post.msg.body.toString('latin1'), `${post.id} as posted`);
    assert.equal(archived.msg.get('archived-at'), `<http://archive.example.net/${messageIdHash(post.id)}>`);
    assert.equal(copyOf(MIME_READER, post), undefined, 'digest members get no single copy');
    assert.equal(copyOf(PLAIN_READER, post), undefined);
  }
});

test('the MIME digest carries each post with its body byte for byte; the plain digest reads each as text', async () => {
  const numbering = (await server.rest('GET', `/lists/${LIST}/digest`)).body;
  const subject = `Ant Digest, Vol ${numbering.volume}, Issue ${numbering.next_digest_number}`;
  assert.equal((await server.rest('POST', `/lists/${LIST}/digest`, { send: true })).status, 202);
  const isIssue = (r: Received) => r.msg.get('subject') === subject;
  await sink.waitFor(
    () => sink.copiesFor(MIME_READER, isIssue).length === 1 && sink.copiesFor(PLAIN_READER, isIssue).length === 1,
    20_000,
    'the digests',
  );
  const all = Object.values(posts);

  const mime = MimePart.fromBytes(sink.copiesFor(MIME_READER, isIssue)[0].raw);
  assert.deepEqual(
    mime.children!.map((p) => p.type),
    ['text/plain', 'text/plain', 'multipart/digest', 'text/plain'],
  );
  const toc = mime.children![1].decodedText();
  for (const s of ['Café am Donnerstag ☕', 'Procès-verbal de mardi', 'Résumé de la réunion', 'Встреча в пятницу'])
    assert.ok(toc.includes(s), `the table of contents names ${s}`);
  const carried = mime.children![2].children!;
  assert.deepEqual(
    carried.map((p) => p.type),
    all.map(() => 'message/rfc822'),
  );
  // The pipeline works on several posts at once: the digest holds them in the order they were done.
  const inners = carried.map((part) => part.children![0]);
  assert.deepEqual(inners.map((p) => p.msg.messageId).sort(), all.map((p) => p.id).sort());
  for (const post of all) {
    const inner = inners.find((p) => p.msg.messageId === post.id)!;
    assert.equal(inner.msg.body.toString('latin1'), post.msg.body.toString('latin1'), `${post.id} byte for byte`);
    assert.deepEqual(types(inner), types(post.root));
    // [digests] mime_digest_keep_headers: the poster's client is not among them, Content-* always is.
    assert.equal(inner.msg.has('user-agent') || inner.msg.has('x-mailer'), false);
    assert.equal(inner.msg.get('content-type'), post.msg.get('content-type'));
  }
  // The Latin-1 post is 8-bit: its message/rfc822 part, the parts around it and the SMTP
  // transaction say so (RFC 2045 forbids 8-bit content under the 7bit default).
  const latin1 = carried.find((p) => p.children![0].msg.messageId === posts.latin1.id)!;
  assert.deepEqual(
    [mime.transferEncoding, mime.children![2].transferEncoding, latin1.transferEncoding],
    ['8bit', '8bit', '8bit'],
  );
  const ascii = carried.find((p) => p.children![0].msg.messageId === posts.base64.id)!;
  assert.equal(ascii.transferEncoding, '7bit');
  assert.equal(sink.copiesFor(MIME_READER, isIssue)[0].body, '8BITMIME');
  const thunderbird = inners.find((p) => p.msg.messageId === posts.thunderbird.id)!;
  assert.equal(thunderbird.msg.get('subject'), '[Ant] Café am Donnerstag ☕');

  const plain = MimePart.fromBytes(sink.copiesFor(PLAIN_READER, isIssue)[0].raw);
  assert.deepEqual(types(plain), ['text/plain']);
  const text = plain.decodedText().replace(/\r\n/g, '\n');
  assert.match(text, /\nSubject: \[Ant\] Café am Donnerstag ☕\n/);
  assert.match(text, /wir treffen uns am Donnerstag im Café Müller\. Wer möchte, bringt Kuchen mit\./);
  assert.match(text, /\nSubject: \[Ant\] Procès-verbal de mardi\n[\s\S]*the minutes of Tuesday’s meeting/);
  assert.match(text, /\[A application\/pkcs7-signature part, smime\.p7s is not included in the plain-text digest\.\]/);
  assert.match(text, /\nFrom: Renée Dupont <renee@example\.org>\n/);
  assert.match(text, /Bonjour à tous,\n\nvoici le résumé de la réunion/);
  assert.match(text, /Привет, муравьи!\n\nВстреча переносится на пятницу\./);
  assert.match(text, /\[A application\/pdf part, plan\.pdf is not included in the plain-text digest\.\]/);
  assert.match(text, /\[A image\/png part, logo\.png is not included in the plain-text digest\.\]/);
});

test('mime-delete with convert_html_to_plaintext: each HTML part becomes text, every other part byte for byte', async () => {
  const thunderbird = copyOf(ARCHIVE, beeThunderbird, BEE)!;
  await listHeaders(copyOf(WATCHER, beeThunderbird, BEE)!, beeThunderbird, BEE);
  const root = MimePart.fromBytes(thunderbird.raw);
  assert.deepEqual(types(root), ['multipart/alternative', 'text/plain', 'text/plain']);
  const [flowed, converted] = root.children!;
  assert.equal(bytes(flowed), bytes(posts.thunderbird.root.children![0]));
  assert.equal(converted.params.charset, 'utf-8');
  assert.match(converted.decodedText(), /wir treffen uns am \S*Donnerstag\S* im Café Müller\. Wer\s+möchte/);
  assert.doesNotMatch(converted.decodedText(), /<p>|<b>/);

  // A signed post has no HTML: it passes through whole, and its signature part with it.
  const signed = MimePart.fromBytes(copyOf(ARCHIVE, beeSigned, BEE)!.raw);
  assert.equal(signed.msg.body.toString('latin1'), posts.signed.msg.body.toString('latin1'));

  const gmail = MimePart.fromBytes(copyOf(ARCHIVE, beeAttachments, BEE)!.raw);
  assert.deepEqual(types(gmail), [
    'multipart/mixed',
    'multipart/alternative',
    'text/plain',
    'text/plain',
    'application/pdf',
    'image/png',
  ]);
  const [alternative, pdf, png] = gmail.children!;
  const [, sentPdf, sentPng] = posts.attachments.root.children!;
  assert.equal(bytes(alternative.children![0]), bytes(posts.attachments.root.children![0].children![0]));
  assert.equal(alternative.children![1].decodedText().trim(), 'The floor plan and the logo are attached.');
  assert.deepEqual([bytes(pdf), bytes(png)], [bytes(sentPdf), bytes(sentPng)]);
});
