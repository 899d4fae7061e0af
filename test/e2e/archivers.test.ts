// The archive runner and the four archivers against the real server: a post reaches the
// prototype maildir, a mail-archive address (a copy at the SMTP sink, with Archived-At), a
// command run as mhonarc would be (a shell script of the test's that saves its stdin), and a
// HyperKitty stand-in (a small HTTP server of the test's that checks the archiver key and keeps
// what is POSTed: the real HyperKitty is not run here). One archiver that fails leaves the
// others working and gets the post once it works again; each archiver's copy has its Date
// clobbered as its section says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';
import { waitFor } from '../helpers/wait.js';
import { Message, messageIdHash } from '../../src/email/message.js';

const API_KEY = 'archiver-key-for-the-test';
const ANT = 'ant@example.com';
const BEE = 'bee@example.com';
const ARCHIVE_ADDRESS = 'archive@archive.example.net';
const OLD_DATE = 'Tue, 18 Jun 2002 05:12:09 +0500';

interface Archived {
  mlist: string;
  msg: Message;
}

let sink: SmtpSink;
let server: TestServer;
let hyperkitty: Server;
const hyperkittyGot: Archived[] = [];
let refusedKeys = 0;
let dir: string;

/**
 * The HyperKitty stand-in: POST /hk/api/mailman/archive with `Authorization: Token KEY` and a
 * multipart form, as the plugin sends.
 */
function startHyperkitty(): Promise<number> {
  hyperkitty = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || url.pathname !== '/hk/api/mailman/archive') {
          res.writeHead(404).end();
          return;
        }
        if (req.headers.authorization !== `Token ${API_KEY}` || url.searchParams.has('key')) {
          refusedKeys++;
          res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"bad key"}');
          return;
        }
        const form = await new Response(Buffer.concat(chunks), {
          headers: { 'content-type': req.headers['content-type'] ?? '' },
        }).formData();
        const file = form.get('message') as Blob;
        const msg = new Message(Buffer.from(await file.arrayBuffer()));
        hyperkittyGot.push({ mlist: String(form.get('mlist')), msg });
        const hash = msg.get('message-id-hash') ?? '';
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ url: `/hk/list/${String(form.get('mlist'))}/message/${hash}/` }));
      })();
    });
  });
  return new Promise((resolve) =>
    hyperkitty.listen(0, '127.0.0.1', () => resolve((hyperkitty.address() as { port: number }).port)),
  );
}

