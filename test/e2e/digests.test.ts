// Digests through the real server: posts reach digest members only as digests (a MIME one, a
// plain RFC 1153 one), sent by `mailman digests --send`, by passing digest_size_threshold and
// over REST; the numbering moves on; an issue left behind by a crash is sent once at the next
// start, and one whose digests went out is not sent again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';
import { plainText } from '../helpers/mime-text.js';
import { parseMime } from '../../src/email/mime-tree.js';
import { mmdfEntry } from '../../src/email/mmdf.js';

const LIST = 'ant.example.com';
let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('ant@example.com', [
    'anne@example.org',
    'bart@example.org',
    'cris@example.org',
    'dave@example.org',
    'erin@example.org',
  ]);
  await setPrefs('bart@example.org', { delivery_mode: 'mime_digests' });
  await setPrefs('cris@example.org', { delivery_mode: 'plaintext_digests' });
  await setPrefs('erin@example.org', { delivery_mode: 'summary_digests' });
  // A digest member whose delivery is off gets no digest.
  await setPrefs('dave@example.org', { delivery_mode: 'mime_digests', delivery_status: 'by_user' });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

async function setPrefs(email: string, prefs: Record<string, string>): Promise<void> {
  const member = await server.rest('GET', `/lists/${LIST}/member/${email}`);
  const self = String(member.body.self_link);
  const res = await server.rest('PATCH', `${self.slice(self.indexOf('/members/'))}/preferences`, prefs);
  assert.equal(res.status, 204, JSON.stringify(res.body));
}

async function post(subject: string, body = 'Hello, list.'): Promise<void> {
  const raw = makePost({ from: 'anne@example.org', to: 'ant@example.com', subject, body });
  assert.deepEqual((await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], raw)).accepted, [
    'ant@example.com',
  ]);
  // Anne is a regular member: her copy means the pipeline (to-digest included) is done with it.
  await sink.waitFor(
    () => sink.copiesFor('anne@example.org', (r) => String(r.msg.get('subject')).includes(subject)).length === 1,
    20_000,
    `anne's copy of ${subject}`,
  );
}

const issue = (volume: number, number: number) => (r: Received) =>
  r.msg.get('subject') === `Ant Digest, Vol ${volume}, Issue ${number}`;
const digestsOf = (email: string, volume: number, number: number) => sink.copiesFor(email, issue(volume, number));
const numbering = async () => (await server.rest('GET', `/lists/${LIST}/digest`)).body;

