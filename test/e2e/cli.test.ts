// The `mailman` command as an admin uses it: create, addmembers, members, lists, conf,
// inject; then mail injected while the server was down is delivered once it starts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { makePost } from '../helpers/lmtp-client.js';
import { encodeQueueFile } from '../../src/queue/qfile.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = TestServer.prepare({ smtpPort: sink.port });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('create refuses an unknown domain unless asked to create it', async () => {
  const refused = await server.cli(['create', 'bee@example.com']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Undefined domain: example\.com \(use --domain/);
  const created = await server.cli(['create', 'bee@example.com', '--domain', '--owner', 'queen@example.com']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), 'Created mailing list: bee@example.com');
  const again = await server.cli(['create', 'bee@example.com']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /Mailing list exists/);
});

test('lists shows the lists', async () => {
  const res = await server.cli(['lists']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, '1 matching mailing list found:\nbee@example.com\n');
});

test('addmembers reads names and addresses from standard input, skipping duplicates and garbage', async () => {
  const res = await server.cli(
    ['addmembers', '-', 'bee@example.com'],
    'Worker One <one@example.org>\ntwo@example.org\nnot an address\none@example.org\n',
  );
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Cannot parse as a valid email address \(skipping\): not an address/);
  assert.match(res.stdout, /Already subscribed \(skipping\): one@example\.org/);
  const members = await server.cli(['members', 'bee@example.com']);
  assert.equal(members.stdout, 'Worker One <one@example.org>\ntwo@example.org\n');
  const owners = await server.cli(['members', 'bee.example.com', '--role', 'owner', '--email-only']);
  assert.equal(owners.stdout, 'queen@example.com\n');
  assert.equal((await server.cli(['members', 'bee@example.com', '-c'])).stdout, '2\n');
});

test('conf prints the effective configuration', async () => {
  const one = await server.cli(['conf', '-s', 'mta', '-k', 'smtp_port']);
  assert.equal(one.stdout.trim(), String(sink.port));
  const section = await server.cli(['conf', '-s', 'webservice']);
  assert.match(section.stdout, /^\[webservice\] admin_user: restadmin$/m);
  const bad = await server.cli(['conf', '-s', 'nosuch']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /No such section: nosuch/);
});

test('the commands that print data print JSON with --json', async () => {
  const json = async (args: string[], code = 0) => {
    const res = await server.cli([...args, '--json']);
    assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
    return JSON.parse(res.stdout) as unknown;
  };
  const lists = (await json(['lists'])) as Record<string, unknown>[];
  assert.deepEqual(
    lists.map((l) => [l.fqdn_listname, l.list_id, l.advertised]),
    [['bee@example.com', 'bee.example.com', true]],
  );
  const members = (await json(['members', 'bee@example.com'])) as Record<string, unknown>[];
  assert.deepEqual(
    members.map((m) => [m.email, m.display_name, m.role, m.delivery_mode]),
    [
      ['one@example.org', 'Worker One', 'member', 'regular'],
      ['two@example.org', '', 'member', 'regular'],
    ],
  );
  assert.deepEqual(await json(['members', 'bee@example.com', '--count-only']), { count: 2 });
  assert.deepEqual(await json(['conf', '-s', 'mta', '-k', 'smtp_port']), { mta: { smtp_port: String(sink.port) } });
  const settings = (await json(['listconf', 'bee@example.com', 'display_name', 'max_message_size'])) as object;
  assert.deepEqual(Object.keys(settings).sort(), ['display_name', 'max_message_size']);
  assert.deepEqual(await json(['listconf', 'bee@example.com', '--set', 'description=Workers']), {
    description: 'Workers',
  });
  assert.deepEqual(await json(['held', 'bee@example.com']), []);
  // The server is not started yet: the same exit status as the text form.
  assert.deepEqual(await json(['status'], 1), { running: false, pid: null, stale_lock: false });
  // An unknown request id is reported in the JSON, not on stderr, and still fails the command.
  assert.deepEqual(await json(['held', 'bee@example.com', 'discard', '999'], 1), [
    { request_id: 999, action: 'discard', done: false },
  ]);
  const file = join(server.varDir, 'sample.qmsg');
  writeFileSync(
    file,
    encodeQueueFile(Buffer.from(makePost({ from: 'one@example.org', to: 'bee@example.com', subject: 'q' })), {
      listid: 'x',
    }),
  );
  const entry = (await json(['qfile', file])) as { msgdata: Record<string, unknown>; message: string };
  assert.equal(entry.msgdata.listid, 'x');
  assert.match(entry.message, /^From: .*one@example\.org/m);
});

test('a bad configuration file is refused with its line', async () => {
  const file = join(server.dir, 'bad.conf');
  writeFileSync(file, '[mta]\nsmtp_prot: 25\n');
  const res = await server.cli(['-C', file, 'lists']);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /bad\.conf:2: unknown key "smtp_prot" in \[mta\]/);
});

test('a message injected while the server is down is delivered once it starts', async () => {
  const file = join(server.dir, 'post.eml');
  writeFileSync(
    file,
    makePost({
      from: 'one@example.org',
      to: 'bee@example.com',
      subject: 'injected',
      messageId: '<injected@example.org>',
    }),
  );
  const res = await server.cli(['inject', 'bee@example.com', '-f', file]);
  assert.equal(res.code, 0, res.stderr);
  await server.boot();
  // Their welcome messages, queued by addmembers while the server was down, come too.
  const injected = (r: Received) => r.msg.messageId === '<injected@example.org>';
  await sink.waitFor(
    () => ['one@example.org', 'two@example.org'].every((m) => sink.copiesFor(m, injected).length === 1),
    20_000,
    'injected post',
  );
  assert.equal(sink.copiesFor('two@example.org', injected)[0].msg.get('subject'), '[Bee] injected');
});

