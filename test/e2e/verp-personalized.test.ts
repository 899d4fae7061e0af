// Personalised delivery at roster size, through the real server to a real SMTP sink: with
// [mta] verp_personalized_deliveries and personalize individual, a post to 1000 members
// leaves as 1000 transactions, each to one member, from that member's own
// LIST-bounces+local=domain envelope, with a footer naming that member and nobody else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

const COUNT = 1000;
const MEMBERS = Array.from({ length: COUNT }, (_, i) => `member${i}@example.org`);
let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port, config: '[mta]\nverp_personalized_deliveries: yes\n' });
  await server.createList('big@example.com', MEMBERS);
  const res = await server.rest('PATCH', '/lists/big.example.com/config', {
    personalize: 'individual',
    member_regular_footer: '-- \nSent to $user_address (delivered to $user_delivered_to)\n',
  });
  assert.equal(res.status, 204, JSON.stringify(res.body));
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('each of 1000 members gets exactly one copy, with its own footer and its own VERP envelope', async () => {
  const messageId = '<roster-1000@example.org>';
  const post = makePost({ from: 'member0@example.org', to: 'big@example.com', subject: 'to all', messageId });
  await sendLmtp(server.lmtpPort, 'member0@example.org', ['big@example.com'], post);
  const copies = () => sink.received.filter((r) => r.msg.messageId === messageId);
  await sink.waitFor(() => copies().length >= COUNT, 120_000, `${COUNT} copies`);
  // Every copy is at the sink; once the out runner has let go of the message, none can follow.
  const outDir = join(server.varDir, 'queue', 'out');
  await server.waitUntil(() => readdirSync(outDir).length === 0, 60_000, 'the out queue to empty');

  const got = copies();
  assert.equal(got.length, COUNT, 'one transaction per member, no more');
  for (const r of got) assert.equal(r.to.length, 1, 'one recipient per transaction');
  assert.deepEqual(got.map((r) => r.to[0]).sort(), [...MEMBERS].sort(), 'every member once');
  for (const r of got) {
    const member = r.to[0];
    const [local, domain] = member.split('@');
    assert.equal(r.from, `big-bounces+${local}=${domain}@example.com`, member);
    assert.ok(
      r.msg.body.toString().endsWith(`-- \r\nSent to ${member} (delivered to ${member})\r\n`),
      `${member}'s footer: ${JSON.stringify(r.msg.body.toString().slice(-80))}`,
    );
  }
  assert.equal(new Set(got.map((r) => r.from)).size, COUNT, 'a distinct envelope per copy');
});
