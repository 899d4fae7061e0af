// Debian's real Postfix in front of the server and behind it, from a throw-away configuration
// directory on loopback ports (.ci/run installs postfix unconfigured; starting it needs root, as
// the tests run in CI). Postfix reads the maps the server writes as lists come and go: a post
// to a list goes Postfix → LMTP → the server → SMTP → Postfix → the sink, an address of no list
// is refused at RCPT time (no bounce to a forged sender later), and a burst arrives whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { makePost, sendLmtp } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';
import { barrierPost } from '../helpers/barrier.js';

const run = promisify(execFile);
const POSTFIX = '/usr/sbin/postfix';
let sink: SmtpSink;
let server: TestServer;
let pfDir: string;
let smtpdPort: number;

/** A port free right now (the maps must name the LMTP port before the server starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The postfix user's ids, from the system's passwd (the package creates the user). */
async function postfixIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postfix']);
  const { stdout: g } = await run('id', ['-g', 'postfix']);
  return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
}

function postfixConfig(dir: string, data: string, sinkPort: number): { main: string; master: string } {
  const main = [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/spool`,
    `data_directory = ${dir}/data`,
    'command_directory = /usr/sbin',
    'daemon_directory = /usr/lib/postfix/sbin',
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'myhostname = mx.test.example',
    'mydestination =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    `relayhost = [127.0.0.1]:${sinkPort}`,
    'smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination',
    'recipient_delimiter = +',
    // As README's Postfix section says, paths to the maps the server keeps.
    `transport_maps = hash:${data}/postfix_lmtp`,
    `relay_domains = hash:${data}/postfix_domains`,
    `relay_recipient_maps = hash:${data}/postfix_lmtp`,
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    'smtp_tls_security_level = none',
    'smtpd_tls_security_level = none',
    'smtputf8_enable = no',
    'lmtp_connection_cache_on_demand = yes',
  ].join('\n');
  const master = [
    `127.0.0.1:${smtpdPort} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'lmtp unix - - n - - lmtp',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ].join('\n');
  return { main: main + '\n', master: master + '\n' };
}

before(async () => {
  sink = await new SmtpSink().start();
  smtpdPort = await freePort();
  const lmtpPort = await freePort();
  pfDir = mkdtempSync(join(tmpdir(), 'postfix-'));
  for (const sub of ['etc', 'spool', 'data']) mkdirSync(join(pfDir, sub));
  const ids = await postfixIds();
  chmodSync(pfDir, 0o755);
  chownSync(join(pfDir, 'data'), ids.uid, ids.gid);
  server = TestServer.prepare({
    smtpPort: smtpdPort,
    config: [
      `[mta]\nlmtp_port: ${lmtpPort}`,
      `[postfix]\npostmap_command: /usr/sbin/postmap -c ${join(pfDir, 'etc')}`,
    ].join('\n'),
  });
  // As an admin lets Postfix read the maps: its group owns var and var/data (setgid, so new
  // files inherit it); the server's umask leaves them group-readable and nothing to others.
  const varDir = server.varDir;
  for (const d of [server.dir, varDir, join(varDir, 'data')]) {
    mkdirSync(d, { recursive: true });
    chownSync(d, 0, ids.gid);
    chmodSync(d, 0o2750);
  }
  // Written first: the server's postmap reads main.cf from here.
  const { main, master } = postfixConfig(pfDir, join(varDir, 'data'), sink.port);
  writeFileSync(join(pfDir, 'etc', 'main.cf'), main);
  writeFileSync(join(pfDir, 'etc', 'master.cf'), master);
  await server.boot();
  await server.createList('ant@example.com', ['anne@example.org', 'bart@example.net']);
  await run(POSTFIX, ['-c', join(pfDir, 'etc'), 'start']);
});

after(async () => {
  if (pfDir) await run(POSTFIX, ['-c', join(pfDir, 'etc'), 'stop']).catch(() => undefined);
  await server?.cleanup();
  await sink?.close();
  if (pfDir) rmSync(pfDir, { recursive: true, force: true });
});

/** The end of Postfix's own log, for a failure's message. */
function maillog(): string {
  try {
    return readFileSync(join(pfDir, 'maillog'), 'utf8').split('\n').slice(-25).join('\n');
  } catch {
    return '(no maillog)';
  }
}

/** One SMTP session to Postfix: the reply to each RCPT, and whether DATA was taken. */
async function submit(from: string, rcpts: string[], raw: string): Promise<number[]> {
  const { SmtpConnection, wireFormat, chunkFormat } = await import('../../src/mta/smtp-client.js');
  const conn = await SmtpConnection.open({
    host: '127.0.0.1',
    port: smtpdPort,
    connectionTimeoutMs: 10_000,
    socketTimeoutMs: 30_000,
  });
  try {
    const bytes = Buffer.from(raw);
    const out = await conn.send(from, rcpts, {
      wire: wireFormat(bytes),
      chunk: chunkFormat(bytes),
      eightBit: bytes.some((b) => b > 0x7f),
    });
    return rcpts.map((r) => (out.accepted.includes(r) ? 250 : (out.refused.find((f) => f.recipient === r)?.code ?? 0)));
  } finally {
    conn.close();
  }
}

