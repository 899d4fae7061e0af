// issue 9 item 7, end to end: an address or text setting carrying a second header line
// ("a@b.c\r\nBcc: thief@...") is refused by REST and by `mailman listconf --set`, so a post
// that then goes through the real server reaches the members and nobody else, and no
// header of what the SMTP sink receives names the thief.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

let sink: SmtpSink;
let server: TestServer;
const MEMBERS = ['anne@example.org', 'bart@example.org'];
const THIEF = 'thief@evil.example';

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('ant@example.com', MEMBERS);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('an injected Bcc in list settings never reaches outgoing mail', async () => {
  const attempts: Record<string, string> = {
    reply_to_address: `talk@example.com\r\nBcc: ${THIEF}`,
    display_name: `Ant\r\nBcc: ${THIEF}`,
    description: `Ants\nBcc: ${THIEF}`,
    subject_prefix: `[Ant]\r\nBcc: ${THIEF} `,
  };
  for (const [key, value] of Object.entries(attempts)) {
    const res = await server.rest('PATCH', '/lists/ant.example.com/config', {
      [key]: value,
      reply_goes_to_list: 'explicit_header',
    });
    assert.equal(res.status, 400, `${key}: ${JSON.stringify(res.body)}`);
    assert.match(res.body.description, new RegExp(`Invalid Parameter "${key}"`));
  }
  // The CLI converts settings with the same table (one run: each start of the CLI is slow).
  const cli = await server.cli([
    'listconf',
    'ant@example.com',
    '--set',
    `reply_to_address=${attempts.reply_to_address}`,
  ]);
  assert.notEqual(cli.code, 0, 'listconf --set reply_to_address was accepted');
  assert.match(cli.stderr, /reply_to_address/);
  const settings = (await server.rest('GET', '/lists/ant.example.com/config')).body;
  for (const key of Object.keys(attempts)) assert.doesNotMatch(String(settings[key]), /thief/, key);

  // With an explicit Reply-To in force, a member's post goes to the members only.
  assert.equal(
    (
      await server.rest('PATCH', '/lists/ant.example.com/config', {
        reply_to_address: 'talk@example.com',
        reply_goes_to_list: 'explicit_header',
      })
    ).status,
    204,
  );
  const messageId = '<injection@example.org>';
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['ant@example.com'],
    makePost({ from: 'Anne <anne@example.org>', to: 'ant@example.com', subject: 'Hello ants', messageId }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  const isPost = (r: { msg: { messageId?: string } }) => r.msg.messageId === messageId;
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, isPost).length >= 1),
    20_000,
    'a copy for each member',
  );
  await barrierPost(server, sink); // a stray copy would be at the sink by now
  const posts = sink.received.filter(isPost);
  assert.deepEqual([...new Set(posts.flatMap((p) => p.to))].sort(), MEMBERS);
  for (const p of posts) {
    assert.equal(p.msg.get('reply-to'), 'talk@example.com');
    assert.equal(p.msg.get('bcc'), undefined);
    assert.doesNotMatch(p.raw.toString('latin1'), /thief/);
  }
  assert.deepEqual(sink.copiesFor(THIEF), []);
});
