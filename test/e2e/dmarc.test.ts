// DMARC mitigation through the real server, its DNS answered by a stand-in nameserver on a
// loopback port ([dns] nameservers): nothing in the server process is replaced, so this is
// the path a site's own resolver takes. A post From: a domain publishing p=reject leaves with
// the list's address in From:; one from a domain with p=none leaves as it came; a lookup the
// nameserver fails mitigates, as Mailman does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { DnsServer } from '../helpers/dns-server.js';

let sink: SmtpSink;
let server: TestServer;
let dns: DnsServer;

before(async () => {
  dns = await new DnsServer({
    '_dmarc.strict.example': [['v=DMARC1; p=reject; rua=mailto:d@strict.example']],
    '_dmarc.relaxed.example': [['v=DMARC1; p=none']],
    '_dmarc.broken.example': 'SERVFAIL',
  }).start();
  sink = await new SmtpSink().start();
  server = await TestServer.start({
    smtpPort: sink.port,
    config: `[dns]\nnameservers: 127.0.0.1:${dns.port}\n[dmarc]\nresolver_timeout: 1s\nresolver_lifetime: 2s\n`,
  });
  await server.createList('dm@example.com', ['m1@example.org']);
  const r = await server.rest('PATCH', '/lists/dm.example.com/config', {
    dmarc_mitigate_action: 'munge_from',
    default_nonmember_action: 'accept',
  });
  assert.equal(r.status, 204, JSON.stringify(r.body));
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
  await dns?.close();
});

async function deliveredFrom(author: string, id: string): Promise<string> {
  const post = makePost({ from: author, to: 'dm@example.com', subject: `from ${author}`, messageId: id });
  await sendLmtp(server.lmtpPort, author, ['dm@example.com'], post);
  const got = () => sink.received.find((r) => r.msg.messageId === id);
  await sink.waitFor(() => got() !== undefined, 20_000, `the post ${id}`);
  return got()!.msg.get('from') ?? '';
}

test('p=reject at the From: domain: the copy leaves From: the list', async () => {
  const from = await deliveredFrom('anne@strict.example', '<d1@x>');
  assert.match(from, /dm@example\.com/);
  assert.doesNotMatch(from, /anne@strict\.example>?$/);
  assert.ok(dns.asked.includes('_dmarc.strict.example'), `asked: ${dns.asked.join(', ')}`);
});

test('p=none: the copy keeps its author', async () => {
  assert.match(await deliveredFrom('bob@relaxed.example', '<d2@x>'), /bob@relaxed\.example/);
});

test('a failing lookup mitigates', async () => {
  assert.match(await deliveredFrom('cy@broken.example', '<d3@x>'), /dm@example\.com/);
});
