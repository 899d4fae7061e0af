// A site admin rearranges the built-in posting chain in a file, checks it with `mailman
// validate`, drops it into the site directory, and the running server follows it: a rule
// moved, an action changed, a header-match link added. No restart, no TypeScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { LmtpSession } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

const LIST = 'ant.example.com';
const BUILTIN = readFileSync(join(PACKAGE_ROOT, 'chains', 'default-posting-chain.chain'), 'utf8');
let sink: SmtpSink;
let server: TestServer;
let lmtp: LmtpSession;
let scratch: string;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  scratch = mkdtempSync(join(tmpdir(), 'edit-chain-'));
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await server.rest('POST', '/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
  for (const email of ['anne@example.org', 'bart@example.org']) {
    assert.equal(
      (
        await server.rest('POST', '/members', {
          list_id: LIST,
          subscriber: email,
          pre_verified: true,
          pre_confirmed: true,
          pre_approved: true,
          send_welcome_message: false,
        })
      ).status,
      201,
    );
  }
  // anne is a trusted member: her posts are accepted before the content checks run.
  const anne = (await server.rest('GET', `/lists/${LIST}/member/anne@example.org`)).body;
  assert.equal(
    (await server.rest('PATCH', anne.self_link.replace(/^.*\/3\.1/, ''), { moderation_action: 'accept' })).status,
    204,
  );
  lmtp = await LmtpSession.open(server.lmtpPort);
});

after(async () => {
  lmtp?.close();
  await server?.cleanup();
  await sink?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The built-in chain with `links` inserted at the top of its body. */
function edited(...links: string[]): string {
  return BUILTIN.replace(/^(chain default-posting-chain [^\n]*\{\n)/m, `$1${links.map((l) => `    ${l}\n`).join('')}`);
}

/** Validates the file as an admin would, then installs it with one rename. */
async function install(text: string): Promise<void> {
  const draft = join(scratch, 'default-posting-chain.chain');
  writeFileSync(draft, text);
  const checked = await server.cli(['validate', draft]);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  renameSync(draft, join(server.varDir, 'chains', 'default-posting-chain.chain'));
}

const post = (tag: string, headers: string[]) =>
  lmtp.send(
    'anne@example.org',
    ['ant@example.com'],
    [
      `From: anne@example.org`,
      'To: ant@example.com',
      `Message-ID: <${tag}@example.org>`,
      ...headers,
      '',
      `Body of ${tag}.`,
      '',
    ].join('\r\n'),
  );
const isPost = (tag: string) => (r: Received) => r.msg.messageId === `<${tag}@example.org>`;

test('moving a rule, changing its action and adding a header-match link change what the running server does', async () => {
  const inPid = server.runnerPid('in');
  // The built-in order: a trusted member's post without a subject is accepted.
  await post('before', []);
  await sink.waitFor(
    () => sink.copiesFor('bart@example.org', isPost('before')).length === 1,
    20_000,
    'the subjectless post',
  );

  // no-subject moved above member-moderation, and rejecting instead of deferring.
  await install(edited('if no-subject then reject "Posts to this list need a subject"'));
  await post('moved', []);
  const bounce = (r: Received) => /Posts to this list need a subject/.test(r.raw.toString());
  await sink.waitFor(() => sink.copiesFor('anne@example.org', bounce).length === 1, 20_000, 'the rejection');

  // A header-match link on top of that: the named record shows in the held message.
  await install(
    edited(
      'if header-match(header: "X-Bulk", pattern: "^yes$", suffix: "bulk") then hold',
      'if no-subject then reject "Posts to this list need a subject"',
    ),
  );
  await post('bulk', ['Subject: Cheap offers', 'X-Bulk: yes']);
  let held: { rule_hits?: string[]; reason?: string } | undefined;
  await server.waitUntil(
    async () => {
      held = (await server.rest('GET', `/lists/${LIST}/held`)).body.entries?.find(
        (e: { message_id: string }) => e.message_id === '<bulk@example.org>',
      );
      return held !== undefined;
    },
    20_000,
    'the held bulk post',
  );
  assert.deepEqual(held!.rule_hits, ['header-match-bulk']);
  await post('normal', ['Subject: Hello', 'X-Bulk: no']);
  await sink.waitFor(
    () => sink.copiesFor('bart@example.org', isPost('normal')).length === 1,
    20_000,
    'the normal post',
  );

  await barrierPost(server, sink);
  for (const tag of ['moved', 'bulk'])
    assert.equal(sink.copiesFor('bart@example.org', isPost(tag)).length, 0, `${tag} reached a member`);
  assert.equal(server.runnerPid('in'), inPid, 'the in runner was not restarted');
});
