// Email commands against the real server: mail in over LMTP to -join, -leave, -request and
// -confirm+TOKEN, and what the server sends back (confirmations, welcomes, goodbyes, "The
// results of your email commands", posts a moderator accepted by mail) read at the SMTP sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { LmtpSession } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';
import { plainText } from '../helpers/mime-text.js';
import { Message } from '../../src/email/message.js';

let sink: SmtpSink;
let server: TestServer;
let lmtp: LmtpSession;
const LIST = 'cmd.example.com';
const OWNER = 'boss@example.com';
/** A member from the start, with regular delivery. */
const REG = 'reg@example.org';
const RESULTS = 'The results of your email commands';
const CONFIRM_FROM = /^cmd-confirm\+([0-9a-f]{40})@example\.com$/;
let sequence = 0;

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('cmd@example.com', [REG]);
  const owner = await server.rest('POST', '/members', {
    list_id: LIST,
    subscriber: OWNER,
    role: 'owner',
    pre_verified: true,
    pre_confirmed: true,
    pre_approved: true,
  });
  assert.equal(owner.status, 201, JSON.stringify(owner.body));
  lmtp = await LmtpSession.open(server.lmtpPort);
});

after(async () => {
  lmtp?.close();
  await server?.cleanup();
  await sink?.close();
});

interface Mail {
  from: string;
  to: string;
  subject?: string;
  body?: string;
  headers?: string[];
  messageId?: string;
}

/** Sends one message over LMTP and checks that it was queued. */
async function send(m: Mail): Promise<string> {
  const messageId = m.messageId ?? `<cmd-${process.pid}-${++sequence}@example.org>`;
  const raw = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    ...(m.subject !== undefined ? [`Subject: ${m.subject}`] : []),
    `Message-ID: ${messageId}`,
    'Date: Wed, 25 Nov 2026 12:00:00 +0000',
    ...(m.headers ?? ['MIME-Version: 1.0', 'Content-Type: text/plain; charset="us-ascii"']),
    '',
    m.body ?? '',
    '',
  ].join('\r\n');
  const envelope = /<([^>]+)>/.exec(m.from)?.[1] ?? m.from;
  const res = await lmtp.send(envelope, [m.to], raw);
  assert.deepEqual(res.accepted, [m.to], JSON.stringify(res.responses));
  return messageId;
}

const isResults = (r: Received) => r.msg.get('subject') === RESULTS;
const subjectIs = (subject: string) => (r: Received) => r.msg.get('subject') === subject;

/** The n-th (1-based) results reply to `email`, once it is at the sink. */
async function nthResults(email: string, n: number): Promise<{ text: string; received: Received }> {
  await sink.waitFor(() => sink.copiesFor(email, isResults).length >= n, 20_000, `results reply ${n} to ${email}`);
  const received = sink.copiesFor(email, isResults)[n - 1];
  return { text: plainText(received.raw), received };
}

/** The sections of a results reply: the text after each "- Name:" heading up to the next. */
function section(text: string, name: string): string[] | undefined {
  const lines = text.split(/\r?\n/);
  const start = lines.indexOf(`- ${name}:`);
  if (start < 0) return undefined;
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^- [A-Z][a-z]+[:.]$/.test(line)) break;
    if (line !== '') out.push(line);
  }
  return out;
}

/** Waits for the n-th confirmation request to `email` and returns its token. */
async function nthConfirmation(email: string, n: number): Promise<string> {
  const isConfirmation = (r: Received) => /^confirm [0-9a-f]{40}$/.test(r.msg.get('subject') ?? '');
  await sink.waitFor(() => sink.copiesFor(email, isConfirmation).length >= n, 20_000, `confirmation ${n} to ${email}`);
  const mail = sink.copiesFor(email, isConfirmation)[n - 1];
  const from = mail.msg.addresses('from')[0]?.email ?? '';
  const token = CONFIRM_FROM.exec(from)?.[1];
  assert.ok(token, `the confirmation comes from the -confirm+TOKEN address, not ${from}`);
  assert.equal(mail.msg.get('subject'), `confirm ${token}`);
  assert.equal(mail.msg.get('auto-submitted'), 'auto-generated');
  return token;
}

async function isMember(email: string): Promise<boolean> {
  return (await server.rest('GET', `/lists/${LIST}/member/${email}`)).status === 200;
}