/** The subjects of the posts a MIME digest carries, checking its structure on the way. */
function mimePosts(r: Received): string[] {
  const root = parseMime(r.msg);
  assert.equal(root.type, 'multipart/mixed');
  const parts = root.children!;
  assert.equal(parts[0].type, 'text/plain');
  assert.match(parts[0].decodedText(), /This is a digest of the Ant mailing list/);
  const toc = parts.find((p) => /^Today's Topics/.test(String(p.msg.get('content-description'))))!;
  assert.ok(toc, 'a table of contents');
  const digest = parts.find((p) => p.type === 'multipart/digest')!;
  assert.ok(digest, 'a multipart/digest part');
  const footer = parts.at(-1)!;
  assert.equal(footer.msg.get('content-description'), 'Digest Footer');
  assert.match(footer.decodedText(), /To unsubscribe send an email to ant-leave@example\.com/);
  return digest.children!.map((p) => {
    assert.equal(p.type, 'message/rfc822');
    return String(p.children![0].msg.get('subject'));
  });
}

test('digest members get no single copies; `mailman digests --send` sends a MIME and a plain digest', async () => {
  await post('first post');
  await post('second post', 'The second post says this.');
  assert.equal(sink.copiesFor('bart@example.org').length, 0, 'a digest member gets no post of its own');
  assert.equal(sink.copiesFor('cris@example.org').length, 0);
  assert.deepEqual(await numbering(), { ...(await numbering()), next_digest_number: 1, volume: 1 });

  const res = await server.cli(['digests', '--send', '-l', LIST, '--json']);
  assert.equal(res.code, 0, res.stderr);
  const [report] = JSON.parse(res.stdout) as { list_id: string; sent: { volume: number; digest_number: number } }[];
  assert.deepEqual([report.list_id, report.sent], [LIST, { volume: 1, digest_number: 1 }]);

  await sink.waitFor(
    () =>
      digestsOf('bart@example.org', 1, 1).length === 1 &&
      digestsOf('cris@example.org', 1, 1).length === 1 &&
      digestsOf('erin@example.org', 1, 1).length === 1,
    20_000,
    'the digests',
  );
  const mime = digestsOf('bart@example.org', 1, 1)[0];
  assert.deepEqual(mimePosts(mime), ['[Ant] first post', '[Ant] second post']);
  assert.equal(mime.msg.get('from'), 'ant-request@example.com');
  assert.equal(mime.msg.get('to'), 'ant@example.com');
  // summary_digests gets the MIME digest, as in Mailman.
  assert.equal(parseMime(digestsOf('erin@example.org', 1, 1)[0].msg).type, 'multipart/mixed');

  const plain = digestsOf('cris@example.org', 1, 1)[0];
  assert.match(String(plain.msg.get('content-type')), /^text\/plain/);
  const text = plainText(plain.raw).replace(/\r\n/g, '\n');
  assert.match(text, /^This is a digest of the Ant mailing list/);
  assert.match(text, /Today's Topics:\n\n {3}1\. first post \(anne@example\.org\)\n {3}2\. second post/);
  assert.match(text, /\n-{70}\n\nMessage: 1\nDate: .*\nFrom: anne@example\.org\nSubject: \[Ant\] first post\n/);
  assert.match(text, /\n-{30}\n\nMessage: 2\n[\s\S]*\n\nThe second post says this\.\n/);
  assert.match(text, /\nEnd of Ant Digest, Vol 1, Issue 1\n\*{33}\n?$/);

  assert.equal(sink.copiesFor('dave@example.org').length, 0, 'delivery disabled: no digest');
  assert.equal(sink.copiesFor('anne@example.org', issue(1, 1)).length, 0, 'a regular member gets no digest');
  const now = await numbering();
  assert.deepEqual([now.volume, now.next_digest_number], [1, 2]);
  assert.match(String(now.http_etag), /^"[0-9a-f]{40}"$/);
  const dir = join(server.varDir, 'lists', LIST);
  await waitFor(() => !readdirSync(dir).some((n) => /^digest\.\d+\.\d+\.mmdf/.test(n)), 'the issue file removed');
  assert.equal(existsSync(join(dir, 'digest.mmdf')), false);
});

test('passing digest_size_threshold sends the digest with the post that passed it', async () => {
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { digest_size_threshold: 1 });
  assert.equal(patch.status, 204);
  await post('a small one');
  assert.equal((await numbering()).next_digest_number, 2, 'below 1 KB nothing is sent');
  await post('a long one', 'x'.repeat(60) + '\n'.repeat(1) + 'y '.repeat(600));
  await sink.waitFor(() => digestsOf('bart@example.org', 1, 2).length === 1, 20_000, 'issue 2');
  assert.deepEqual(mimePosts(digestsOf('bart@example.org', 1, 2)[0]), ['[Ant] a small one', '[Ant] a long one']);
  assert.equal((await numbering()).next_digest_number, 3);
  await server.rest('PATCH', `/lists/${LIST}/config`, { digest_size_threshold: 30 });
});

test('REST: bump, send, periodic as Mailman answers them', async () => {
  const path = `/lists/${LIST}/digest`;
  assert.equal((await server.rest('POST', path, { send: true, periodic: true })).status, 400);
  assert.equal((await server.rest('POST', path, { resend: true })).status, 400);
  assert.equal((await server.rest('POST', path, { send: 'perhaps' })).status, 400);
  assert.equal((await server.rest('POST', path, {})).status, 200);
  assert.equal((await server.rest('GET', `/lists/nope.example.com/digest`)).status, 404);

  assert.equal((await server.rest('POST', path, { bump: true })).status, 202);
  assert.deepEqual([(await numbering()).volume, (await numbering()).next_digest_number], [1, 4]);

  await post('sent over REST');
  assert.equal((await server.rest('POST', path, { send: true })).status, 202);
  await sink.waitFor(() => digestsOf('cris@example.org', 1, 4).length === 1, 20_000, 'issue 4');
  assert.match(plainText(digestsOf('cris@example.org', 1, 4)[0].raw), /Subject: \[Ant\] sent over REST/);

  // periodic sends only for a list with digest_send_periodic; the CLI as well.
  await server.rest('PATCH', `/lists/${LIST}/config`, { digest_send_periodic: false });
  await post('waits for the next one');
  assert.equal((await server.rest('POST', path, { periodic: true })).status, 202);
  const cli = await server.cli(['digests', '--periodic', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal((JSON.parse(cli.stdout) as { sent?: unknown }[])[0].sent, undefined);
  assert.equal((await numbering()).next_digest_number, 5, 'nothing sent');
  await server.rest('PATCH', `/lists/${LIST}/config`, { digest_send_periodic: true });
  assert.equal((await server.rest('POST', path, { periodic: true })).status, 202);
  await sink.waitFor(() => digestsOf('bart@example.org', 1, 5).length === 1, 20_000, 'issue 5');
});

test('the CLI: --dry-run changes nothing, --send with --periodic is refused, --bump moves the number', async () => {
  await post('for the dry run');
  const dry = await server.cli(['digests', '--send', '--bump', '--dry-run', '-v', '-l', 'ant@example.com']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^ant\.example\.com is at volume 1, number 6$/m);
  assert.match(dry.stdout, /^ant\.example\.com sent volume 1, number 6$/m);
  assert.equal((await numbering()).next_digest_number, 6);
  const both = await server.cli(['digests', '--send', '--periodic']);
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /--send and --periodic/);
  const unknown = await server.cli(['digests', '--bump', '-l', 'nope@example.com', '-l', LIST, '-v']);
  assert.equal(unknown.code, 0, unknown.stderr);
  assert.match(unknown.stderr, /No such list found: nope@example\.com/);
  assert.match(unknown.stdout, /^ant\.example\.com bumped to volume 1, number 7$/m);
  assert.equal(existsSync(join(server.varDir, 'lists', LIST, 'digest.mmdf')), true, 'the post still waits');
});

test('at start, an issue that never reached the queue is sent; one already sent is only removed', async () => {
  const dir = join(server.varDir, 'lists', LIST);
  const entry = (subject: string) =>
    mmdfEntry(Buffer.from(makePost({ from: 'anne@example.org', to: 'ant@example.com', subject })));
  await server.stop();
  // A crash between the rename and the trigger; and one after the digests were queued.
  writeFileSync(join(dir, 'digest.9.3.mmdf'), entry('left behind'));
  writeFileSync(join(dir, 'digest.9.2.mmdf'), entry('already sent'));
  writeFileSync(join(dir, 'digest.9.2.mmdf.sent'), '');
  await server.boot();
  await sink.waitFor(() => digestsOf('bart@example.org', 9, 3).length === 1, 30_000, 'the left-behind issue');
  assert.deepEqual(mimePosts(digestsOf('bart@example.org', 9, 3)[0]), ['left behind']);
  await waitFor(() => !readdirSync(dir).some((n) => /^digest\.9\./.test(n)), 'both issue files gone');
  assert.equal(digestsOf('bart@example.org', 9, 2).length, 0);
});

test('a member who leaves digest delivery gets one last digest, then single copies only', async () => {
  await post('before the switch');
  // Bart switches by a PATCH of his membership, Cris by one of her preferences.
  const bart = await server.rest('GET', `/lists/${LIST}/member/bart@example.org`);
  const self = String(bart.body.self_link);
  const patched = await server.rest('PATCH', self.slice(self.indexOf('/members/')), { delivery_mode: 'regular' });
  assert.equal(patched.status, 204, JSON.stringify(patched.body));
  await setPrefs('cris@example.org', { delivery_mode: 'regular' });
  await post('after the switch');
  const single = (email: string) => sink.copiesFor(email, (r) => r.msg.get('subject') === '[Ant] after the switch');
  assert.equal(single('bart@example.org').length, 1, 'regular now: a single copy');
  assert.equal(single('cris@example.org').length, 1);

  const { volume, next_digest_number: number } = await numbering();
  assert.equal((await server.rest('POST', `/lists/${LIST}/digest`, { send: true })).status, 202);
  await sink.waitFor(
    () =>
      digestsOf('bart@example.org', volume, number).length === 1 &&
      digestsOf('cris@example.org', volume, number).length === 1 &&
      digestsOf('erin@example.org', volume, number).length === 1,
    20_000,
    'the last digests',
  );
  // Each gets the digest it left, holding the posts up to the switch (and the one after it).
  const subjects = mimePosts(digestsOf('bart@example.org', volume, number)[0]);
  assert.deepEqual(subjects.slice(-2), ['[Ant] before the switch', '[Ant] after the switch']);
  const plain = digestsOf('cris@example.org', volume, number)[0];
  assert.match(String(plain.msg.get('content-type')), /^text\/plain/);
  assert.match(plainText(plain.raw), /Subject: \[Ant\] before the switch/);

  // Owed once: the next issue goes to the digest members only.
  await post('one more');
  assert.equal((await server.rest('POST', `/lists/${LIST}/digest`, { send: true })).status, 202);
  await sink.waitFor(() => digestsOf('erin@example.org', volume, number + 1).length === 1, 20_000, 'the next issue');
  assert.equal(digestsOf('bart@example.org', volume, number + 1).length, 0);
  assert.equal(digestsOf('cris@example.org', volume, number + 1).length, 0);
});