test('help reads well', async () => {
  const res = await server.cli(['--help']);
  assert.equal(res.code, 0);
  for (const cmd of [
    'start',
    'stop',
    'status',
    'create',
    'lists',
    'addmembers',
    'members',
    'inject',
    'conf',
    'version',
  ]) {
    assert.match(res.stdout, new RegExp(`^  ${cmd}\\b`, 'm'), cmd);
  }
});

/** Runs a command with a pseudo-terminal on its output (util-linux `script`), as an admin at a shell would. */
function cliOnTerminal(args: string[]): Promise<{ code: number; output: string }> {
  const command = [process.execPath, join(PACKAGE_ROOT, 'bin', 'mailman.js'), '-C', server.configFile, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout });
    });
  });
}

test('addmembers shows a progress bar on a terminal only, and takes --role', async () => {
  assert.equal((await server.cli(['create', 'wasp@example.com', '--owner', 'queen@example.com'])).code, 0);
  const file = join(server.varDir, 'roster.txt');
  writeFileSync(
    file,
    Array.from({ length: 300 }, (_, i) => `worker${i}@example.org`).join('\n') + '\nnot an address\n',
  );
  const shown = await cliOnTerminal(['addmembers', file, 'wasp@example.com', '--no-welcome-msg']);
  assert.equal(shown.code, 0, shown.output);
  assert.match(shown.output, /subscribing \[[^\]]*\] 301\/301 100%/);
  // What was skipped comes after the bar, on lines of its own.
  assert.match(shown.output, /^Cannot parse as a valid email address \(skipping\): not an address\r?$/m);
  assert.equal((await server.cli(['members', 'wasp@example.com', '-c'])).stdout, '300\n');

  const piped = await server.cli(['addmembers', '-', 'wasp@example.com', '--role', 'moderator'], 'mod@example.org\n');
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, '', 'no bar when nobody watches');
  const mods = await server.cli(['members', 'wasp@example.com', '--role', 'moderator', '--email-only']);
  assert.equal(mods.stdout, 'mod@example.org\n');
  assert.equal(
    (await server.cli(['addmembers', '-', 'wasp@example.com', '--role', 'king'], 'x@example.org\n')).code,
    2,
  );
});

test('findmember, changeaddress and delmembers, in text and JSON', async () => {
  const found = await server.cli(['findmember', '^worker10@']);
  assert.equal(found.stdout, 'worker10@example.org\n    wasp.example.com (member)\n', found.stderr);
  const owners = JSON.parse((await server.cli(['findmember', 'queen', '--role', 'owner', '--json'])).stdout);
  assert.deepEqual(
    owners.map((m: { list_id: string }) => m.list_id),
    ['bee.example.com', 'wasp.example.com'],
  );
  assert.equal((await server.cli(['findmember', 'nobody-at-all'])).code, 1, 'nothing found');
  const backref = await server.cli(['findmember', '(a)\\1']);
  assert.equal(backref.code, 2);
  assert.match(backref.stderr, /Bad pattern: back-references/);

  const changed = await server.cli(['changeaddress', 'Worker10@example.org', 'W10@Example.net']);
  assert.equal(changed.stdout, 'Address changed from worker10@example.org to w10@example.net\n', changed.stderr);
  assert.deepEqual(JSON.parse((await server.cli(['findmember', '^w10@', '--json'])).stdout), [
    { email: 'w10@example.net', list_id: 'wasp.example.com', role: 'member' },
  ]);
  const taken = await server.cli(['changeaddress', 'w10@example.net', 'worker11@example.org']);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /Address worker11@example\.org already exists/);

  const some = await server.cli([
    'delmembers',
    '-l',
    'wasp@example.com',
    '-m',
    'worker11@example.org',
    '-m',
    'x@y.org',
  ]);
  assert.equal(some.code, 1, 'an address that is not a member fails the command');
  assert.equal(
    some.stdout,
    'Removed worker11@example.org from wasp.example.com\nNot a member of wasp.example.com: x@y.org\n',
  );
  const fromAll = JSON.parse((await server.cli(['delmembers', '--fromall', '-m', 'one@example.org', '--json'])).stdout);
  assert.deepEqual(fromAll, { removed: [{ list_id: 'bee.example.com', email: 'one@example.org' }], not_members: [] });
  const all = JSON.parse(
    (await server.cli(['delmembers', '-l', 'wasp.example.com', '--all', '--no-goodbye-msg', '--json'])).stdout,
  );
  assert.equal(all.removed.length, 299);
  assert.equal((await server.cli(['members', 'wasp@example.com', '-c'])).stdout, '0\n');
  assert.equal((await server.cli(['delmembers', '-l', 'wasp@example.com'])).code, 2, 'nothing named to remove');
});

test('syncmembers shows a progress bar on a terminal', async () => {
  const file = join(server.varDir, 'sync.txt');
  writeFileSync(file, Array.from({ length: 40 }, (_, i) => `drone${i}@example.org`).join('\n') + '\n');
  const shown = await cliOnTerminal(['syncmembers', file, 'wasp@example.com', '--no-welcome-msg']);
  assert.equal(shown.code, 0, shown.output);
  assert.match(shown.output, /synchronising \[[^\]]*\] 40\/40 100%/);
  assert.match(shown.output, /^\[ADD\] drone39@example\.org\r?$/m);
  assert.equal((await server.cli(['members', 'wasp@example.com', '-c'])).stdout, '40\n');
});