const mhonarcOut = () => join(dir, 'mhonarc-out');
const brokenOut = () => join(dir, 'broken-out');
const brokenFixed = () => join(dir, 'broken-fixed');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'archivers-'));
  // As mhonarc -add would: one post on stdin, kept under the directory and list it is given.
  const save = join(dir, 'save.sh');
  writeFileSync(save, 'mkdir -p "$1/$2" && cat > "$1/$2/$$.eml"\n');
  // Fails until the test creates its flag file.
  const flaky = join(dir, 'flaky.sh');
  writeFileSync(
    flaky,
    `[ -e "${brokenFixed()}" ] || { echo not yet >&2; exit 3; }\nmkdir -p "$1" && cat > "$1/$$.eml"\n`,
  );
  chmodSync(save, 0o755);
  const mailArchiveCfg = join(dir, 'mail_archive.cfg');
  writeFileSync(mailArchiveCfg, `[general]\nbase_url: http://archive.example.net/\nrecipient: ${ARCHIVE_ADDRESS}\n`);
  const hkPort = await startHyperkitty();
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: [
      '[archiver.prototype]',
      'enable: yes',
      '[archiver.mail_archive]',
      'class: mailman.archiving.mailarchive.MailArchive',
      'enable: yes',
      `configuration: ${mailArchiveCfg}`,
      '[archiver.mhonarc]',
      'enable: yes',
      'clobber_date: never',
      `command: /bin/sh ${save} ${mhonarcOut()} $list_id`,
      '[archiver.hyperkitty]',
      'enable: yes',
      'clobber_date: always',
      `base_url: http://127.0.0.1:${hkPort}/hk`,
      `api_key: ${API_KEY}`,
      '[archiver.broken]',
      'class: mhonarc',
      'enable: yes',
      `command: /bin/sh ${flaky} ${brokenOut()}`,
    ].join('\n'),
  });
  await server.createList(ANT, ['anne@example.org', 'poster@example.org']);
  await server.createList(BEE, ['anne@example.org', 'poster@example.org']);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
  hyperkitty?.closeAllConnections();
  await new Promise((resolve) => hyperkitty?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function post(list: string, messageId: string, date: string | undefined): string {
  return [
    'From: poster@example.org',
    `To: ${list}`,
    `Subject: archived ${messageId}`,
    `Message-ID: ${messageId}`,
    ...(date === undefined ? [] : [`Date: ${date}`]),
    '',
    'To the archives.',
    '',
  ].join('\r\n');
}

async function send(list: string, messageId: string, date: string | undefined): Promise<void> {
  const res = await sendLmtp(server.lmtpPort, 'poster@example.org', [list], post(list, messageId, date));
  assert.deepEqual(res.accepted, [list]);
}

/** The messages a directory of one-post files holds (a maildir's new/, the scripts' output). */
function postsIn(path: string): Message[] {
  if (!existsSync(path)) return [];
  return readdirSync(path).map((f) => new Message(readFileSync(join(path, f))));
}
const maildir = (listId: string) => join(server.varDir, 'archives', 'prototype', listId, 'new');
const withId = (id: string) => (m: Message) => m.messageId === id;
const hyperkittyCopies = (id: string) => hyperkittyGot.filter((a) => a.msg.messageId === id);
const archiveCopies = (id: string) => sink.copiesFor(ARCHIVE_ADDRESS, (r) => r.msg.messageId === id);

test('a post reaches every archiver, and one that fails gets it once it works, the others only once', async () => {
  const id = '<first@example.org>';
  const now = new Date().toUTCString().replace(/GMT$/, '+0000');
  await send(ANT, id, now);

  await waitFor(() => postsIn(maildir('ant.example.com')).some(withId(id)), 'the post in the prototype maildir');
  for (const sub of ['tmp', 'cur'])
    assert.ok(existsSync(join(server.varDir, 'archives/prototype/ant.example.com', sub)));
  await waitFor(() => postsIn(join(mhonarcOut(), 'ant.example.com')).some(withId(id)), 'the mhonarc command');
  await waitFor(() => hyperkittyCopies(id).length === 1, 'the post at HyperKitty');
  await sink.waitFor(() => archiveCopies(id).length === 1, 20_000, 'the copy to the mail-archive address');

  const hash = messageIdHash(id);
  const hk = `http://127.0.0.1:${(hyperkitty.address() as { port: number }).port}/hk/list/${ANT}/`;
  // Each archiver's permalink in the order of their sections (broken and mhonarc are MHonArc's),
  // on the members' copies and on the copies the archives get alike.
  const archivedAt = [
    `<http://example.com/archives/${ANT}/${hash}>`,
    `<${hk}message/${hash}/>`,
    `<http://archive.example.net/${hash}>`,
    `<http://example.com/archives/${ANT}/${hash}>`,
  ];
  const listArchive = [
    `<http://example.com/archives/${ANT}>`,
    `<${hk}>`,
    '<http://archive.example.net/ant%40example.com>',
    `<http://example.com/archives/${ANT}>`,
  ];
  const [member] = sink.copiesFor('anne@example.org', (r) => r.msg.messageId === id);
  assert.deepEqual(member.msg.getAll('archived-at'), archivedAt);
  assert.deepEqual(member.msg.getAll('list-archive'), listArchive);
  const [copy] = archiveCopies(id);
  assert.deepEqual(copy.msg.getAll('archived-at'), archivedAt);
  assert.equal(copy.msg.get('list-id'), '<ant.example.com>', 'the list sent it');
  const [atHyperkitty] = hyperkittyCopies(id);
  assert.equal(atHyperkitty.mlist, ANT);
  assert.deepEqual(atHyperkitty.msg.getAll('archived-at'), archivedAt);
  assert.equal(refusedKeys, 0);
  assert.equal(postsIn(brokenOut()).length, 0, 'the broken archiver has nothing yet');

  writeFileSync(brokenFixed(), '');
  await waitFor(() => postsIn(brokenOut()).some(withId(id)), 'the broken archiver, once it works', 30_000);
  await barrierPost(server, sink);
  assert.equal(postsIn(maildir('ant.example.com')).filter(withId(id)).length, 1);
  assert.equal(postsIn(join(mhonarcOut(), 'ant.example.com')).filter(withId(id)).length, 1);
  assert.equal(hyperkittyCopies(id).length, 1);
  assert.equal(archiveCopies(id).length, 1);
  assert.equal(postsIn(brokenOut()).filter(withId(id)).length, 1);
});

test("each archiver's copy has its Date clobbered as its clobber_date says", async () => {
  const old = '<old-date@example.org>';
  const garbled = '<garbled-date@example.org>';
  const none = '<no-date@example.org>';
  const recent = new Date(Date.now() - 3600_000).toUTCString().replace(/GMT$/, '+0000');
  const current = '<current-date@example.org>';
  await send(ANT, old, OLD_DATE);
  await send(ANT, garbled, 'the day before yesterday');
  await send(ANT, none, undefined);
  await send(ANT, current, recent);
  const ids = [old, garbled, none, current];
  const prototype = () => postsIn(maildir('ant.example.com'));
  const mhonarc = () => postsIn(join(mhonarcOut(), 'ant.example.com'));
  await waitFor(() => ids.every((id) => prototype().some(withId(id))), 'the posts in the maildir');
  await waitFor(() => ids.every((id) => mhonarc().some(withId(id))), 'the posts at mhonarc');
  await waitFor(() => ids.every((id) => hyperkittyCopies(id).length === 1), 'the posts at HyperKitty');
  const at = (copies: Message[], id: string) => copies.find(withId(id))!;

  // maybe (prototype's default): only a date that is missing, unreadable or a day off.
  for (const [id, original] of [
    [old, OLD_DATE],
    [garbled, 'the day before yesterday'],
  ]) {
    const copy = at(prototype(), id);
    assert.equal(copy.get('x-original-date'), original, id);
    assert.ok(Math.abs(Date.parse(copy.get('date')!) - Date.now()) < 3600_000, `${id}: ${copy.get('date')}`);
  }
  assert.ok(at(prototype(), none).has('date'), 'a post without a Date gets one');
  assert.equal(at(prototype(), none).get('x-original-date'), undefined);
  assert.equal(at(prototype(), current).get('date'), recent);
  assert.equal(at(prototype(), current).get('x-original-date'), undefined);

  // never (mhonarc): each copy as it came.
  assert.equal(at(mhonarc(), old).get('date'), OLD_DATE);
  assert.equal(at(mhonarc(), old).get('x-original-date'), undefined);
  assert.equal(at(mhonarc(), garbled).get('date'), 'the day before yesterday');

  // always (hyperkitty): even a date within the skew.
  const hk = hyperkittyCopies(current)[0].msg;
  assert.equal(hk.get('x-original-date'), recent);
  assert.notEqual(hk.get('date'), recent);
});

test('a list that switched an archiver off, or keeps its archive private, is not archived there', async () => {
  const res = await server.rest('PATCH', '/lists/bee.example.com/archivers', { hyperkitty: false });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  const config = await server.rest('PATCH', '/lists/bee.example.com/config', { archive_policy: 'private' });
  assert.equal(config.status, 204, JSON.stringify(config.body));
  const id = '<bee-post@example.org>';
  await send(BEE, id, undefined);
  await waitFor(() => postsIn(maildir('bee.example.com')).some(withId(id)), 'the post in the prototype maildir');
  await waitFor(() => postsIn(join(mhonarcOut(), 'bee.example.com')).some(withId(id)), 'the mhonarc command');
  await barrierPost(server, sink);
  assert.equal(hyperkittyCopies(id).length, 0, 'hyperkitty is off for bee');
  assert.equal(archiveCopies(id).length, 0, 'the Mail-Archive only takes public archives');
  const [member] = sink.copiesFor('anne@example.org', (r) => r.msg.messageId === id);
  const hash = messageIdHash(id);
  assert.deepEqual(member.msg.getAll('archived-at'), [
    `<http://example.com/archives/${BEE}/${hash}>`,
    `<http://example.com/archives/${BEE}/${hash}>`,
  ]);
});
