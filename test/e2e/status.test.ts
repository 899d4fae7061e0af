// `mailman status` as an admin relies on it, against the real server and the real CLI: mail
// acknowledged into a queue no runner takes (an injected message in `bad`, the queue content
// filtering keeps for an admin: since the digest runner, the digest queue is taken; -request,
// -join, -leave, -confirm and -bounces are taken by their runners) and shunted mail are shown with counts and
// ages; a runner that cannot start is shown as such, with exit status 3, until the master gives
// up on it. And what the server and the CLI write under var is not open to other users.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join, relative } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('ant@example.com', ['anne@example.org']);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

const post = (to: string, subject: string, from = 'anne@example.org') => makePost({ from, to, subject });

test('a healthy server: status exits 0 and lists no stalled queue', async () => {
  const res = await server.cli(['status']);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /^ {2}lmtp:0:1\s+lmtp:0\s+-\s+running, pid \d+$/m);
  assert.doesNotMatch(res.stdout, /no runner is taking|Shunted|Problems/);
  const json = await server.cli(['status', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as {
    running: boolean;
    runners: { id: string; process: string; queued: number | null; health: string }[];
    problems: string[];
    stalled: unknown[];
    shunted: unknown;
    chains: { total: number; not_compiling: unknown[] } | null;
  };
  assert.equal(report.running, true);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.stalled, []);
  assert.equal(report.shunted, null);
  const lmtp = report.runners.find((r) => r.id === 'lmtp:0:1');
  assert.deepEqual([lmtp?.process, lmtp?.queued], ['lmtp:0', null]);
  assert.ok(
    report.runners.some((r) => r.id === 'in:0:1' && r.queued === 0),
    json.stdout,
  );
});

test('mail injected into bad and shunted mail are shown by status; the command and bounce runners take the rest', async () => {
  for (const sub of ['request', 'join', 'leave', 'confirm', 'bounces']) {
    const res = await sendLmtp(
      server.lmtpPort,
      'anne@example.org',
      [`ant-${sub}@example.com`],
      post(`ant-${sub}@example.com`, sub),
    );
    assert.deepEqual(res.accepted, [`ant-${sub}@example.com`]);
  }
  const malformed = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['ant@example.com'],
    'not a header\r\n\r\nbody\r\n',
  );
  assert.deepEqual(malformed.accepted, ['ant@example.com']);
  // No runner takes `bad` (it keeps what content filtering preserved); the digest queue has one now.
  const file = join(server.dir, 'bad.eml');
  writeFileSync(file, post('ant@example.com', 'kept by the content filter'));
  const inject = await server.cli(['inject', 'ant@example.com', '--queue', 'bad', '-f', file]);
  assert.equal(inject.code, 0, inject.stderr);

  const res = await server.cli(['status']);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /^Queues with mail no runner is taking:$/m);
  assert.match(res.stdout, /^ {2}bad\s+1 message, oldest \d+s ago/m);
  assert.match(
    res.stdout,
    /^Shunted: 1 message, oldest \d+s ago; "mailman qfile" shows one, "mailman unshunt" retries them$/m,
  );
  const json = JSON.parse((await server.cli(['status', '--json'])).stdout) as {
    stalled: { name: string; count: number; why: string }[];
    shunted: { count: number } | null;
  };
  assert.deepEqual(json.stalled.map((q) => [q.name, q.count]).sort(), [['bad', 1]]);
  assert.equal(json.shunted?.count, 1);
  // Queues a runner takes are not listed, whatever is passing through them.
  assert.doesNotMatch(res.stdout, /^ {2}(in|pipeline|out|virgin|retry|bounces|archive|command|digest) +\d+ message/m);
});

