// VERP through the real server to a real SMTP sink: with [mta] verp_delivery_interval 1 each
// member's copy leaves in its own transaction from LIST-bounces+user=domain (the same bytes
// for all), mail to -owner goes to each owner that way, and a bounce sent back to one of
// those envelopes scores that member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';

const MEMBERS = ['anne@example.org', 'bart@example.org', 'cris@example.net'];
let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port, config: '[mta]\nverp_delivery_interval: 1\n' });
  await server.createList('ant@example.com', MEMBERS);
  for (const owner of ['own1@example.com', 'own2@example.com'])
    assert.equal(
      (await server.rest('POST', '/members', { list_id: 'ant.example.com', subscriber: owner, role: 'owner' })).status,
      201,
    );
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('every copy of a post has its own envelope, naming its member', async () => {
  const post = makePost({ from: 'anne@example.org', to: 'ant@example.com', subject: 'verp', messageId: '<v1@x>' });
  await sendLmtp(server.lmtpPort, 'anne@example.org', ['ant@example.com'], post);
  const copies = () => sink.received.filter((r) => r.msg.messageId === '<v1@x>');
  await sink.waitFor(() => copies().length === 3, 20_000, 'three copies');
  assert.deepEqual(
    copies()
      .map((r) => [r.to.join(), r.from])
      .sort(),
    [
      ['anne@example.org', 'ant-bounces+anne=example.org@example.com'],
      ['bart@example.org', 'ant-bounces+bart=example.org@example.com'],
      ['cris@example.net', 'ant-bounces+cris=example.net@example.com'],
    ],
  );
  assert.equal(new Set(copies().map((r) => r.raw.toString())).size, 1, 'the same bytes for all');
});

test('mail to -owner reaches each owner from its own VERP envelope', async () => {
  const mail = makePost({ from: 'x@example.net', to: 'ant-owner@example.com', subject: 'hi', messageId: '<o1@x>' });
  await sendLmtp(server.lmtpPort, 'x@example.net', ['ant-owner@example.com'], mail);
  const got = () => sink.received.filter((r) => r.msg.messageId === '<o1@x>');
  await sink.waitFor(() => got().length === 2, 20_000, 'both owners');
  assert.deepEqual(
    got()
      .map((r) => r.from)
      .sort(),
    ['ant-bounces+own1=example.com@example.com', 'ant-bounces+own2=example.com@example.com'],
  );
});

test('a bounce back to a VERP envelope scores that member', async () => {
  const dsn = readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'bounces', 'dsn-forwarded.eml'));
  await sendLmtp(server.lmtpPort, '', ['ant-bounces+cris=example.net@example.com'], dsn);
  await waitFor(
    async () => (await server.rest('GET', '/lists/ant.example.com/member/cris@example.net')).body.bounce_score === 1,
    'cris scored',
  );
});
