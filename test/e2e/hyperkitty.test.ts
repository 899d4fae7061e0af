// The real HyperKitty (Debian's python3-django-hyperkitty, which .ci/run installs) as the
// server's `hyperkitty` archiver: the driver (python/hyperkitty_serve.py) migrates and serves a
// throw-away Django project whose archiver key and REST credentials are the test's. Posts go in
// over LMTP; HyperKitty, on its first post to a list, asks our REST API about the list through
// mailmanclient. What it archived is read back through its own JSON API and pages, under the
// Message-ID-Hash our Archived-At header carries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { TEST_SERVER_URL } from '../helpers/database.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { makePost, sendLmtp } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';
import { messageIdHash } from '../../src/email/message.js';

const PYTHON = '/usr/bin/python3';
const SERVE = join(PACKAGE_ROOT, 'test', 'e2e', 'python', 'hyperkitty_serve.py');
// One folder per database pass of the suite, so the PostgreSQL pass keeps the SQLite one's.
const OUTPUT = join(PACKAGE_ROOT, 'test-output', 'hyperkitty', TEST_SERVER_URL ? 'postgresql' : 'sqlite');
const API_KEY = 'hyperkitty-archiver-key-of-the-test';
const LIST = 'kitty@example.org';
const MEMBER = 'anne@example.org';
const POSTER = 'poster@example.org';

let sink: SmtpSink;
let server: TestServer;
let driver: ChildProcess | undefined;
let driverLog = '';
let hkPort: number;
let posterId: string;

/** A port nothing listens on now: our base_url must name HyperKitty's before HyperKitty runs. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the driver; resolves with HyperKitty's root URL once it answers. */
function serveHyperkitty(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SERVE, `http://127.0.0.1:${server.restPort}`, String(hkPort), API_KEY], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    driver = child;
    child.stderr.on('data', (c: Buffer) => (driverLog += c.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const said = JSON.parse(line) as { ready?: string };
      if (said.ready) resolve(said.ready);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      reject(
        new Error(
          `the HyperKitty driver exited with ${code} (is python3-django-hyperkitty installed? ` +
            `.ci/run installs it):\n${driverLog}`,
        ),
      ),
    );
  });
}

before(async () => {
  hkPort = await freePort();
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: [
      '[archiver.hyperkitty]',
      'enable: yes',
      `base_url: http://127.0.0.1:${hkPort}/hyperkitty/`,
      `api_key: ${API_KEY}`,
    ].join('\n'),
  });
  // The poster is a user of ours, whom HyperKitty looks up by address for its sender.
  const user = await server.rest('POST', '/users', { email: POSTER, display_name: 'Poster' });
  assert.equal(user.status, 201);
  posterId = String((await server.rest('GET', `/users/${POSTER}`)).body.user_id);
  await server.createList(LIST, [MEMBER, POSTER]);
  const patched = await server.rest('PATCH', `/lists/${LIST}/config`, {
    display_name: 'Kitty Litter',
    description: 'Where HyperKitty learns about us',
  });
  assert.equal(patched.status, 204);
});

after(async () => {
  if (driver && driver.exitCode === null) {
    const closed = new Promise((resolve) => driver!.once('close', resolve));
    driver.stdin!.end();
    await closed;
  }
  // What HyperKitty logged (its requests, what it asked our REST API), kept for a failed run.
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(join(OUTPUT, 'django.log'), driverLog);
  await server?.cleanup();
  await sink?.close();
});

/** GETs a HyperKitty URL; the status and, for JSON, the parsed body. */
async function hk(url: string): Promise<{ status: number; json?: any; text: string }> {
  const res = await fetch(url, { headers: { accept: 'application/json, text/html' } });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
  return { status: res.status, json, text };
}