test('Postfix refuses an address of no list at RCPT time, and takes the list', async () => {
  const codes = await submit(
    'anne@example.org',
    ['ant@example.com', 'nosuch@example.com', 'ant-request@example.com'],
    makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'first', messageId: '<pf1@example.org>' }),
  );
  assert.deepEqual(codes, [250, 550, 250], maillog());
});

test('a post goes Postfix → LMTP → the server → Postfix → the members', async () => {
  const copies = () => sink.received.filter((r) => r.msg.messageId === '<pf1@example.org>');
  await sink.waitFor(() => copies().length >= 1 && copies().flatMap((r) => r.to).length === 2, 60_000, 'both');
  assert.deepEqual(
    copies()
      .flatMap((r) => r.to)
      .sort(),
    ['anne@example.org', 'bart@example.net'],
  );
  assert.match(String(copies()[0].msg.get('list-id')), /ant\.example\.com/);
});

/** Postfix's answer to RCPT TO for one address, in a session that sends no message. */
async function rcptCode(address: string): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port: smtpdPort });
  socket.setEncoding('latin1');
  let buffer = '';
  const replies: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 2);
      if (line[3] === '-') continue;
      const w = waiting.shift();
      if (w) w(line);
      else replies.push(line);
    }
  });
  const reply = () =>
    new Promise<string>((resolve) => (replies.length ? resolve(replies.shift()!) : waiting.push(resolve)));
  const say = async (line: string) => {
    socket.write(`${line}\r\n`);
    return reply();
  };
  try {
    await reply();
    await say('EHLO test.example');
    await say('MAIL FROM:<x@example.org>');
    return Number((await say(`RCPT TO:<${address}>`)).slice(0, 3));
  } finally {
    socket.end('QUIT\r\n');
  }
}

test('a list created later is known to Postfix, a removed one refused, without reloading it', async () => {
  // Postfix's daemons notice a changed map and restart between sessions, so the answer may
  // take a session or two to change; no `postfix reload` is needed.
  await server.createList('bee@example.com', ['cris@example.org']);
  await waitFor(async () => (await rcptCode('bee@example.com')) === 250, 'Postfix knows the new list');
  assert.equal((await server.rest('DELETE', '/lists/bee.example.com')).status, 204);
  await waitFor(async () => (await rcptCode('bee@example.com')) === 550, 'Postfix refuses the removed list');
  assert.equal(await rcptCode('ant@example.com'), 250);
});

test('a burst of 50 posts through Postfix arrives whole', async () => {
  const ids = Array.from({ length: 50 }, (_, i) => `<burst${i}@example.org>`);
  await Promise.all(
    ids.map((messageId, i) =>
      submit(
        'anne@example.org',
        ['ant@example.com'],
        makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: `burst ${i}`, messageId }),
      ),
    ),
  );
  const want = new Set(ids);
  const delivered = () => sink.received.filter((r) => want.has(String(r.msg.messageId))).flatMap((r) => r.to).length;
  await sink
    .waitFor(() => delivered() === 100, 120_000, 'every copy of the burst')
    .catch((err: Error) => {
      throw new Error(`${err.message}; ${delivered()} of 100 arrived\n${maillog()}`);
    });
});

test('personalised delivery to Postfix: pipelined BDAT batches, refusals mid-batch, one copy per member', async () => {
  // Postfix offers PIPELINING and CHUNKING: each write holds up to max_pipelined_transactions
  // whole transactions. Two members of no list at example.com are refused at RCPT (550) in
  // the middle of those batches; everyone else must get one copy, their own.
  const good = Array.from({ length: 30 }, (_, i) => `p${i}@example.org`);
  const refused = ['nosuch1@example.com', 'nosuch2@example.com'];
  const roster = [...good.slice(0, 7), refused[0], ...good.slice(7, 20), refused[1], ...good.slice(20)];
  await server.createList('per@example.com', roster);
  const r = await server.rest('PATCH', '/lists/per.example.com/config', {
    personalize: 'individual',
    member_regular_footer: '-- \nfor $user_address\n',
  });
  assert.equal(r.status, 204);
  const messageId = '<pf-personal@example.org>';
  // Straight to the server's LMTP: what is under test is its way out, through Postfix.
  const res = await sendLmtp(
    server.lmtpPort,
    'p0@example.org',
    ['per@example.com'],
    makePost({ from: 'p0@example.org', to: 'per@example.com', subject: 'personal', messageId }),
  );
  assert.deepEqual(res.accepted, ['per@example.com']);
  const copies = () => sink.received.filter((c) => c.msg.messageId === messageId);
  await sink
    .waitFor(() => good.every((m) => copies().some((c) => c.to.includes(m))), 120_000, 'a copy for every member')
    .catch((err: Error) => {
      throw new Error(`${err.message}; ${copies().length} arrived\n${maillog()}`);
    });
  await barrierPost(server, sink);
  for (const m of good) {
    const mine = copies().filter((c) => c.to.includes(m));
    assert.equal(mine.length, 1, m);
    assert.deepEqual(mine[0].to, [m]);
    assert.match(mine[0].raw.toString('latin1'), new RegExp(`for ${m.replace('.', '\\.')}\\r?\\n`));
  }
  assert.equal(copies().length, good.length, 'nothing for the refused addresses');
});
