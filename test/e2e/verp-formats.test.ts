// A site's own VERP shape ([mta] verp_format, verp_regexp) through the real server: each copy
// leaves from the envelope the format builds, and a bounce sent back to one of them is read
// by the regexp and scores that member.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';

let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: [
      '[mta]',
      'verp_delivery_interval: 1',
      'verp_format: ${bounces}+${domain}-at-${local}',
      'verp_regexp: ^(?P<bounces>[^+]+)\\+(?P<domain>[^@]+)-at-(?P<local>[^@]+)@',
      '',
    ].join('\n'),
  });
  await server.createList('fmt@example.com', ['anne@example.org', 'bart@example.net']);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('copies leave from the configured shape, and a bounce to one is read back', async () => {
  const post = makePost({ from: 'anne@example.org', to: 'fmt@example.com', subject: 'shape', messageId: '<f1@x>' });
  await sendLmtp(server.lmtpPort, 'anne@example.org', ['fmt@example.com'], post);
  const copies = () => sink.received.filter((r) => r.msg.messageId === '<f1@x>');
  await sink.waitFor(() => copies().length === 2, 20_000, 'two copies');
  assert.deepEqual(
    copies()
      .map((r) => r.from)
      .sort(),
    ['fmt-bounces+example.net-at-bart@example.com', 'fmt-bounces+example.org-at-anne@example.com'],
  );
  const dsn = readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'bounces', 'dsn-forwarded.eml'));
  await sendLmtp(server.lmtpPort, '', ['fmt-bounces+example.net-at-bart@example.com'], dsn);
  await waitFor(
    async () => (await server.rest('GET', '/lists/fmt.example.com/member/bart@example.net')).body.bounce_score === 1,
    'bart scored',
  );
  assert.equal((await server.rest('GET', '/lists/fmt.example.com/member/anne@example.org')).body.bounce_score, 0);
});