/** Until the server has finished with everything given to it so far. */
const quiet = () => barrierPost(server, sink);

test('join by mail to -join: confirmation from -confirm+TOKEN, a reply to it, membership and welcome', async () => {
  const jo = 'jo@example.org';
  await send({ from: `Jo Ann <${jo}>`, to: 'cmd-join@example.com', subject: 'let me in' });
  const token = await nthConfirmation(jo, 1);
  assert.equal(await isMember(jo), false);
  await send({ from: jo, to: `cmd-confirm+${token}@example.com`, subject: `Re: confirm ${token}` });
  await sink.waitFor(() => sink.copiesFor(jo, subjectIs('Welcome to the "Cmd" mailing list')).length === 1);
  assert.equal(await isMember(jo), true);
  const member = (await server.rest('GET', `/lists/${LIST}/member/${jo}`)).body;
  assert.equal(member.display_name, 'Jo Ann');
  await quiet();
  // The implicit commands succeeded: nothing to report.
  assert.equal(sink.copiesFor(jo, isResults).length, 0);
});

test('subscribe in the body to -request, then "Re: confirm TOKEN" to -request with a quoted reply', async () => {
  const sue = 'sue@example.org';
  await send({ from: sue, to: 'cmd-request@example.com', body: 'subscribe digest=mime\n' });
  const first = await nthResults(sue, 1);
  assert.equal(first.received.msg.addresses('from')[0].email, 'cmd-bounces@example.com');
  assert.deepEqual(section(first.text, 'Results'), [
    '> subscribe digest=mime',
    'Confirmation email sent to sue@example.org',
  ]);
  assert.match(first.text, /^- Done\.$/m);
  const token = await nthConfirmation(sue, 1);
  const reply = await send({
    from: sue,
    to: 'cmd-request@example.com',
    subject: `Re: confirm ${token}`,
    body: ['> Somebody asked to subscribe you.', `> confirm ${token}`, '>', '> Thanks'].join('\n'),
  });
  await sink.waitFor(() => sink.copiesFor(sue, subjectIs('Welcome to the "Cmd" mailing list')).length === 1);
  const second = await nthResults(sue, 2);
  assert.deepEqual(section(second.text, 'Results'), [`> Re: confirm ${token}`, 'Confirmed']);
  assert.equal(section(second.text, 'Unprocessed'), undefined, 'quoted lines are not commands');
  assert.equal(second.received.msg.get('in-reply-to'), reply);
  const member = (await server.rest('GET', `/lists/${LIST}/member/${sue}`)).body;
  assert.equal(member.delivery_mode, 'mime_digests');
});

test('leave by mail to -leave, with a confirmation; the goodbye arrives', async () => {
  const jo = 'jo@example.org';
  assert.equal(await isMember(jo), true);
  await send({ from: jo, to: 'cmd-leave@example.com', subject: 'bye' });
  const token = await nthConfirmation(jo, 2);
  assert.equal(await isMember(jo), true, 'not before the confirmation');
  await send({ from: jo, to: `cmd-confirm+${token}@example.com`, subject: `Re: confirm ${token}` });
  await sink.waitFor(
    () => sink.copiesFor(jo, subjectIs('You have been unsubscribed from the Cmd mailing list')).length === 1,
  );
  assert.equal(await isMember(jo), false);
  // Leaving again: not a member, which the implicit command does report.
  await send({ from: jo, to: 'cmd-leave@example.com', subject: 'bye again' });
  const refused = await nthResults(jo, 1);
  assert.deepEqual(section(refused.text, 'Results'), ['> leave', 'jo@example.org is not a member of cmd@example.com']);
});

