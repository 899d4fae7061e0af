// The ten policies of issue 15 (test/policies/, see its README) on the real server: each
// chain is PUT over REST and assigned to a list of its own, the address file and DNS are what
// a site would have, and every case is proven twice: by explain (what the chain would do, link
// by link, doing nothing) and by the post itself over LMTP (delivered at the SMTP sink, held,
// rejected with a notice naming the reason, or discarded without a trace).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dkimSign } from 'mailauth';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';
import { DnsServer } from '../helpers/dns-server.js';
import { barrierPost } from '../helpers/barrier.js';

const POLICIES = join(PACKAGE_ROOT, 'test', 'policies');
const WATCHER = 'watch@example.org';
const MEMBER = 'mem@example.org';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });

let sink: SmtpSink;
let server: TestServer;
let dns: DnsServer;
let sequence = 0;

before(async () => {
  dns = await new DnsServer({
    's1._domainkey.partner.example': [
      [`v=DKIM1; k=rsa; p=${key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
    ],
    '_dmarc.partner.example': [['v=DMARC1; p=reject']],
  }).start();
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port, config: `[dns]\nnameservers: 127.0.0.1:${dns.port}\n` });
  const chains = join(server.varDir, 'chains');
  mkdirSync(chains, { recursive: true });
  writeFileSync(join(chains, 'partners.txt'), readFileSync(join(POLICIES, 'partners.txt')));
  // Shared definitions have no REST resource: the site puts them beside its chains.
  writeFileSync(join(chains, 'site.rules'), readFileSync(join(POLICIES, 'site.rules')));
  for (const file of readdirSync(POLICIES).filter((f) => /\.(chain|pipeline)$/.test(f))) {
    const [name, kind] = file.split('.') as [string, string];
    const put = await server.rest('PUT', `/${kind}s/${name}`, { source: readFileSync(join(POLICIES, file), 'utf8') });
    assert.equal(put.status, 200, `${file}: ${JSON.stringify(put.body)}`);
  }
  await server.createList('staff@example.com', ['staffer@example.org']);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
  await dns?.close();
});

/** A list whose posts the named chain (or, for a pipeline, the default chain) decides. */
async function policyList(policy: string, roles: Record<string, string> = {}, setting = 'posting_chain') {
  const list = `${policy}@example.com`;
  await server.createList(list, [WATCHER, MEMBER]);
  for (const [email, role] of Object.entries(roles)) {
    const r = await server.rest('POST', '/members', { list_id: `${policy}.example.com`, subscriber: email, role });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const patch = await server.rest('PATCH', `/lists/${policy}.example.com/config`, {
    [setting]: policy,
    ...(setting === 'posting_pipeline' ? { default_member_action: 'accept' } : {}),
  });
  assert.equal(patch.status, 204, JSON.stringify(patch.body));
  return list;
}

type Outcome = 'accept' | 'hold' | 'reject' | 'discard';

/**
 * One case: explain says `want` (and its reason contains `reason`), then the post does it. The
 * message is built by makePost unless `raw` is given.
 */
async function prove(
  list: string,
  want: Outcome,
  post: { from: string; reason?: string; extra?: string[]; body?: string; raw?: (id: string) => Promise<string> },
) {
  const id = `<policy-${++sequence}@test.example>`;
  const raw = post.raw
    ? await post.raw(id)
    : makePost({
        from: post.from,
        to: list,
        subject: `case ${sequence}`,
        messageId: id,
        extra: post.extra,
        body: post.body,
      });
  const listId = list.replace('@', '.');
  // REST takes bodies up to 1 MB; a bigger message is explained by the CLI, from standard input.
  const explained =
    raw.length < 900_000
      ? await server.rest('POST', `/lists/${listId}/explain`, { message: raw })
      : { status: 200, body: JSON.parse((await server.cli(['explain', '--list', list, '--json', '-'], raw)).stdout) };
  assert.equal(explained.status, 200, JSON.stringify(explained.body));
  const what = `${list} case ${sequence} (${post.from})`;
  assert.equal(explained.body.disposition, want, `${what}: explain ${JSON.stringify(explained.body.reasons)}`);
  if (post.reason)
    assert.ok(
      explained.body.reasons.some((r: string) => r.includes(post.reason!)),
      what,
    );

  await sendLmtp(server.lmtpPort, post.from, [list], raw);
  if (want === 'accept') {
    await sink.waitFor(() => sink.copiesFor(WATCHER, (r) => r.msg.messageId === id).length === 1, 20_000, what);
  } else if (want === 'hold') {
    await server.waitUntil(
      async () =>
        ((await server.rest('GET', `/lists/${listId}/held`)).body.entries ?? []).some(
          (e: { message_id: string }) => e.message_id === id,
        ),
      20_000,
      `${what} held`,
    );
  } else if (want === 'reject') {
    const notice = () =>
      sink.received.find((r) => r.to.includes(post.from) && r.raw.toString('latin1').includes(post.reason ?? ''));
    await sink.waitFor(() => notice() !== undefined, 20_000, `${what}: the rejection notice`);
  }
  if (want !== 'accept') {
    await barrierPost(server, sink);
    assert.equal(sink.copiesFor(WATCHER, (r) => r.msg.messageId === id).length, 0, `${what}: no copy`);
  }
}

test('Sympa private: members, moderators and owners post; a stranger is rejected', async () => {
  const list = await policyList('private', { 'mod@example.org': 'moderator' });
  await prove(list, 'accept', { from: MEMBER });
  await prove(list, 'accept', { from: 'mod@example.org' });
  await prove(list, 'reject', { from: 'stranger@elsewhere.example', reason: 'Only members of this list' });
});

test('Sympa newsletter: the editors post; a member is discarded', async () => {
  const list = await policyList('newsletter', { 'ed@example.org': 'owner' });
  await prove(list, 'accept', { from: 'ed@example.org' });
  await prove(list, 'discard', { from: MEMBER, reason: 'editors only' });
});

test('Sieve spam rules: a flag and scores read as numbers', async () => {
  const list = await policyList('spam-scores');
  await prove(list, 'discard', { from: MEMBER, extra: ['X-Spam-Flag: YES'] });
  await prove(list, 'discard', { from: MEMBER, extra: ['X-Spam-Score: 12.5'], reason: '10 or more' });
  await prove(list, 'hold', { from: MEMBER, extra: ['X-Spam-Score: 7.5'], reason: 'over 5' });
  await prove(list, 'accept', { from: MEMBER, extra: ['X-Spam-Score: 3.2'] });
  await prove(list, 'accept', { from: MEMBER, extra: ['X-Spam-Score: not scored'] });
});

test('mail loops: more than 30 Received headers, our own X-Loop, or spam flagged (a rule shared with spam-scores)', async () => {
  const list = await policyList('mail-loops');
  const hops = (n: number) =>
    Array.from({ length: n }, (_, i) => `Received: from hop${i}.example by x; Mon, 7 Dec 2026`);
  await prove(list, 'discard', { from: MEMBER, extra: hops(31), reason: 'More than 30 hops' });
  await prove(list, 'accept', { from: MEMBER, extra: hops(3) });
  await prove(list, 'discard', { from: MEMBER, extra: ['X-Loop: loops@example.com'] });
  // The rule spam-scores uses, from the same site.rules.
  await prove(list, 'discard', { from: MEMBER, extra: ['X-Spam-Flag: YES'], reason: 'Flagged as spam' });
});

test('attachments: a program is rejected naming it, a part over 1 MB held, a small PDF accepted', async () => {
  const list = await policyList('attachments');
  const withPart = (type: string, name: string, bytes: number) => async (id: string) =>
    [
      `From: ${MEMBER}`,
      `To: ${list}`,
      'Subject: with an attachment',
      `Message-ID: ${id}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'See attached.',
      '--b',
      `Content-Type: ${type}; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.alloc(bytes, 7).toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b--',
      '',
    ].join('\r\n');
  await prove(list, 'reject', {
    from: MEMBER,
    raw: withPart('application/octet-stream', 'setup.exe', 2000),
    reason: 'Programs are not accepted here: setup.exe',
  });
  await prove(list, 'reject', { from: MEMBER, raw: withPart('application/x-msdownload', 'tool.bin', 2000) });
  await prove(list, 'hold', { from: MEMBER, raw: withPart('application/pdf', 'big.pdf', 1_200_000) });
  await prove(list, 'accept', { from: MEMBER, raw: withPart('application/pdf', 'small.pdf', 20_000) });
});

test('commands to the list: a short "unsubscribe" is held; a long post that mentions it is not', async () => {
  const list = await policyList('commands-to-list');
  await prove(list, 'hold', { from: MEMBER, body: 'Please unsubscribe me from this list.', reason: 'request sent' });
  await prove(list, 'accept', {
    from: MEMBER,
    body: `How to unsubscribe, at length:\r\n${'More words. '.repeat(500)}`,
  });
  await prove(list, 'accept', { from: MEMBER, body: 'Meeting at noon.' });
});

test('partners: DMARC-passing partner mail is accepted, unauthenticated partner mail held, others rejected', async () => {
  const list = await policyList('partners');
  const signed = (from: string) => async (id: string) => {
    const raw = makePost({ from, to: list, subject: 'from a partner', messageId: id });
    const { signatures } = await dkimSign(raw, {
      signatureData: [
        {
          signingDomain: 'partner.example',
          selector: 's1',
          privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      ],
    } as unknown as Parameters<typeof dkimSign>[1]);
    return signatures + raw;
  };
  await prove(list, 'accept', { from: 'pat@partner.example', raw: signed('pat@partner.example') });
  await prove(list, 'hold', { from: 'pat@partner.example', reason: 'does not pass DMARC' });
  await prove(list, 'reject', { from: 'someone@elsewhere.example', reason: 'partner organisations' });
});

test("staff announce: another list's members post; others held at weekends, rejected on weekdays", async () => {
  const list = await policyList('staff-announce');
  await prove(list, 'accept', { from: 'staffer@example.org' });
  const weekend = [0, 6].includes(new Date().getUTCDay());
  if (weekend) await prove(list, 'hold', { from: MEMBER, reason: 'wait for Monday' });
  else await prove(list, 'reject', { from: MEMBER, reason: 'Only staff announce here' });
});

test('members first: members accepted; nonmembers held, or rejected over 100 KB (a local rule)', async () => {
  const list = await policyList('members-first');
  await prove(list, 'accept', { from: MEMBER });
  await prove(list, 'hold', { from: 'new@elsewhere.example', reason: 'from a nonmember' });
  await prove(list, 'reject', {
    from: 'big@elsewhere.example',
    body: 'x'.repeat(120 * 1024).replace(/.{70}/g, '$&\r\n'),
    reason: 'limited to 100 KB',
  });
});

test('plain text: a pipeline derived from the default strips HTML and stamps the policy', async () => {
  const list = await policyList('plain-text', {}, 'posting_pipeline');
  const id = `<policy-${++sequence}@test.example>`;
  const raw = [
    `From: ${MEMBER}`,
    `To: ${list}`,
    'Subject: both kinds',
    `Message-ID: ${id}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset="us-ascii"',
    '',
    'Plain words.',
    '--alt',
    'Content-Type: text/html; charset="us-ascii"',
    '',
    '<p>HTML words.</p>',
    '--alt--',
    '',
  ].join('\r\n');
  await sendLmtp(server.lmtpPort, MEMBER, [list], raw);
  await sink.waitFor(() => sink.copiesFor(WATCHER, (r) => r.msg.messageId === id).length === 1, 20_000, 'the post');
  const [copy] = sink.copiesFor(WATCHER, (r) => r.msg.messageId === id);
  assert.equal(copy!.msg.get('x-policy'), 'plain text only');
  assert.doesNotMatch(copy!.raw.toString('latin1'), /text\/html|HTML words/);
  assert.match(copy!.raw.toString('latin1'), /Plain words\./);
  const shown = await server.rest('GET', '/pipelines/plain-text');
  assert.match(JSON.stringify(shown.body), /strip-parts/);
});
