// explain and graph against the real server: the CLI and REST explain a post link by link
// and change nothing (no held message, no nonmember, nothing queued, nothing sent); the
// graphs parse as Graphviz; REST and the CLI give the same trace and the same DOT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instance } from '@viz-js/viz';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';

let sink: SmtpSink;
let server: TestServer;
const auth = 'Basic ' + Buffer.from('restadmin:restpass').toString('base64');

const MEMBER_POST = makePost({
  from: 'Anne <anne@example.org>',
  to: 'ant@example.com',
  subject: 'Hello ants',
  messageId: '<explain-member@example.org>',
});
const MODERATED_POST = makePost({
  from: 'bart@example.org',
  to: 'ant@example.com',
  subject: 'Moderated',
  messageId: '<explain-moderated@example.org>',
});
const STRANGER_POST = makePost({
  from: 'stranger@example.net',
  to: 'ant@example.com',
  subject: 'Buy now',
  messageId: '<explain-stranger@example.net>',
});

function file(name: string, text: string): string {
  const path = join(server.dir, name);
  writeFileSync(path, text);
  return path;
}

async function restRaw(
  method: string,
  path: string,
  body?: string,
  type?: string,
): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${server.restPort}${path}`, {
    method,
    headers: { authorization: auth, ...(type ? { 'content-type': type } : {}) },
    body,
  });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** Every queue file under var/queue (claimed or not). */
function queued(): string[] {
  const root = join(server.varDir, 'queue');
  return readdirSync(root).flatMap((q) => readdirSync(join(root, q)).map((f) => `${q}/${f}`));
}

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await server.rest('POST', '/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
  for (const email of ['anne@example.org', 'bart@example.org']) {
    const res = await server.rest('POST', '/members', {
      list_id: 'ant.example.com',
      subscriber: email,
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
      send_welcome_message: false,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const bart = (await server.rest('GET', '/lists/ant.example.com/roster/member')).body.entries.find(
    (m: { email: string }) => m.email === 'bart@example.org',
  );
  assert.equal(
    (await server.rest('PATCH', bart.self_link.replace(/^.*\/3\.1/, ''), { moderation_action: 'hold' })).status,
    204,
  );
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('a member post: member-moderation misses, the post would be accepted and go through the pipeline', async () => {
  const res = await server.cli(['explain', '--list', 'ant@example.com', file('member.eml', MEMBER_POST)]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^default-posting-chain:\d+:\d+ +if member-moderation then jump moderation +-> miss$/m);
  assert.match(res.stdout, /^default-posting-chain:\d+:\d+ +if nonmember-moderation then jump moderation +-> miss$/m);
  assert.match(res.stdout, /^accept:\d+:\d+ +run accept-message +-> taken \(effect not run\)$/m);
  assert.match(res.stdout, /^decision: accept$/m);
  assert.match(res.stdout, /^reasons: \(none\)$/m);
  assert.match(res.stdout, /^header: X-Mailman-Rule-Misses: .*member-moderation; nonmember-moderation/m);
  assert.match(res.stdout, /^would run accept-message/m);
  assert.match(res.stdout, /^pipeline: default-posting-pipeline$/m);
});

test('a moderated member: member-moderation hits, with its reason, and the post would be held', async () => {
  const res = await server.cli([
    'explain',
    '--list',
    'ant.example.com',
    '--json',
    file('moderated.eml', MODERATED_POST),
  ]);
  assert.equal(res.code, 0, res.stderr);
  const trace = JSON.parse(res.stdout);
  assert.equal(trace.disposition, 'hold');
  const link = trace.links.find((l: { condition: string }) => l.condition === 'member-moderation');
  assert.equal(link.taken, true);
  assert.deepEqual(link.rules, [
    { name: 'member-moderation', hit: true, reasons: ['The message comes from a moderated member'] },
  ]);
  assert.deepEqual(link.recorded, { hits: ['member-moderation'], misses: [] });
  const jump = trace.links.find((l: { chain: string }) => l.chain === 'moderation');
  assert.equal(jump.target, 'hold');
  assert.equal(trace.stopped_in, 'hold');
  assert.equal(trace.pipeline, undefined, 'no pipeline for a held post');
});

test('a non-member post would be held for the nonmember reason; nothing is changed', async () => {
  const text = await server.cli(['explain', '--list', 'ant@example.com', '-'], STRANGER_POST);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^default-posting-chain:\d+:\d+ +if nonmember-moderation then jump moderation +-> hit$/m);
  assert.match(text.stdout, /^ +rule nonmember-moderation: hit \(The message is not from a list member\)$/m);
  assert.match(text.stdout, /^moderation:\d+:\d+ +jump to msgdata.member_moderation_action +-> taken, to hold$/m);
  assert.match(text.stdout, /^decision: hold$/m);
  assert.match(text.stdout, /^reasons: The message is not from a list member$/m);
  assert.match(text.stdout, /^header: X-Mailman-Rule-Hits: nonmember-moderation$/m);
  assert.match(text.stdout, /^would run hold-message/m);

  const json = await server.cli(['explain', '--list', 'ant@example.com', '--json', '-'], STRANGER_POST);
  const trace = JSON.parse(json.stdout);
  assert.equal(trace.version, 1);
  assert.equal(trace.list_id, 'ant.example.com');
  assert.equal(trace.message_id, '<explain-stranger@example.net>');
  assert.equal(trace.sender, 'stranger@example.net');
  assert.equal(trace.chain, 'default-posting-chain');
  assert.equal(trace.disposition, 'hold');
  assert.deepEqual(trace.reasons, ['The message is not from a list member']);
  assert.deepEqual(trace.rule_hits, ['nonmember-moderation']);
  assert.ok(trace.rule_misses.includes('member-moderation'));
  assert.deepEqual(trace.headers_added['X-Mailman-Rule-Hits'], 'nonmember-moderation');
  for (const l of trace.links) {
    assert.match(l.at, /^\d+:\d+$/);
    assert.ok(l.file.endsWith(`${l.chain}.chain`), l.file);
    assert.ok(l.source_text.length > 0);
  }

  // Nothing happened. Once a barrier post has been through, anything the explanations had
  // queued would have been handled before it.
  const barrier = await barrierPost(server, sink);
  assert.deepEqual(queued(), [], 'nothing in any queue, shunt and bad included');
  assert.deepEqual(
    sink.received.map((r) => r.msg.messageId),
    sink.received.map(() => barrier),
    'the sink got the barrier post only: no notice, no hold message, no explained post',
  );
  assert.equal((await server.rest('GET', '/lists/ant.example.com/held')).body.total_size, 0);
  assert.equal(
    (await server.rest('GET', '/lists/ant.example.com/roster/nonmember')).body.total_size,
    0,
    'the stranger is not registered as a nonmember',
  );
});

/** REST's trace is the CLI's, with the http_etag every REST answer has. */
function withoutEtag({ http_etag, ...rest }: Record<string, unknown>): Record<string, unknown> {
  assert.match(String(http_etag), /^"[0-9a-f]{40}"$/);
  return rest;
}

test('REST explain gives the CLI trace, for a JSON, form or message/rfc822 body', async () => {
  const cli = JSON.parse(
    (await server.cli(['explain', '--list', 'ant@example.com', '--json', file('stranger.eml', STRANGER_POST)])).stdout,
  );
  const json = await server.rest('POST', '/lists/ant.example.com/explain', { message: STRANGER_POST });
  assert.equal(json.status, 200, JSON.stringify(json.body));
  assert.deepEqual(withoutEtag(json.body), cli);

  const form = await restRaw(
    'POST',
    '/3.1/lists/ant@example.com/explain',
    new URLSearchParams({ message: MEMBER_POST, chain: 'default-posting-chain' }).toString(),
    'application/x-www-form-urlencoded',
  );
  assert.equal(form.status, 200, form.text);
  const memberCli = JSON.parse(
    (
      await server.cli([
        'explain',
        '--list',
        'ant@example.com',
        '--json',
        '--chain',
        'default-posting-chain',
        file('member.eml', MEMBER_POST),
      ])
    ).stdout,
  );
  assert.deepEqual(withoutEtag(JSON.parse(form.text)), memberCli);

  const raw = await restRaw(
    'POST',
    '/3.1/lists/ant.example.com/explain?chain=default-posting-chain',
    MODERATED_POST,
    'message/rfc822',
  );
  assert.equal(raw.status, 200, raw.text);
  assert.equal(JSON.parse(raw.text).disposition, 'hold');

  // Another start chain, given by name: accept straight away.
  const accept = await server.rest('POST', '/lists/ant.example.com/explain', {
    message: STRANGER_POST,
    chain: 'accept',
  });
  assert.equal(accept.body.disposition, 'accept');
  assert.deepEqual(
    accept.body.links.map((l: { chain: string }) => l.chain),
    ['accept', 'accept'],
  );
});

test('REST explain: 400 without a message or with an unknown chain, 404 for an unknown list', async () => {
  const missing = await server.rest('POST', '/lists/ant.example.com/explain', { chain: 'accept' });
  assert.equal(missing.status, 400);
  assert.match(missing.body.description, /no message/);
  const badChain = await server.rest('POST', '/lists/ant.example.com/explain', {
    message: MEMBER_POST,
    chain: 'no-such-chain',
  });
  assert.equal(badChain.status, 400);
  assert.match(badChain.body.description, /chain 'no-such-chain' does not exist/);
  const malformed = await server.rest('POST', '/lists/ant.example.com/explain', { message: 'not a header\n\nbody\n' });
  assert.equal(malformed.status, 400);
  assert.match(malformed.body.description, /malformed/);
  const unknown = await server.rest('POST', '/lists/nope.example.com/explain', { message: MEMBER_POST });
  assert.equal(unknown.status, 404);
});

test('CLI explain: an unknown list is exit 1, an unreadable file exit 2', async () => {
  const unknown = await server.cli(['explain', '--list', 'nope@example.com', file('m.eml', MEMBER_POST)]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No such list: nope@example\.com/);
  const unreadable = await server.cli(['explain', '--list', 'ant@example.com', join(server.dir, 'no-such-file.eml')]);
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /cannot read .*no-such-file\.eml/);
  const badChain = await server.cli([
    'explain',
    '--list',
    'ant@example.com',
    '--chain',
    'nope',
    file('m.eml', MEMBER_POST),
  ]);
  assert.equal(badChain.code, 1);
  assert.match(badChain.stderr, /chain 'nope' does not exist/);
});

const SITE_CHAIN = `# A site chain with inline tests, a rule of its own and an effect mid-chain.
rule flagged "The subject sounds like spam" = header "Subject" matches /buy now/i
chain explain-sample "Exercises explain" {
    if list.emergency then hold
    if flagged then run discard-message
    if flagged and sender.domain is "example.net" then reject "Go away #1, {sender}"   # strangers
    accept
}
`;

test('a site chain: values read by tests, a file rule recorded, reasons interpolated, effects reported in order', async () => {
  const dir = join(server.varDir, 'chains');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'explain-sample.chain'), SITE_CHAIN);
  const res = await server.cli([
    'explain',
    '--list',
    'ant@example.com',
    '--chain',
    'explain-sample',
    '--json',
    file('stranger2.eml', STRANGER_POST),
  ]);
  assert.equal(res.code, 0, res.stderr);
  const t = JSON.parse(res.stdout);
  assert.deepEqual(
    t.links.map((l: { chain: string; at: string; taken: boolean }) => [l.chain, l.taken]),
    [
      ['explain-sample', false],
      ['explain-sample', true],
      ['explain-sample', true],
      ['reject', true],
      ['reject', true],
    ],
  );
  assert.deepEqual(
    t.links.slice(0, 3).map((l: { at: string }) => l.at),
    ['4:5', '5:5', '6:5'],
  );
  const [emergency, flagged, both] = t.links;
  assert.equal(emergency.file, join(dir, 'explain-sample.chain'));
  assert.equal(emergency.source_text, 'if list.emergency then hold');
  assert.deepEqual(emergency.tests, [{ test: 'list.emergency', left: false, hit: false }]);
  assert.deepEqual(flagged.recorded, { hits: ['flagged'], misses: [] });
  assert.deepEqual(flagged.tests, [{ test: 'header "Subject" matches /buy now/i', left: ['Buy now'], hit: true }]);
  assert.match(flagged.effect, /^would run discard-message/);
  assert.equal(both.condition, 'flagged and sender.domain is "example.net"');
  assert.equal(both.source_text, 'if flagged and sender.domain is "example.net" then reject "Go away #1, {sender}"');
  assert.deepEqual(both.tests[1], { test: 'sender.domain is "example.net"', left: 'example.net', hit: true });
  assert.equal(t.links[3].chain, 'reject');
  assert.equal(t.disposition, 'reject');
  assert.deepEqual(t.reasons, ['Go away #1, stranger@example.net']);
  assert.deepEqual(t.rule_hits, ['flagged', 'flagged']);
  assert.deepEqual(
    t.effects.map((e: string) => e.split(':')[0]),
    ['would run discard-message', 'would run reject-message'],
  );

  const text = await server.cli([
    'explain',
    '--list',
    'ant@example.com',
    '--chain',
    'explain-sample',
    file('stranger2.eml', STRANGER_POST),
  ]);
  assert.match(text.stdout, /^ +header "Subject" matches \/buy now\/i: read \["Buy now"\] -> true$/m);
  assert.match(text.stdout, /^ +sender\.domain is "example\.net": read "example\.net" -> true$/m);
  assert.match(text.stdout, /^decision: reject$/m);
  assert.equal((await server.rest('GET', '/lists/ant.example.com/roster/nonmember')).body.total_size, 0);
});

test('mailman graph: DOT that Graphviz reads, SVG, a file, and the same DOT over REST', async () => {
  const viz = await instance();
  const dot = await server.cli(['graph', 'default-posting-chain']);
  assert.equal(dot.code, 0, dot.stderr);
  const laid = viz.renderJSON(dot.stdout) as { objects: { label: string }[]; edges: unknown[] };
  assert.ok(laid.objects.some((o) => o.label.includes('if member-moderation then jump moderation')));
  assert.ok(laid.edges.length >= laid.objects.length - 1);

  const svg = await server.cli(['graph', 'default-posting-pipeline', '--format', 'svg']);
  assert.equal(svg.code, 0, svg.stderr);
  assert.match(svg.stdout, /^(<\?xml |<svg)/);
  const out = join(server.dir, 'moderation.dot');
  assert.equal((await server.cli(['graph', 'moderation', '--kind', 'chain', '--out', out])).code, 0);
  assert.match(readFileSync(out, 'utf8'), /^digraph "moderation" \{/);
  const ir = await server.cli(['graph', 'default-posting-chain', '--json']);
  assert.equal(ir.code, 0, ir.stderr);
  const parsed = JSON.parse(ir.stdout);
  assert.equal(parsed.kind, 'chain');
  assert.equal(parsed.name, 'default-posting-chain');
  const none = await server.cli(['graph', 'no-such-chain']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no chain or pipeline named 'no-such-chain'/);

  const rest = await restRaw('GET', '/3.1/chains/default-posting-chain/graph');
  assert.equal(rest.status, 200);
  assert.match(rest.type ?? '', /^text\/vnd\.graphviz/);
  assert.equal(rest.text, dot.stdout);
  const restSvg = await restRaw('GET', '/3.1/pipelines/default-posting-pipeline/graph?format=svg');
  assert.equal(restSvg.status, 200);
  assert.match(restSvg.type ?? '', /^image\/svg\+xml/);
  assert.equal(restSvg.text, svg.stdout);
  assert.equal((await restRaw('GET', '/3.1/chains/no-such-chain/graph')).status, 404);
  assert.equal((await restRaw('GET', '/3.1/pipelines/default-posting-chain/graph')).status, 404);
  assert.equal((await restRaw('GET', '/3.1/chains/moderation/graph?format=png')).status, 400);
});

// issue 9 item 6: the header filters run inside a `for` loop of the header-match chain; explain
// used to look for their links only at the chain's top level and answered 500 (reading 'when').
test('explain with a list header filter: every filter row is a link of the trace, over REST and the CLI', async () => {
  assert.equal((await server.rest('POST', '/lists', { fqdn_listname: 'bee@example.com' })).status, 201);
  const row = await server.rest('POST', '/lists/bee.example.com/header-matches', {
    header: 'Subject',
    pattern: 'buy now',
    action: 'discard',
  });
  assert.equal(row.status, 201, JSON.stringify(row.body));
  assert.equal(
    (await server.rest('POST', '/lists/bee.example.com/header-matches', { header: 'X-Spam', pattern: 'yes' })).status,
    201,
  );

  const res = await server.rest('POST', '/lists/bee.example.com/explain', {
    message: STRANGER_POST.replace('To: ant@', 'To: bee@'),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const inLoop = res.body.links.filter(
    (l: { chain: string; row?: number }) => l.chain === 'header-match' && l.row !== undefined,
  );
  assert.deepEqual(
    inLoop.map((l: { row: number; taken: boolean }) => [l.row, l.taken]),
    [[0, true]],
    'the first row matches "Buy now" and jumps; the second is never reached',
  );
  assert.deepEqual(
    inLoop[0].rules.map((r: { name: string; hit: boolean }) => [r.name, r.hit]),
    [['header-match', true]],
  );
  assert.equal(inLoop[0].target, 'discard');
  assert.equal(res.body.disposition, 'discard');

  const cli = await server.cli([
    'explain',
    '--list',
    'bee@example.com',
    '--json',
    file('bee.eml', STRANGER_POST.replace('To: ant@', 'To: bee@')),
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout), withoutEtag(res.body));
});

// The constructs of issue 15 on real messages, through the server's own catalog and CLI: a
// parts loop over a multipart message, a header read as a number, `else` with a block.
const POLICY_CHAIN = `# Attachments, spam scores and a block with else.
chain explain-policy "Refuse programs, hold spam" {
    for part in message.parts {
        if part.type is "application/x-msdownload" or part.size > 1MB or part.filename ends with ".exe"
            then reject "Attachments like {part.filename} are not accepted"
    }
    if header "X-Spam-Score" as number > 5 then {
        hold "Spam score over 5"
    } else accept
}
`;

function scored(score: string, id: string): string {
  return makePost({
    from: 'anne@example.org',
    to: 'ant@example.com',
    subject: `Score ${score}`,
    messageId: `<${id}@example.org>`,
    extra: [`X-Spam-Score: ${score}`],
  });
}

const EXE_POST = [
  'From: anne@example.org',
  'To: ant@example.com',
  'Subject: The installer',
  'Message-ID: <explain-exe@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Here it is.',
  '--b1',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  "Content-Disposition: attachment; filename*=utf-8''setup%20tool.exe",
  '',
  Buffer.from('MZ not really a program').toString('base64'),
  '--b1--',
  '',
].join('\r\n');

test('a parts loop rejects an .exe attachment; a spam score of 7.5 is held, 3.2 accepted by the else', async () => {
  const dir = join(server.varDir, 'chains');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'explain-policy.chain'), POLICY_CHAIN);
  const explain = async (name: string, message: string) => {
    const args = ['explain', '--list', 'ant@example.com', '--chain', 'explain-policy', '--json'];
    const res = await server.cli([...args, file(name, message)]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };

  const exe = await explain('exe.eml', EXE_POST);
  assert.equal(exe.disposition, 'reject');
  assert.deepEqual(exe.reasons, ['Attachments like setup tool.exe are not accepted']);
  const rows = exe.links.filter((l: { row?: number }) => l.row !== undefined);
  assert.deepEqual(
    rows.map((l: { row: number; taken: boolean }) => [l.row, l.taken]),
    [
      [0, false],
      [1, true],
    ],
  );
  assert.deepEqual(rows[1].tests.at(-1), {
    test: 'part.filename ends with ".exe"',
    left: 'setup tool.exe',
    hit: true,
  });

  const spam = await explain('spam.eml', scored('7.5', 'explain-spam'));
  assert.equal(spam.disposition, 'hold');
  const scoreLink = spam.links.find((l: { at: string }) => l.at === '7:5');
  assert.equal(scoreLink.branch, 'then');
  assert.deepEqual(scoreLink.tests, [{ test: 'header "X-Spam-Score" as number > 5', left: [7.5], hit: true }]);
  assert.deepEqual(spam.reasons, ['Spam score over 5']);

  const ham = await explain('ham.eml', scored('3.2', 'explain-ham'));
  assert.equal(ham.disposition, 'accept');
  const hamLink = ham.links.find((l: { at: string }) => l.at === '7:5');
  assert.equal(hamLink.taken, false);
  assert.equal(hamLink.branch, 'else');
  assert.equal(hamLink.action, 'accept');

  const text = await server.cli([
    'explain',
    '--list',
    'ant@example.com',
    '--chain',
    'explain-policy',
    file('ham.eml', scored('3.2', 'explain-ham')),
  ]);
  assert.match(text.stdout, /-> miss, else accept$/m);
  assert.match(text.stdout, /^decision: accept$/m);
});