test('help, echo and end: the lines after end are unprocessed; non-text parts are noted', async () => {
  const ann = 'ann@example.net';
  const boundary = 'b0undary';
  await send({
    from: ann,
    to: 'cmd-request@example.com',
    subject: 'help',
    headers: ['MIME-Version: 1.0', `Content-Type: multipart/alternative; boundary="${boundary}"`],
    body: [
      `--${boundary}`,
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'help join',
      'echo Hello   World',
      'end',
      'who',
      'echo never',
      `--${boundary}`,
      'Content-Type: text/html; charset=us-ascii',
      '',
      '<p>help</p>',
      `--${boundary}--`,
    ].join('\r\n'),
  });
  const { text } = await nthResults(ann, 1);
  const results = section(text, 'Results')!;
  assert.equal(results[0], 'Ignoring non-text/plain MIME parts');
  assert.equal(results[1], '> help');
  for (const name of ['confirm', 'echo', 'end', 'help', 'join', 'leave', 'who'])
    assert.ok(
      results.some((l) => l.startsWith(`${name}`)),
      `help lists ${name}`,
    );
  assert.ok(results.some((l) => /^join .*\(also: subscribe\)$/.test(l)));
  const joinHelp = results.indexOf('> help join');
  assert.equal(results[joinHelp + 1], 'join [digest=no|mime|plain] [address=you@example.org]');
  assert.ok(results.includes('> echo Hello   World'));
  assert.ok(results.includes('echo hello world'), 'words lower-cased, one space apart');
  assert.equal(results.at(-1), '> end');
  assert.deepEqual(section(text, 'Unprocessed'), ['who', 'echo never']);
  assert.equal(section(text, 'Ignored'), undefined);
});

test('an unknown command, "Re:" before a command, and lines past email_commands_max_lines', async () => {
  const bob = 'bob@example.net';
  const echoes = Array.from({ length: 11 }, (_, i) => `echo line ${i + 1}`);
  await send({
    from: bob,
    to: 'cmd-request@example.com',
    subject: 'Re: echo subject',
    body: ['', 'frobnicate now', ...echoes].join('\n'),
  });
  const { text } = await nthResults(bob, 1);
  const results = section(text, 'Results')!;
  assert.deepEqual(results.slice(0, 4), [
    '> Re: echo subject',
    'echo subject',
    '> frobnicate now',
    'No such command: frobnicate',
  ]);
  // Ten lines count (the blank one does not): frobnicate and nine echoes; two are ignored.
  assert.ok(results.includes('echo line 9'));
  assert.ok(!results.includes('echo line 10'));
  assert.deepEqual(section(text, 'Ignored'), ['echo line 10', 'echo line 11']);
  assert.equal(section(text, 'Unprocessed'), undefined);
  assert.match(text, /^ {4}Subject: Re: echo subject$/m);
});

test('who, under each member_roster_visibility', async () => {
  const sue = 'sue@example.org';
  const stranger = 'zed@example.net';
  const who = async (from: string, n: number) => {
    await send({ from, to: 'cmd-request@example.com', subject: 'who' });
    return section((await nthResults(from, n)).text, 'Results')!;
  };
  const refused = ['> who', 'You are not authorized to see the membership list.'];
  const roster = [
    '> who',
    'Members of the cmd@example.com mailing list:',
    '    reg@example.org',
    '    sue@example.org',
  ];
  // moderators (the default): the owner only.
  assert.deepEqual(await who(sue, 3), refused);
  assert.deepEqual(await who(OWNER, 1), roster);
  assert.equal(
    (await server.rest('PATCH', `/lists/${LIST}/config`, { member_roster_visibility: 'members' })).status,
    204,
  );
  assert.deepEqual(await who(sue, 4), roster);
  assert.deepEqual(await who(stranger, 1), refused);
  assert.equal(
    (await server.rest('PATCH', `/lists/${LIST}/config`, { member_roster_visibility: 'public' })).status,
    204,
  );
  assert.deepEqual(await who(stranger, 2), roster);
  await send({ from: stranger, to: 'cmd-request@example.com', subject: 'who mode=digest delivery=enabled' });
  assert.deepEqual(section((await nthResults(stranger, 3)).text, 'Results'), [
    '> who mode=digest delivery=enabled',
    roster[1],
    '    sue@example.org',
  ]);
  await send({ from: stranger, to: 'cmd-request@example.com', subject: 'who mode=regular' });
  assert.deepEqual(section((await nthResults(stranger, 4)).text, 'Results'), [
    '> who mode=regular',
    roster[1],
    '    reg@example.org',
  ]);
  await send({ from: stranger, to: 'cmd-request@example.com', subject: 'who delivery=disabled' });
  assert.deepEqual(section((await nthResults(stranger, 5)).text, 'Results'), [
    '> who delivery=disabled',
    roster[1],
    '    (none)',
  ]);
});

