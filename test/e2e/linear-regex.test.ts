// Admin regexes run on a linear-time engine (issue 9, item 2). Before, a chain's
// `/(a+)+$/` took 10 s on a Subject of 30 `a` and a `!`, and a header-match row `(a+)+$`
// 8.6 s on 27, while the `in` runner could do nothing else. Here such posts are handled as
// any other (each test's own timeout bounds "promptly"), the patterns still match what they
// should, and patterns that cannot compile are refused where they enter: REST answers 400
// with Mailman's {title, description}, the CLI exits non-zero, and nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;
const MEMBERS = ['anne@example.org', 'bart@example.org'];
let n = 0;

async function post(list: string, subject: string, extra: string[] = []): Promise<string> {
  const messageId = `<linear-${++n}@example.org>`;
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    [`${list}@example.com`],
    makePost({ from: 'anne@example.org', to: `${list}@example.com`, subject, messageId, extra }),
  );
  assert.deepEqual(res.accepted, [`${list}@example.com`]);
  return messageId;
}

const copies = (messageId: string) =>
  MEMBERS.reduce((sum, m) => sum + sink.copiesFor(m, (r) => r.msg.messageId === messageId).length, 0);

async function delivered(messageId: string): Promise<void> {
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, (r) => r.msg.messageId === messageId).length >= 1),
    20_000,
    `${messageId} to every member`,
  );
}

function refused(res: { status: number; body: { title?: string; description?: string } }, why: RegExp): void {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.title, '400 Bad Request');
  assert.match(String(res.body.description), why);
}

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  for (const list of ['ant', 'bee']) await server.createList(`${list}@example.com`, MEMBERS);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test(
  'a chain matching /(a+)+$/ and /(a|aa)+$/ handles 30 and 5,000 `a` and a `!` at once, and still matches',
  { timeout: 60_000 },
  async () => {
    const source = `chain slow-subject {
    if header "Subject" matches /(a+)+$/ then discard
    if header "X-Probe" matches /(a|aa)+$/ then hold "probe matched"
    jump default-posting-chain
}
`;
    const put = await server.rest('PUT', '/chains/slow-subject', { source });
    assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
    assert.equal(
      (await server.rest('PATCH', '/lists/ant.example.com/config', { posting_chain: 'slow-subject' })).status,
      204,
    );

    // Neither pattern matches these (they end in `!`): the posts go through to the members.
    const thirty = await post('ant', `${'a'.repeat(30)}!`, [`X-Probe: ${'a'.repeat(30)}!`]);
    const long = await post('ant', `${'a'.repeat(5000)}!`, [`X-Probe: ${'a'.repeat(5000)}!`]);
    await delivered(thirty);
    await delivered(long);

    // The patterns still do their job: one is held by the second link, one discarded by the first.
    const probe = await post('ant', 'hello', ['X-Probe: aaaa']);
    assert.match((await server.heldEntry('ant.example.com', probe)).reason, /probe matched/);
    const discarded = await post('ant', 'aaaa');
    const after = await post('ant', 'a later post');
    await delivered(after);
    assert.equal(copies(discarded), 0);
  },
);

test(
  'a header-match row (a+)+$ handles 27 `a` and a `!` at once, and holds a Subject it matches',
  { timeout: 60_000 },
  async () => {
    const add = await server.rest('POST', '/lists/bee.example.com/header-matches', {
      header: 'Subject',
      pattern: '(a+)+$',
      action: 'hold',
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const slow = await post('bee', `${'a'.repeat(27)}!`);
    const longer = await post('bee', `${'a'.repeat(5000)}!`);
    await delivered(slow);
    await delivered(longer);
    const caught = await post('bee', 'Re: AAAA');
    assert.ok(await server.heldEntry('bee.example.com', caught)); // searched ignoring case, as Mailman does
  },
);

test('REST refuses patterns that do not compile or need backtracking with 400, and stores nothing', async () => {
  const hm = '/lists/bee.example.com/header-matches';
  assert.equal((await server.rest('POST', hm, { header: 'X-Three', pattern: 'three' })).status, 201);
  const before = (await server.rest('GET', hm)).body;
  refused(
    await server.rest('POST', hm, { header: 'Subject', pattern: '[abc' }),
    /Invalid pattern \[abc: missing closing \]/,
  );
  refused(await server.rest('POST', hm, { header: 'Subject', pattern: '(spam)\\1' }), /back-references/);
  refused(await server.rest('POST', hm, { header: 'Subject', pattern: '^(?!re:)' }), /look-ahead/);
  refused(
    await server.rest('PATCH', `${hm}/${before.total_size - 1}`, { pattern: '(a' }),
    /Invalid pattern \(a: missing closing \)/,
  );
  assert.deepEqual((await server.rest('GET', hm)).body, before);

  refused(await server.rest('POST', '/bans', { email: '^(.*@spam' }), /Invalid ban pattern/);
  refused(
    await server.rest('POST', '/lists/bee.example.com/bans', { email: '^a(?<=b)' }),
    /look-ahead and look-behind/,
  );
  assert.equal((await server.rest('GET', '/bans')).body.total_size, 0);

  for (const key of [
    'accept_these_nonmembers',
    'hold_these_nonmembers',
    'reject_these_nonmembers',
    'discard_these_nonmembers',
    'acceptable_aliases',
  ]) {
    refused(
      await server.rest('PATCH', '/lists/bee.example.com/config', {
        [key]: ['someone@example.org', '^[a-z+@example\\.org'],
      }),
      new RegExp(`${key}: invalid regex`),
    );
  }
  refused(
    await server.rest('PATCH', '/lists/bee.example.com/config', { bounce_matching_headers: 'X-Spam: (yes' }),
    /bounce_matching_headers: invalid regex/,
  );
  // PUT of one attribute goes through the same check; a good pattern is taken.
  refused(
    await server.rest('PUT', '/lists/bee.example.com/config/hold_these_nonmembers', {
      hold_these_nonmembers: ['^(a|b'],
    }),
    /hold_these_nonmembers: invalid regex/,
  );
  assert.deepEqual(
    (await server.rest('GET', '/lists/bee.example.com/config/hold_these_nonmembers')).body.hold_these_nonmembers,
    [],
  );
  const put = await server.rest('PUT', '/lists/bee.example.com/config/hold_these_nonmembers', {
    hold_these_nonmembers: ['^.*@(spam|junk)\\.example$'],
  });
  assert.equal(put.status, 204, JSON.stringify(put.body));
  assert.deepEqual(
    (await server.rest('GET', '/lists/bee.example.com/config/hold_these_nonmembers')).body.hold_these_nonmembers,
    ['^.*@(spam|junk)\\.example$'],
  );

  // A chain whose constant string pattern does not compile is refused and not stored.
  const bad = await server.rest('PUT', '/chains/bad-pattern', {
    source: 'let p = "[abc"\nchain bad-pattern {\n    if header "Subject" matches p then discard\n    accept\n}\n',
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.match(JSON.stringify(bad.body), /MM405/);
  assert.equal((await server.rest('GET', '/chains/bad-pattern')).status, 404);
});

test('the CLI refuses a bad *_these_nonmembers pattern and changes nothing', async () => {
  const r = await server.cli(['listconf', 'bee@example.com', '--set', 'discard_these_nonmembers=^(oops']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /discard_these_nonmembers: invalid regex \^\(oops: missing closing \)/);
  assert.deepEqual(
    (await server.rest('GET', '/lists/bee.example.com/config/discard_these_nonmembers')).body.discard_these_nonmembers,
    [],
  );
});
