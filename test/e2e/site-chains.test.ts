// Site chains on the real server, hot: a file written into var/chains/ is in force for the
// next message without a restart; a version that does not compile is reported (log, REST,
// `mailman status`) while the last good one stays in force, also across a restart; fixing
// the file brings it back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;
const MEMBERS = ['anne@example.org', 'bart@example.org'];
const LIST = 'ant.example.com';

const good = (reason: string) => `# Site chain: hold what is marked, then Mailman's defaults.
chain hold-marked "Hold posts marked X-Hold-Me" {
    if header "X-Hold-Me" exists then hold "${reason}"
    jump default-posting-chain
}
`;
// The same chain with a rule that does not exist: MM301.
const BROKEN = `chain hold-marked "Hold posts marked X-Hold-Me" {
    if header "X-Hold-Me" exists then hold "Broken version"
    if no-such-rule then discard
    jump default-posting-chain
}
`;

let chainFile: string;
let n = 0;

/** Posts from a member; resolves with the message id. */
async function post(marked: boolean): Promise<string> {
  const messageId = `<site-chain-${++n}@example.org>`;
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['ant@example.com'],
    makePost({
      from: 'anne@example.org',
      to: 'ant@example.com',
      subject: `post ${n}`,
      messageId,
      extra: marked ? ['X-Hold-Me: yes'] : [],
    }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  return messageId;
}

/** Waits until the message is held and returns its held entry. */
async function heldEntry(messageId: string): Promise<{ reason: string; message_id: string }> {
  let entry: { reason: string; message_id: string } | undefined;
  await server.waitUntil(
    async () => {
      const held = (await server.rest('GET', `/lists/${LIST}/held`)).body;
      entry = (held.entries ?? []).find((e: { message_id: string }) => e.message_id === messageId);
      return !!entry;
    },
    20_000,
    `${messageId} to be held`,
  );
  return entry!;
}

/** Waits until every member has a copy. */
async function delivered(messageId: string): Promise<void> {
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === messageId).length >= 1),
    20_000,
    `${messageId} to every member`,
  );
}

