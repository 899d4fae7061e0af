// The roster commands against a running server: members' filters, addmembers and syncmembers
// with the welcome, goodbye and owners' notices they send (read at the SMTP sink), and notify
// reminding the owners of what waits for a moderator. Every --json output is parsed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { makePost, sendLmtp } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';
import { plainText } from '../helpers/mime-text.js';

let sink: SmtpSink;
let server: TestServer;
const OWNER = 'queen@example.com';
const WELCOME = 'Welcome to the "Bee" mailing list';
const GOODBYE = 'You have been unsubscribed from the Bee mailing list';

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

async function cli(args: string[], input?: string, code = 0): Promise<string> {
  const res = await server.cli(args, input);
  assert.equal(res.code, code, `mailman ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

const json = async (args: string[], input?: string, code = 0): Promise<any> =>
  JSON.parse(await cli([...args, '--json'], input, code));

const subject = (text: string) => (r: Received) => r.msg.get('subject') === text;
/** Until the server has finished with everything given to it so far. */
const quiet = () => barrierPost(server, sink);

test('create and addmembers in JSON; new members get the welcome message unless told not to', async () => {
  assert.deepEqual(await json(['create', 'bee@example.com', '--domain', '--owner', OWNER]), {
    list_id: 'bee.example.com',
    fqdn_listname: 'bee@example.com',
    owners: [OWNER],
  });
  const added = await json(
    ['addmembers', '-', 'bee@example.com'],
    'Anne A <anne@example.org>\nbart@example.org\nnope\n',
  );
  assert.deepEqual(added, {
    list_id: 'bee.example.com',
    role: 'member',
    added: [
      { email: 'anne@example.org', display_name: 'Anne A' },
      { email: 'bart@example.org', display_name: '' },
    ],
    skipped: [{ line: 'nope', reason: 'Cannot parse as a valid email address' }],
  });
  await sink.waitFor(
    () => ['anne@example.org', 'bart@example.org'].every((m) => sink.copiesFor(m, subject(WELCOME)).length === 1),
    20_000,
    'the welcome messages',
  );
  assert.match(sink.copiesFor('anne@example.org', subject(WELCOME))[0].msg.get('from') ?? '', /bee-request@/);

  await cli(['addmembers', '-', 'bee@example.com', '--no-welcome-msg'], 'carl@example.org\n');
  await cli(['addmembers', '-', 'bee@example.com', '-W', '-d', 'mime'], 'dana@example.org\n');
  await cli(['addmembers', '-', 'bee@example.com', '-W', '-d', 'plain'], 'eve@example.org\n');
  await cli(['addmembers', '-', 'bee@example.com', '-W', '-d', 'disabled'], 'fred@example.org\n');
  await quiet();
  for (const m of ['carl', 'dana', 'eve', 'fred'])
    assert.equal(sink.copiesFor(`${m}@example.org`, subject(WELCOME)).length, 0, m);
});

test("members filters by role, delivery mode and delivery status, as Mailman's options name them", async () => {
  const emails = async (...args: string[]) =>
    (await cli(['members', 'bee@example.com', '--email-only', ...args])).trim().split('\n');
  assert.deepEqual(await emails(), [
    'anne@example.org',
    'bart@example.org',
    'carl@example.org',
    'dana@example.org',
    'eve@example.org',
    'fred@example.org',
  ]);
  assert.deepEqual(await emails('--regular'), [
    'anne@example.org',
    'bart@example.org',
    'carl@example.org',
    'fred@example.org',
  ]);
  assert.deepEqual(await emails('--digest'), ['dana@example.org', 'eve@example.org']);
  assert.deepEqual(await emails('--digest', 'mime'), ['dana@example.org']);
  assert.deepEqual(await emails('-d', 'plaintext'), ['eve@example.org']);
  assert.deepEqual(await emails('--nomail'), ['fred@example.org']);
  assert.deepEqual(await emails('--nomail', 'byadmin'), ['fred@example.org']);
  assert.equal(
    (await cli(['members', 'bee@example.com', '--nomail', 'by_user'])).trim(),
    'bee@example.com has no members',
  );
  assert.equal((await emails('--nomail', 'enabled')).length, 5);
  assert.deepEqual(await emails('--role', 'administrator'), [OWNER]);
  assert.equal((await emails('--role', 'any')).length, 7);

  const rows = await json(['members', 'bee@example.com', '--digest']);
  assert.deepEqual(
    rows.map((r: { email: string; delivery_mode: string }) => [r.email, r.delivery_mode]),
    [
      ['dana@example.org', 'mime_digests'],
      ['eve@example.org', 'plaintext_digests'],
    ],
  );
  assert.deepEqual(await json(['members', 'bee@example.com', '--nomail', '--count-only']), { count: 1 });

  const file = join(server.dir, 'members.txt');
  assert.equal(await cli(['members', 'bee@example.com', '--regular', '--output', file]), '', 'nothing on stdout');
  assert.equal(
    readFileSync(file, 'utf8'),
    'Anne A <anne@example.org>\nbart@example.org\ncarl@example.org\nfred@example.org\n',
  );
  await cli(['members', 'bee@example.com', '--regular', '--json', '-o', file]);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).length, 4);

  assert.match((await server.cli(['members', 'bee@example.com', '--digest', 'weekly'])).stderr, /Unknown --digest/);
  assert.equal((await server.cli(['members', 'bee@example.com', '--nomail', 'sometimes'])).code, 2);
  assert.equal((await server.cli(['members', 'bee@example.com', '--regular', '--digest'])).code, 2);
});

test('syncmembers shows a dry run, then adds and removes with welcome, goodbye and owner notices', async () => {
  const file = join(server.dir, 'sync.txt');
  writeFileSync(
    file,
    '# the roster as it should be\nanne@example.org\nBart B <bart@example.org>\nGina <gina@example.org>\n',
  );
  const dry = await cli(['syncmembers', file, 'bee@example.com', '--no-change']);
  assert.equal(
    dry,
    [
      '[ADD] Gina <gina@example.org>',
      '[DEL] carl@example.org',
      '[DEL] dana@example.org',
      '[DEL] eve@example.org',
      '[DEL] fred@example.org',
      '',
    ].join('\n'),
  );
  assert.equal((await cli(['members', 'bee@example.com', '-c'])).trim(), '6', 'a dry run changes nothing');
  const planned = await json(['syncmembers', file, 'bee@example.com', '--dry-run']);
  assert.equal(planned.dry_run, true);

  // Welcome and goodbye as the list says (on); the owners hear of each change because they are asked to.
  const done = await json(['syncmembers', file, 'bee@example.com', '--admin-notify']);
  assert.deepEqual(done, {
    list_id: 'bee.example.com',
    dry_run: false,
    added: [{ email: 'gina@example.org', display_name: 'Gina' }],
    removed: [
      { email: 'carl@example.org' },
      { email: 'dana@example.org' },
      { email: 'eve@example.org' },
      { email: 'fred@example.org' },
    ],
    skipped: [],
  });
  assert.equal(
    (await cli(['members', 'bee@example.com', '--email-only'])).trim(),
    'anne@example.org\nbart@example.org\ngina@example.org',
  );
  await sink.waitFor(
    () =>
      sink.copiesFor('gina@example.org', subject(WELCOME)).length === 1 &&
      ['carl', 'dana', 'eve', 'fred'].every((m) => sink.copiesFor(`${m}@example.org`, subject(GOODBYE)).length === 1) &&
      sink.copiesFor(OWNER, subject('Bee subscription notification')).length === 1 &&
      sink.copiesFor(OWNER, subject('Bee unsubscription notification')).length === 4,
    20_000,
    'the welcome, goodbye and owner notices',
  );
  assert.match(plainText(sink.copiesFor(OWNER, subject('Bee subscription notification'))[0].raw), /gina@example\.org/);

  writeFileSync(file, 'anne@example.org\nbart@example.org\n');
  const quietly = await json(['syncmembers', file, 'bee@example.com', '--no-goodbye-msg', '--no-admin-notify']);
  assert.deepEqual(quietly.removed, [{ email: 'gina@example.org' }]);
  await quiet();
  assert.equal(sink.copiesFor('gina@example.org', subject(GOODBYE)).length, 0);
  assert.equal(sink.copiesFor(OWNER, subject('Bee unsubscription notification')).length, 4);
  assert.equal(await cli(['syncmembers', file, 'bee@example.com']), 'Nothing to do\n');
});

test('notify mails the owners one summary of the held posts and requests waiting for a moderator', async () => {
  const waiting = '2 Bee moderator request(s) waiting';
  assert.equal(await cli(['notify', '--verbose']), 'Nothing pending\n');
  const policy = await server.rest('PATCH', '/lists/bee.example.com/config', { subscription_policy: 'moderate' });
  assert.equal(policy.status, 204);
  const request = await server.rest('POST', '/members', {
    list_id: 'bee.example.com',
    subscriber: 'hank@example.org',
    pre_verified: true,
    pre_confirmed: true,
  });
  assert.equal(request.status, 202, JSON.stringify(request.body));
  const post = makePost({ from: 'stranger@example.net', to: 'bee@example.com', subject: 'Buy bees' });
  assert.deepEqual((await sendLmtp(server.lmtpPort, 'stranger@example.net', ['bee@example.com'], post)).accepted, [
    'bee@example.com',
  ]);
  await server.waitUntil(
    async () => (await server.rest('GET', '/lists/bee.example.com/held')).body.total_size === 1,
    20_000,
    'the post to be held',
  );

  const planned = await json(['notify', '--dry-run']);
  assert.deepEqual(planned, [
    { list_id: 'bee.example.com', held: 1, subscriptions: 1, unsubscriptions: 0, recipients: [OWNER], sent: false },
  ]);
  await quiet();
  assert.equal(sink.copiesFor(OWNER, subject(waiting)).length, 0, 'a dry run sends nothing');

  assert.equal(
    await cli(['notify', '-v', '-l', 'bee@example.com']),
    `bee.example.com: 1 held, 1 subscription(s), 0 unsubscription(s); notice sent to ${OWNER}\n`,
  );
  await sink.waitFor(() => sink.copiesFor(OWNER, subject(waiting)).length === 1, 20_000, 'the pending notice');
  const text = plainText(sink.copiesFor(OWNER, subject(waiting))[0].raw);
  assert.match(text, /bee@example\.com has 2 request\(s\) waiting/);
  assert.match(text, /Held messages \(1\):\r?\n {4}#\d+ from stranger@example\.net: Buy bees/);
  assert.match(text, /Subscription requests \(1\):\r?\n {4}hank@example\.org since /);
  assert.equal((await server.cli(['notify', '-l', 'nosuch@example.com'])).code, 1);
});

test('inject, unshunt, version and info print JSON too', async () => {
  assert.ok((await json(['inject', 'bee@example.com', '--show'])).includes('in'));
  assert.deepEqual(await json(['unshunt']), { action: 'requeued', count: 0, queues: {} });
  const { version } = await json(['version']);
  assert.match(version, /^\d+\.\d+\.\d+/);
  const info = await json(['info']);
  assert.equal(info.version, version);
  assert.equal(info.config_file, server.configFile);
  assert.equal(info.paths.var_dir, server.varDir);
  assert.equal(info.rest_user, 'restadmin');
  assert.ok(!JSON.stringify(info).includes('restpass'), 'the REST password is not shown');
  const infoFile = join(server.dir, 'info.txt');
  assert.equal(await cli(['info', '--verbose', '-o', infoFile]), '');
  assert.match(readFileSync(infoFile, 'utf8'), /^File system paths: queue_dir = .*queue$/m);
  const file = join(server.dir, 'post.eml');
  writeFileSync(
    file,
    makePost({ from: 'anne@example.org', to: 'bee@example.com', subject: 'injected', messageId: '<inj@x>' }),
  );
  const injected = await json(['inject', 'bee@example.com', '-f', file]);
  assert.equal(injected.list_id, 'bee.example.com');
  assert.equal(injected.queue, 'in');
  assert.equal(typeof injected.file, 'string');
  await sink.waitFor(
    () => sink.copiesFor('bart@example.org', (r) => r.msg.messageId === '<inj@x>').length === 1,
    20_000,
    'the injected post',
  );
});

test('delmembers sends the goodbye message as the list says, or not with -G', async () => {
  const removed = await json(['delmembers', '-l', 'bee@example.com', '-m', 'bart@example.org', '--no-goodbye-msg']);
  assert.deepEqual(removed.removed, [{ list_id: 'bee.example.com', email: 'bart@example.org' }]);
  await cli(['delmembers', '-l', 'bee@example.com', '-m', 'anne@example.org']);
  await sink.waitFor(() => sink.copiesFor('anne@example.org', subject(GOODBYE)).length === 1, 20_000, 'the goodbye');
  await quiet();
  assert.equal(sink.copiesFor('bart@example.org', subject(GOODBYE)).length, 0);
  assert.equal(await cli(['members', 'bee@example.com', '-c']), '0\n');
});
