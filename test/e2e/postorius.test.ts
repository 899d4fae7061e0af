// The real Postorius (Debian's python3-django-postorius, which .ci/run installs) in headless
// Chromium against the real server: an administrator's day, page by page, each page free of
// error pages and red messages. The driver (python/postorius_flow.py) checks the pages and what
// they claim through REST; mail that goes out is looked for here, at the SMTP sink.
// Screenshots of every step are left in test-output/postorius/<database>/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { TEST_SERVER_URL } from '../helpers/database.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';

const PYTHON = '/usr/bin/python3';
const FLOW = join(PACKAGE_ROOT, 'test', 'e2e', 'python', 'postorius_flow.py');
// One folder per database pass of the suite, so the PostgreSQL pass keeps the SQLite one's.
const SHOTS = join(PACKAGE_ROOT, 'test-output', 'postorius', TEST_SERVER_URL ? 'postgresql' : 'sqlite');
let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

/** A question the driver asks about the mail that went out; the answer is "ok" or why not. */
interface Wait {
  wait: string;
  tag?: string;
  members?: string[];
  footer?: string;
}

const QUESTIONS: Record<string, { what: string; is: (q: Wait, r: Received) => boolean }> = {
  accepted: {
    what: "the accepted post at every member, with the list's footer",
    is: (q, r) => r.msg.messageId === q.tag && r.raw.toString().includes(q.footer ?? ''),
  },
  welcome: { what: 'a welcome message to every new member', is: (_q, r) => /Welcome/.test(r.msg.get('subject') ?? '') },
};

async function answer(q: Wait): Promise<string> {
  const question = QUESTIONS[q.wait];
  if (!question) return `unknown question ${q.wait}`;
  const members = q.members ?? [];
  const is = (r: Received) => question.is(q, r);
  try {
    await sink.waitFor(() => members.every((m) => sink.copiesFor(m, is).length === 1), 30_000, question.what);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs the driver, answering its questions; resolves with its results. */
function drive(): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [FLOW, `http://127.0.0.1:${server.restPort}`, String(server.lmtpPort), SHOTS], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let done: Record<string, any> | undefined;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const said = JSON.parse(line) as { done?: Record<string, any> } & Wait;
      if (said.done) done = said.done;
      else void answer(said).then((a) => child.stdin.write(a.replace(/\n/g, ' ') + '\n'));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && done) resolve(done);
      else
        reject(
          new Error(
            `the Postorius driver failed with ${code} (are python3-django-postorius, chromium, ` +
              `chromium-driver and python3-selenium installed? .ci/run installs them):\n${stderr}`,
          ),
        );
    });
  });
}

test('Postorius in Chromium: log in, domain, list, settings, members, bans, held post, requests, delete', async () => {
  const seen = await drive();
  assert.equal(seen.domain, 'example.org');
  assert.equal(seen.list, 'ptest@example.org');
  assert.deepEqual(seen.saved, { display_name: 'Postorius Test', subscription_policy: 'moderate' });
  assert.deepEqual(seen.members, ['admin@example.com', 'mark@example.net', 'mia@example.net', 'mona@example.net']);
  assert.equal(seen.moderated, 'hold');
  assert.deepEqual(seen.header_matches, [['x-spam-flag', 'YES', 'discard']]);
  assert.deepEqual(seen.bans, ['troll@example.net']);
  assert.deepEqual(seen.uris, ['list:member:regular:footer']);
  assert.equal(seen.held_after, 0);
  assert.equal(seen.pending_owner, 'moderator');
  assert.equal(seen.accepted_member, 'patient@example.net');
  assert.equal(seen.list_after, 404);
  assert.equal(seen.steps.length, 53);
});