test('after a post, a hold and CLI writes, nothing under var is open to other users, and the group cannot write', async () => {
  await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], post('ant@example.com', 'delivered'));
  await sendLmtp(
    server.lmtpPort,
    'stranger@example.net',
    ['ant@example.com'],
    post('ant@example.com', 'held', 'stranger@example.net'),
  );
  await server.waitUntil(
    async () => (await server.rest('GET', '/lists/ant.example.com/held')).body?.total_size === 1,
    20_000,
    'the held post',
  );
  await sink.waitFor(() => sink.copiesFor('anne@example.org').length >= 1, 20_000, 'the delivered post');
  const seen: string[] = [];
  const open: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      let mode: number;
      try {
        mode = statSync(path).mode & 0o777;
      } catch (err) {
        // A runner still finishing (a claim or a .done dropped after the last copy went out).
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const rel = relative(server.varDir, path);
      seen.push(rel);
      if (mode & 0o027) open.push(`${rel} ${mode.toString(8)}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  const varMode = statSync(server.varDir).mode & 0o777;
  if (varMode & 0o027) open.push(`var ${varMode.toString(8)}`);
  walk(server.varDir);
  // The kinds of file the issue names are all there to be checked.
  // On PostgreSQL (MAILMAN_TEST_DATABASE_URL) the database is not a file under var.
  const dbFile = server.database.url ? [] : [/^data\/mailman\.db$/];
  for (const kind of [...dbFile, /^queue\/bad\/.+\.qmsg$/, /^queue\/shunt\/.+\.qmsg$/, /^messages\/.+/, /^logs\/.+/]) {
    assert.ok(
      seen.some((p) => kind.test(p)),
      `expected a file like ${kind} under var; saw ${seen.join(', ')}`,
    );
  }
  assert.deepEqual(open, [], 'files or directories others can reach, or the group can write');
});

/** A port taken by someone else, so the LMTP runner (and only it) cannot start. */
async function takePort(): Promise<{ port: number; server: Server }> {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  return { port: (holder.address() as { port: number }).port, server: holder };
}

test('a runner that cannot start is shown as failing at start, then as down once the master gives up; exit status 3', async () => {
  const taken = await takePort();
  const broken = TestServer.prepare({
    smtpPort: sink.port,
    config: ['[mta]', `lmtp_port: ${taken.port}`, '[runner.lmtp]', 'max_restarts: 4'].join('\n'),
  });
  try {
    const start = await broken.cli(['start']);
    assert.equal(start.code, 0, start.stderr);
    // While the master still retries it.
    let res = await broken.cli(['status']);
    await broken.waitUntil(
      async () => {
        res = await broken.cli(['status']);
        // The other runners may still be starting on a busy machine.
        return (
          (/lmtp:0:1\s.*FAILING AT START/.test(res.stdout) || /lmtp:0:1\s.*DOWN/.test(res.stdout)) &&
          /^ {2}in:0:1\s+queues:0\s+\d+ queued\s+running/m.test(res.stdout)
        );
      },
      120_000,
      'status to show the LMTP runner failing and the in runner up',
    );
    assert.equal(res.code, 3, res.stdout);
    assert.match(
      res.stdout,
      /^ {2}lmtp:0:1\s+lmtp:0\s+-\s+(FAILING AT START: exited \d+ time\(s\) before it was ready \(last: error: listen EADDRINUSE[^)]*\)|DOWN: )/m,
    );
    assert.match(res.stdout, /^Problems: lmtp:0:1 (fails at start|is down)$/m);
    assert.match(res.stdout, /^ {2}in:0:1\s+queues:0\s+\d+ queued\s+running, pid \d+$/m, 'the other runners are up');
    // Once the restarts are used up.
    await broken.waitUntil(
      async () => {
        res = await broken.cli(['status']);
        return /lmtp:0:1\s.*DOWN/.test(res.stdout);
      },
      120_000,
      'the master to give up on the LMTP runner',
    );
    assert.equal(res.code, 3, res.stdout);
    assert.match(
      res.stdout,
      /^ {2}lmtp:0:1\s+lmtp:0\s+-\s+DOWN: it failed at start 5 time\(s\) in a row \(last: error: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\); the master gave up on it\. See the error log, fix the cause, then "mailman restart"$/m,
    );
    assert.match(res.stdout, /^Problems: lmtp:0:1 is down$/m);
  } finally {
    await broken.cli(['stop']);
    await broken.cleanup();
    await new Promise((r) => taken.server.close(r));
  }
});

test('an unknown queue directory with mail is shown too', async () => {
  // A queue a newer version (or another tool) writes to, which no runner here takes.
  const dir = join(server.varDir, 'queue', 'legacy');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${String(Date.now() - 3_600_000).padStart(14, '0')}.000001+abc.qmsg`), '{}\n');
  const res = await server.cli(['status']);
  assert.match(res.stdout, /^ {2}legacy\s+1 message, oldest 1h 0m ago \(no runner takes this queue\)$/m);
});
