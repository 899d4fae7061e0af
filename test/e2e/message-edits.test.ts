// The pipeline handlers that edit a post (add-header, remove-header, strip-parts), in a site
// pipeline PUT over REST and assigned to a list, through the real server to a real SMTP sink:
// the header is added, the spam report taken off, the HTML alternative taken out with the
// plain part left byte for byte; a pipeline naming a header it may not touch is refused with
// its diagnostic and the list keeps its working one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp } from '../helpers/lmtp-client.js';

const LIST = 'edit.example.com';
let sink: SmtpSink;
let server: TestServer;

/** The default posting pipeline's steps with the edits before to-outgoing. */
const PIPELINE = `pipeline edited "The default, with edits" {
    mime-delete
    member-recipients
    avoid-duplicates
    cleanse
    cleanse-dkim
    cook-headers
    subject-prefix
    rfc-2369
    add-header(name: "X-Policy", value: "members only; see https://example.com/policy")
    remove-header(name: "X-Spam-Report")
    strip-parts(types: ["text/html"])
    to-outgoing
}
`;

const PLAIN = 'Hello all,\r\n\r\nthe plain text, kept as it came =E2=80=94 byte for byte.\r\n';
const POST = [
  'From: Anne Person <anne@example.org>',
  'To: edit@example.com',
  'Subject: edited',
  'Message-ID: <edit-1@example.org>',
  'X-Spam-Report: long and noisy',
  'X-Spam-Report: and a second one',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset="utf-8"',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  PLAIN.replace(/\r\n$/, ''),
  '--alt',
  'Content-Type: text/html; charset="utf-8"',
  '',
  '<p>Hello all,</p><p>the <b>HTML</b> text</p>',
  '--alt--',
  '',
].join('\r\n');

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('edit@example.com', ['bob@example.net']);
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { default_nonmember_action: 'accept' });
  assert.equal(patch.status, 204, JSON.stringify(patch.body));
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('a site pipeline adds a header, removes one and strips the HTML part', async () => {
  const put = await server.rest('PUT', '/pipelines/edited', { source: PIPELINE });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { posting_pipeline: 'edited' });
  assert.equal(patch.status, 204, JSON.stringify(patch.body));

  await sendLmtp(server.lmtpPort, 'anne@example.org', ['edit@example.com'], Buffer.from(POST));
  const got = () => sink.received.find((r) => r.msg.messageId === '<edit-1@example.org>');
  await sink.waitFor(() => got() !== undefined, 20_000, 'the edited post');
  const { msg } = got()!;
  assert.deepEqual(msg.getAll('x-policy'), ['members only; see https://example.com/policy']);
  assert.deepEqual(msg.getAll('x-spam-report'), []);
  assert.equal(msg.get('list-id'), '<edit.example.com>');
  // The alternative collapsed to its plain part: that part's headers and bytes, as sent.
  assert.match(msg.get('content-type') ?? '', /^text\/plain; charset="utf-8"/);
  assert.equal(msg.get('content-transfer-encoding'), 'quoted-printable');
  // (the list's footer follows, added to each copy as it leaves)
  assert.ok(msg.body.toString('latin1').startsWith(PLAIN), msg.body.toString('latin1'));
  assert.doesNotMatch(msg.toBuffer().toString('latin1'), /HTML|text\/html/);
});

test('a pipeline editing a header it may not touch is refused with MM403, the list keeps its own', async () => {
  for (const [step, why] of [
    ['add-header(name: "From", value: "x@example.com")', /at most one From/],
    ['add-header(name: "X-Bad", value: "two\\nlines")', /one line/],
    ['add-header(name: "X Bad", value: "v")', /not a header name/],
    ['remove-header(name: "Content-Type")', /MIME structure/],
    ['strip-parts(types: ["multipart/mixed"])', /holds other parts/],
  ] as const) {
    const source = `pipeline edited "x" {\n    ${step}\n    to-outgoing\n}\n`;
    const put = await server.rest('PUT', '/pipelines/edited', { source });
    assert.equal(put.status, 400, `${step}: ${JSON.stringify(put.body)}`);
    const [d] = put.body.diagnostics as { code: string; message: string; line: number }[];
    assert.equal(d!.code, 'MM403', step);
    assert.match(d!.message, why, step);
    assert.equal(d!.line, 2, step);
  }
  // The working pipeline is still the one in force.
  const now = await server.rest('GET', '/pipelines/edited');
  assert.match(JSON.stringify(now.body), /X-Policy/);
});