const copies = (messageId: string) =>
  MEMBERS.reduce((sum, m) => sum + sink.copiesFor(m, (r) => r.msg.messageId === messageId).length, 0);

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await server.rest('POST', '/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
  for (const email of MEMBERS) {
    const res = await server.rest('POST', '/members', {
      list_id: LIST,
      subscriber: email,
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
      send_welcome_message: false,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const dir = join(server.varDir, 'chains');
  mkdirSync(dir, { recursive: true });
  chainFile = join(dir, 'hold-marked.chain');
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('a chain file written into var/chains is in force at once: marked posts are held, others delivered', async () => {
  writeFileSync(chainFile, good('Marked to be held'));
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { posting_chain: 'hold-marked' });
  assert.equal(patch.status, 204, JSON.stringify(patch.body));

  const marked = await post(true);
  assert.match((await heldEntry(marked)).reason, /Marked to be held/);
  const plain = await post(false);
  await delivered(plain);
  // The plain post came later and is delivered: the held one, had it gone out, would be too.
  assert.equal(copies(marked), 0);

  const rest = await server.rest('GET', '/chains/hold-marked');
  assert.equal(rest.status, 200);
  assert.equal(rest.body.status, 'ok');
  assert.equal(rest.body.origin, 'site');
  assert.deepEqual(rest.body.lists, [LIST]);
});

test('a broken version is reported everywhere while the last good version stays in force', async () => {
  writeFileSync(chainFile, BROKEN);
  const marked = await post(true);
  // Held with the good version's reason: the broken text is not in force.
  assert.match((await heldEntry(marked)).reason, /Marked to be held/);

  const rest = await server.rest('GET', '/chains/hold-marked');
  assert.equal(rest.body.status, 'stale');
  assert.equal(rest.body.source, BROKEN);
  assert.equal(rest.body.in_force_source, good('Marked to be held'));
  const error = rest.body.diagnostics.find((d: { severity: string }) => d.severity === 'error');
  assert.equal(error.code, 'MM301');
  assert.equal(error.line, 3);
  assert.match(error.message, /no-such-rule/);

  const status = await server.cli(['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /chain hold-marked: stale \(the last good version is in force\)/);
  assert.match(status.stdout, /hold-marked\.chain:3:\d+: error MM301: .*no-such-rule/);

  const log = readFileSync(join(server.varDir, 'logs', 'error.log'), 'utf8');
  assert.match(log, /chain 'hold-marked' does not compile; the last good version stays in force/);
  assert.match(log, /error MM301/);
});

test('after a restart with the file still broken, the last good version is still in force', async () => {
  await server.stop();
  await server.boot();
  const marked = await post(true);
  assert.match((await heldEntry(marked)).reason, /Marked to be held/);
  const rest = await server.rest('GET', '/chains/hold-marked');
  assert.equal(rest.body.status, 'stale');
  assert.equal(rest.body.in_force, 'last-good');
  const plain = await post(false);
  await delivered(plain);
});

test('fixing the file puts the new version in force and clears the report', async () => {
  writeFileSync(chainFile, good('Fixed and held'));
  // The in runner notices the change by itself (fs.watch), before any message asks.
  const dslStatus = () =>
    JSON.parse(readFileSync(join(server.varDir, 'run', 'dsl.json'), 'utf8')) as {
      names: { name: string; status: string }[];
    };
  await server.waitUntil(
    () => dslStatus().names.find((x) => x.name === 'hold-marked')?.status === 'ok',
    20_000,
    'the status file to show the fixed chain',
  );
  const marked = await post(true);
  assert.match((await heldEntry(marked)).reason, /Fixed and held/);
  assert.equal((await server.rest('GET', '/chains/hold-marked')).body.status, 'ok');
  const status = await server.cli(['status']);
  assert.match(status.stdout, /Chains and pipelines: all \d+ compile/);
  assert.doesNotMatch(status.stdout, /stale/);
});

test('mailman listconf prints settings and sets them with the REST validation', async () => {
  const shown = await server.cli(['listconf', 'ant@example.com', 'posting_chain', 'display_name']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout, 'display_name: Ant\nposting_chain: hold-marked\n');
  const all = await server.cli(['listconf', LIST]);
  assert.match(all.stdout, /^max_message_size: 40$/m);
  assert.match(all.stdout, /^posting_address: ant@example.com$/m);

  const refused = await server.cli([
    'listconf',
    LIST,
    '--set',
    'display_name=Ants',
    '--set',
    'posting_chain=no-such-chain',
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Invalid Parameter "posting_chain": Unknown chain: no-such-chain/);
  assert.equal((await server.rest('GET', `/lists/${LIST}/config`)).body.display_name, 'Ant');
  const readOnly = await server.cli(['listconf', LIST, '--set', 'mail_host=x']);
  assert.equal(readOnly.code, 1);
  assert.match(readOnly.stderr, /Read-only attribute: mail_host/);

  const set = await server.cli([
    'listconf',
    LIST,
    '--set',
    'display_name=Ants',
    '--set',
    'posting_chain=default-posting-chain',
    '--set',
    'advertised=no',
  ]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, 'advertised: false\ndisplay_name: Ants\nposting_chain: default-posting-chain\n');
  const config = (await server.rest('GET', `/lists/${LIST}/config`)).body;
  assert.deepEqual(
    [config.display_name, config.posting_chain, config.advertised],
    ['Ants', 'default-posting-chain', false],
  );
  const missing = await server.cli(['listconf', 'nope@example.com']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such list: nope@example.com/);
});

// Issue 15's policies through LMTP, the runners and SMTP: a loop over MIME parts, a header read
// as a number, and `else`.
const POLICY = `chain policy "Refuse programs, hold spam, then the defaults" {
    for part in message.parts {
        if part.type is "application/x-msdownload" or part.filename ends with ".exe"
            then reject "Attachments like {part.filename} are not accepted"
    }
    if header "X-Spam-Score" as number > 5 then hold "Spam score over 5"
    else jump default-posting-chain
}
`;

const EXE = (messageId: string) =>
  [
    'From: anne@example.org',
    'To: ant@example.com',
    'Subject: The installer',
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'Here it is.',
    '--b1',
    'Content-Type: application/octet-stream; name="setup.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('MZ not really a program').toString('base64'),
    '--b1--',
    '',
  ].join('\r\n');

test('a site policy: an .exe attachment is rejected, a spam score of 7.5 held, 3.2 delivered', async () => {
  writeFileSync(join(server.varDir, 'chains', 'policy.chain'), POLICY);
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { posting_chain: 'policy' });
  assert.equal(patch.status, 204, JSON.stringify(patch.body));
  const scored = async (score: string) => {
    const messageId = `<policy-${score}@example.org>`;
    const post = makePost({
      from: 'anne@example.org',
      to: 'ant@example.com',
      subject: `Score ${score}`,
      messageId,
      extra: [`X-Spam-Score: ${score}`],
    });
    assert.deepEqual((await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], post)).accepted, [
      'ant@example.com',
    ]);
    return messageId;
  };

  const exeId = '<policy-exe@example.org>';
  const sent = await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], EXE(exeId));
  assert.deepEqual(sent.accepted, ['ant@example.com']);
  const notice = (r: { raw: Buffer }) =>
    r.raw.toString('latin1').includes('Attachments like setup.exe are not accepted');
  await sink.waitFor(() => sink.copiesFor('anne@example.org', notice).length === 1, 20_000, 'the rejection notice');

  const spam = await scored('7.5');
  assert.match((await heldEntry(spam)).reason, /Spam score over 5/);
  const ham = await scored('3.2');
  await delivered(ham);
  // Delivered after both others were decided: neither of them went out.
  assert.equal(copies(spam), 0);
  assert.equal(copies(exeId), 0);
});