test('unsubscribe and stop, the aliases of leave and end, in the body to -request', async () => {
  const sue = 'sue@example.org';
  await send({ from: sue, to: 'cmd-request@example.com', body: 'unsubscribe\nstop\necho not yet' });
  const { text } = await nthResults(sue, 5);
  assert.deepEqual(section(text, 'Results'), [
    '> unsubscribe',
    'Confirmation email sent to sue@example.org to leave cmd@example.com',
    '> stop',
  ]);
  assert.deepEqual(section(text, 'Unprocessed'), ['echo not yet']);
  await nthConfirmation(sue, 2);
  assert.equal(await isMember(sue), true, 'until the confirmation is answered');
});

test('a bad token always gets a reply: unknown, malformed, or in a command to -request', async () => {
  const eve = 'eve@example.net';
  const unknown = 'ab'.repeat(20);
  await send({ from: eve, to: `cmd-confirm+${unknown}@example.com`, subject: 'Re: confirm' });
  assert.deepEqual(section((await nthResults(eve, 1)).text, 'Results'), [
    `> confirm ${unknown}`,
    'Confirmation token did not match',
  ]);
  await send({ from: eve, to: 'cmd-confirm+not-a-token@example.com', subject: 'Re: confirm' });
  assert.deepEqual(section((await nthResults(eve, 2)).text, 'Results'), [
    '> confirm',
    'Confirmation token did not match',
  ]);
  await send({ from: eve, to: 'cmd-request@example.com', subject: `confirm ${unknown}`, body: 'echo after' });
  const third = (await nthResults(eve, 3)).text;
  assert.deepEqual(section(third, 'Results'), [`> confirm ${unknown}`, 'Confirmation token did not match']);
  assert.deepEqual(section(third, 'Unprocessed'), ['echo after']);
});

test('one subscription request per message: join lines for many strangers ask only the first', async () => {
  const asker = 'asker@example.net';
  await send({
    from: asker,
    to: 'cmd-request@example.com',
    subject: 'join address=first@example.net',
    body: 'join address=second@example.net\njoin address=third@example.net',
  });
  const results = section((await nthResults(asker, 1)).text, 'Results') ?? [];
  assert.ok(results.includes('Confirmation email sent to first@example.net'), results.join('\n'));
  assert.ok(results.includes('One subscription per message: second@example.net was not asked; send another message'));
  await quiet();
  const asked = (r: Received) => /^confirm [0-9a-f]{40}$/.test(r.msg.get('subject') ?? '');
  assert.equal(sink.copiesFor('first@example.net', asked).length, 1);
  assert.equal(sink.copiesFor('second@example.net', asked).length, 0);
  assert.equal(sink.copiesFor('third@example.net', asked).length, 0);
});

test('bulk mail to -request is not answered, unless it asks with X-Ack: yes', async () => {
  const bulk = 'lister@example.net';
  await send({
    from: bulk,
    to: 'cmd-request@example.com',
    subject: 'echo quiet',
    headers: ['Precedence: list', 'Content-Type: text/plain'],
  });
  await send({
    from: bulk,
    to: 'cmd-request@example.com',
    subject: 'echo loud',
    headers: ['Precedence: bulk', 'X-Ack: yes', 'Content-Type: text/plain'],
  });
  await nthResults(bulk, 1);
  await quiet();
  const replies = sink.copiesFor(bulk, isResults).map((r) => section(plainText(r.raw), 'Results'));
  assert.deepEqual(replies, [['> echo loud', 'echo loud']]);
});

test('an automatic reply (Auto-Submitted) to a confirmation does not confirm it', async () => {
  const away = 'away@example.net';
  await send({ from: away, to: 'cmd-join@example.com', subject: 'join' });
  const confirmation = (r: Received) => /^confirm [0-9a-f]{40}$/.test(r.msg.get('subject') ?? '');
  await sink.waitFor(() => sink.copiesFor(away, confirmation).length === 1, 20_000, 'the confirmation');
  const ask = sink.copiesFor(away, confirmation)[0];
  // The vacation responder answers the confirmation, as RFC 3834 says it should mark it.
  await send({
    from: away,
    to: ask.msg.get('from')!,
    subject: `Auto: ${ask.msg.get('subject')}`,
    headers: ['Auto-Submitted: auto-replied', 'Content-Type: text/plain'],
  });
  await quiet();
  assert.equal(await isMember(away), false);
  assert.equal(sink.copiesFor(away, isResults).length, 0, 'and no reply to the robot');
});

