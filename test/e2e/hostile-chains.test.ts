// Issue 9, items 1, 3 and 4 on the real server: chain sources an attacker or a careless admin
// could write. A chain nested 700 deep (or 2,000 `not`s) sitting in var/chains when the
// server starts must not stop it: the server starts, mail flows, `status` reports the file
// broken, the CLI keeps working on other files, and PUT of such a source is a 400. A chain
// may not read a secret, and `in` against a string is refused rather than run as a
// substring test that lets evil@ner.example through a check for partner.example.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;
const LIST = 'ant.example.com';
const MEMBERS = ['anne@example.org', 'bart@example.org'];

const DEEP = `chain deep {\n    if ${'('.repeat(700)}true${')'.repeat(700)} then accept\n}\n`;
const NOTS = `chain nots {\n    if ${'not '.repeat(2000)}true then accept\n}\n`;
const SECRET = 'chain leak {\n    reject "Denied; the admin password is {site.webservice.admin_pass}"\n}\n';

let n = 0;
async function post(from: string, subject: string): Promise<string> {
  const messageId = `<hostile-${++n}@example.org>`;
  const res = await sendLmtp(
    server.lmtpPort,
    from,
    ['ant@example.com'],
    makePost({ from, to: 'ant@example.com', subject, messageId }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  return messageId;
}

async function delivered(messageId: string): Promise<void> {
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === messageId).length >= 1),
    20_000,
    `${messageId} to every member`,
  );
}

async function held(messageId: string): Promise<void> {
  await server.waitUntil(
    async () => {
      const body = (await server.rest('GET', `/lists/${LIST}/held`)).body;
      return (body.entries ?? []).some((e: { message_id: string }) => e.message_id === messageId);
    },
    20_000,
    `${messageId} to be held`,
  );
}