test('the real HyperKitty archives a post and its reply, under the hash and URL of our Archived-At', async (t) => {
  const root = await serveHyperkitty();
  const api = `${root}/hyperkitty/api/list/${LIST}`;
  const first = '<first-archived@example.org>';
  const reply = '<reply-archived@example.org>';
  const posted = await sendLmtp(
    server.lmtpPort,
    POSTER,
    [LIST],
    makePost({ from: POSTER, to: LIST, subject: 'Archived for real', messageId: first, body: 'Purring along.' }),
  );
  assert.deepEqual(posted.accepted, [LIST]);

  // The member's copy names the post's place in HyperKitty.
  await sink.waitFor(() => sink.copiesFor(MEMBER, (r) => r.msg.messageId === first).length === 1, 20_000, 'copy');
  const [copy] = sink.copiesFor(MEMBER, (r) => r.msg.messageId === first);
  const hash = copy.msg.get('message-id-hash') ?? '';
  assert.equal(hash, messageIdHash(first));
  // The URL is HyperKitty's answer from /api/mailman/urls: the public site of the list's mail
  // domain (no Django site names one here, so the mail domain), not our base_url.
  const permalink = `https://example.org/hyperkitty/list/${LIST}/message/${hash}/`;
  assert.deepEqual(copy.msg.getAll('archived-at'), [`<${permalink}>`]);
  assert.deepEqual(copy.msg.getAll('list-archive'), [`<https://example.org/hyperkitty/list/${LIST}/>`]);

  let email: { status: number; json?: any } = { status: 0 };
  await waitFor(
    async () => (email = await hk(`${api}/email/${hash}/`)).status === 200,
    `the post in HyperKitty (driver's log so far:\n${driverLog})`,
    30_000,
  );
  assert.equal(email.json.message_id, first.slice(1, -1));
  assert.equal(email.json.message_id_hash, hash);
  // HyperKitty shows addresses to visitors who are not logged in with the @ spelt out.
  assert.equal(email.json.sender.address, POSTER.replace('@', ' (a) '));
  assert.match(email.json.subject, /Archived for real/);
  assert.match(email.json.content, /Purring along\./);

  await t.test('HyperKitty learnt the list from our REST API', async () => {
    // HyperKitty's task queue asks our REST API after the post is in.
    let list: { status: number; json?: any } = { status: 0 };
    await waitFor(
      async () => (list = await hk(`${api}/`)).json?.display_name !== '',
      "the list's settings from our REST API",
      30_000,
    );
    assert.equal(list.status, 200);
    assert.equal(list.json.name, LIST);
    assert.equal(list.json.display_name, 'Kitty Litter');
    assert.equal(list.json.description, 'Where HyperKitty learns about us');
    assert.equal(list.json.archive_policy, 'public');
  });

  await t.test('HyperKitty found the sender among our users', async () => {
    let sender: { mailman_id?: string | null } = {};
    await waitFor(
      async () => (sender = (await hk(`${api}/email/${hash}/`)).json?.sender ?? {}).mailman_id != null,
      "the sender's user id from our REST API",
      30_000,
    );
    assert.equal(sender.mailman_id, posterId);
  });

  await t.test("the Archived-At URL is HyperKitty's page of the post", async () => {
    // Served here under the same path.
    const page = await hk(`${root}${new URL(permalink).pathname}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /Archived for real/);
    assert.match(page.text, /Purring along\./);
  });

  await t.test('a reply joins the same thread', async () => {
    const res = await sendLmtp(
      server.lmtpPort,
      MEMBER,
      [LIST],
      makePost({
        from: MEMBER,
        to: LIST,
        subject: 'Re: Archived for real',
        messageId: reply,
        extra: [`In-Reply-To: ${first}`, `References: ${first}`],
      }),
    );
    assert.deepEqual(res.accepted, [LIST]);
    let emails: any[] = [];
    await waitFor(
      async () => (emails = (await hk(`${api}/emails/`)).json ?? []).length === 2,
      'both posts in HyperKitty',
      30_000,
    );
    const byId = new Map(emails.map((e) => [e.message_id, e]));
    assert.deepEqual([...byId.keys()].sort(), [first.slice(1, -1), reply.slice(1, -1)].sort());
    assert.equal(byId.get(reply.slice(1, -1)).thread, byId.get(first.slice(1, -1)).thread);
    assert.equal(byId.get(reply.slice(1, -1)).message_id_hash, messageIdHash(reply));
  });
});