/** Posts as a non-member, so the post is held; returns its request id and the moderators' token. */
async function holdPost(tag: string): Promise<{ id: number; token: string; messageId: string }> {
  const messageId = `<held-${tag}@example.net>`;
  await send({ from: 'outsider@example.net', to: 'cmd@example.com', subject: `Post ${tag}`, messageId, body: 'Hi' });
  let id: number | undefined;
  await server.waitUntil(
    async () => {
      const held = (await server.rest('GET', `/lists/${LIST}/held`)).body;
      id = held.entries?.find((e: { message_id: string }) => e.message_id === messageId)?.request_id;
      return id !== undefined;
    },
    20_000,
    `${tag} to be held`,
  );
  const noticeOf = (r: Received) => /requires approval/.test(r.msg.get('subject') ?? '') && r.raw.includes(messageId);
  // Sent to -owner, which the MTA hands back to the list for its owners.
  const owners = 'cmd-owner@example.com';
  await sink.waitFor(() => sink.copiesFor(owners, noticeOf).length === 1, 20_000, `the notice of ${tag}`);
  const notice = new Message(sink.copiesFor(owners, noticeOf)[0].raw);
  const confirmation = [...notice.mime().walk()]
    .map((p) => p.children?.[0]?.msg)
    .find((m) => /^confirm /.test(m?.get('subject') ?? ''));
  assert.ok(confirmation, 'the notice carries a message to answer');
  const token = CONFIRM_FROM.exec(confirmation.addresses('from')[0].email)?.[1];
  assert.ok(token);
  assert.equal(confirmation.get('subject'), `confirm ${token}`);
  return { id: id!, token, messageId };
}

const heldStatus = async (id: number) => (await server.rest('GET', `/lists/${LIST}/held/${id}`)).status;
const copiesOf = (messageId: string) => (r: Received) => r.msg.messageId === messageId;

test('a held post: accepted by a reply with Approved:, discarded by one without, kept on a wrong password', async () => {
  assert.equal((await server.rest('PATCH', `/lists/${LIST}/config`, { moderator_password: 'sesame' })).status, 204);
  const accepted = await holdPost('accept');
  await send({
    from: OWNER,
    to: `cmd-confirm+${accepted.token}@example.com`,
    subject: `Re: confirm ${accepted.token}`,
    headers: ['Approved: sesame', 'Content-Type: text/plain'],
  });
  await sink.waitFor(() => sink.copiesFor(REG, copiesOf(accepted.messageId)).length === 1, 20_000, 'the accepted post');
  assert.equal(await heldStatus(accepted.id), 404);

  const discarded = await holdPost('discard');
  await send({ from: OWNER, to: `cmd-confirm+${discarded.token}@example.com`, subject: 'Re: spam', body: 'spam' });
  await server.waitUntil(async () => (await heldStatus(discarded.id)) === 404, 20_000, 'the discard');

  const wrong = await holdPost('wrong');
  await send({
    from: OWNER,
    to: 'cmd-request@example.com',
    subject: `Re: confirm ${wrong.token}`,
    body: 'Approved: open-up\n\nLet it through.',
  });
  const { text } = await nthResults(OWNER, 2);
  assert.deepEqual(section(text, 'Results'), [`> Re: confirm ${wrong.token}`, 'Invalid Approved: password']);
  assert.deepEqual(section(text, 'Unprocessed'), ['Let it through.']);
  assert.ok(!text.includes('open-up'), 'the password is never quoted back');
  assert.equal(await heldStatus(wrong.id), 200);
  // Decided over REST, the post's token goes with it: a late answer by mail finds nothing.
  assert.equal((await server.rest('POST', `/lists/${LIST}/held/${wrong.id}`, { action: 'discard' })).status, 204);
  await send({
    from: OWNER,
    to: `cmd-confirm+${wrong.token}@example.com`,
    subject: 'Re: late',
    headers: ['Approved: sesame', 'Content-Type: text/plain'],
  });
  assert.deepEqual(section((await nthResults(OWNER, 3)).text, 'Results'), [
    `> confirm ${wrong.token}`,
    'Confirmation token did not match',
  ]);
  await quiet();
  assert.equal(sink.copiesFor(REG, copiesOf(discarded.messageId)).length, 0);
  assert.equal(sink.copiesFor(REG, copiesOf(wrong.messageId)).length, 0);
  // The accept and the discard were answered by -confirm+TOKEN: no reply for them (one is for `who`).
  assert.equal(sink.copiesFor(OWNER, isResults).length, 3);
});