before(async () => {
  sink = await new SmtpSink().start();
  server = TestServer.prepare({ smtpPort: sink.port });
  // On disk before the first start: every runner compiles them as it starts.
  const dir = join(server.varDir, 'chains');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'deep.chain'), DEEP);
  writeFileSync(join(dir, 'nots.chain'), NOTS);
  writeFileSync(join(dir, 'leak.chain'), SECRET);
  await server.boot();
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
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('deeply nested files in var/chains: the server starts, delivers, and status reports them broken', async () => {
  const id = await post('anne@example.org', 'still flowing');
  await delivered(id);
  // No runner died compiling them.
  for (const r of server.status().runners) assert.equal(r.restarts, 0, `${r.name} restarted`);

  const status = await server.cli(['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /chain deep: broken/);
  assert.match(status.stdout, /chain nots: broken/);
  assert.match(status.stdout, /deep\.chain:2:\d+: error MM204: this nests more than 64 levels deep/);
  assert.match(status.stdout, /nots\.chain:2:\d+: error MM204/);

  const rest = await server.rest('GET', '/chains/deep');
  assert.equal(rest.status, 200);
  assert.equal(rest.body.status, 'broken');
  assert.equal(rest.body.diagnostics[0].code, 'MM204');
});

test('the CLI keeps working on other files while the deep ones are on disk', async () => {
  const other = join(server.dir, 'other.chain');
  writeFileSync(other, 'chain other {\n    if loop then discard\n    accept\n}\n');
  const validate = await server.cli(['validate', other]);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  // Validating everything reports the deep files, and exits 1 for them, not with a crash.
  const all = await server.cli(['validate']);
  assert.equal(all.code, 1, all.stderr);
  assert.match(all.stdout, /error MM204/);
  assert.equal(all.stderr, '');

  const graph = await server.cli(['graph', 'default-posting-chain']);
  assert.equal(graph.code, 0, graph.stderr);
  assert.match(graph.stdout, /^digraph "default-posting-chain"/);

  const message = join(server.dir, 'message.eml');
  writeFileSync(
    message,
    makePost({
      from: 'anne@example.org',
      to: 'ant@example.com',
      subject: 'explain me',
      messageId: '<explain-1@example.org>',
    }),
  );
  const explain = await server.cli(['explain', '--list', 'ant@example.com', message]);
  assert.equal(explain.code, 0, explain.stderr);
  assert.match(explain.stdout, /accept/);

  const fmt = await server.cli(['fmt', '--check', join(server.varDir, 'chains', 'deep.chain')]);
  // Too deep to parse: left as it is, reported as validate reports it, and a failure.
  assert.equal(fmt.code, 1, fmt.stderr);
  assert.match(fmt.stderr, /left as it is: it does not parse \(MM204 at \d+:\d+: this nests more than 64 levels deep/);
});

test('PUT of a deeply nested source is a 400 with the diagnostic, and nothing is stored', async () => {
  for (const [name, source] of [
    ['deep-put', DEEP.replace('chain deep', 'chain deep-put')],
    ['nots-put', NOTS.replace('chain nots', 'chain nots-put')],
  ]) {
    const res = await server.rest('PUT', `/chains/${name}`, { source });
    assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
    assert.match(res.body.description, /MM204/);
    assert.equal(res.body.diagnostics[0].code, 'MM204');
    assert.equal((await server.rest('GET', `/chains/${name}`)).status, 404);
  }
  // REST is still there, and so is the mail.
  const id = await post('bart@example.org', 'after the PUTs');
  await delivered(id);
});

test('a chain cannot read a secret: PUT and validate refuse it, and nothing prints the password', async () => {
  const put = await server.rest('PUT', '/chains/leak-put', { source: SECRET.replace('chain leak', 'chain leak-put') });
  assert.equal(put.status, 400);
  assert.equal(put.body.diagnostics[0].code, 'MM311');
  assert.doesNotMatch(JSON.stringify(put.body), /restpass/);
  for (const source of [
    'if header "X-Approved" is list.moderator_password then accept',
    'if header "X" is site.mta.smtp_pass then accept',
  ]) {
    const res = await server.rest('POST', '/chains/validate', {
      source: `chain probe {\n    ${source}\n    accept\n}\n`,
    });
    assert.equal(res.body.ok, false);
    assert.equal(res.body.diagnostics[0].code, 'MM311');
  }

  const file = join(server.varDir, 'chains', 'leak.chain');
  const validate = await server.cli(['validate', file]);
  assert.equal(validate.code, 1);
  assert.match(validate.stdout, /error MM311: 'site\.webservice\.admin_pass' is a secret/);
  assert.equal((await server.rest('GET', '/chains/leak')).body.status, 'broken');

  const message = join(server.dir, 'leak.eml');
  writeFileSync(
    message,
    makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'leak', messageId: '<leak-1@example.org>' }),
  );
  const explain = await server.cli(['explain', '--list', 'ant@example.com', '--chain', 'leak', message]);
  assert.notEqual(explain.code, 0);
  assert.doesNotMatch(explain.stdout + explain.stderr, /restpass/);
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { posting_chain: 'leak' });
  assert.equal(patch.status, 400);
});

test("'in' takes a list: a string there is refused, and evil@ner.example is not accepted", async () => {
  const substring = `let trusted = "partner.example"
chain partners {
    if sender.domain in trusted then accept
    jump default-posting-chain
}
`;
  const refused = await server.rest('PUT', '/chains/partners', { source: substring });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.diagnostics[0].code, 'MM403');
  assert.match(refused.body.diagnostics[0].message, /'in' takes a list, not a string/);

  const put = await server.rest('PUT', '/chains/partners', {
    source: substring.replace('"partner.example"', '["partner.example"]'),
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await server.rest('PATCH', `/lists/${LIST}/config`, { posting_chain: 'partners' })).status, 204);
  // A stranger whose domain is a substring of the partner's is not a partner: held, as
  // Mailman holds non-members by default.
  const evil = await post('evil@ner.example', 'let me in');
  await held(evil);
  const partner = await post('someone@partner.example', 'from a partner');
  await delivered(partner);
  assert.equal(
    MEMBERS.reduce((sum, m) => sum + sink.copiesFor(m, (r) => r.msg.messageId === evil).length, 0),
    0,
  );
  assert.equal(
    (await server.rest('PATCH', `/lists/${LIST}/config`, { posting_chain: 'default-posting-chain' })).status,
    204,
  );
});
