// The Usenet gateway's parts called in this process: the to-usenet handler on real Services,
// the news copy made from real messages (src/delivery/usenet.ts), and the NNTP client against
// scripted peers on loopback that misbehave as servers do (slow, long-winded, refusing). The
// whole gateway against a real INN is test/e2e/usenet.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { DeliveryWorld, post } from './support.js';
import { Config } from '../../src/config/config.js';
import { newsRules, newsServer, prepareForNews, duplicatePairs } from '../../src/delivery/usenet.js';
import { NntpConnection, NntpReplyError, NntpUnreachable } from '../../src/mta/nntp-client.js';

let world: DeliveryWorld;
let config: Config;

before(async () => {
  world = await DeliveryWorld.open();
  config = world.services.config;
});
after(() => world?.close());

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

test('to-usenet queues a copy without recipients only when the gateway is configured; otherwise the post goes on', async () => {
  await world.run('to-usenet', world.ctx(post()));
  assert.equal((await world.queued('nntp')).length, 0, 'gateway_to_news is off by default');
  await world.configure({ gateway_to_news: true });
  await world.run('to-usenet', world.ctx(post(), { recipients: ['a@example.org'] }));
  assert.equal((await world.queued('nntp')).length, 0, 'no linked_newsgroup: no copy, and no failure');
  await world.configure({ linked_newsgroup: 'local.ant', nntp_host: 'news.example.net' });
  await world.run('to-usenet', world.ctx(post(), { isdigest: true }));
  await world.run('to-usenet', world.ctx(post(), { fromusenet: true }));
  assert.equal((await world.queued('nntp')).length, 0, 'digests and posts from news are not sent back');
  const ctx = await world.run('to-usenet', world.ctx(post(), { recipients: ['a@example.org'] }));
  const [copy] = await world.queued('nntp');
  assert.equal(copy.msg.messageId, '<post-1@example.org>');
  assert.equal(copy.msgdata.listid, 'ant.example.com');
  assert.equal(copy.msgdata.recipients, undefined);
  assert.deepEqual(ctx.msgdata.recipients, ['a@example.org'], 'the post itself keeps its recipients');
  await world.configure({ gateway_to_news: false, linked_newsgroup: '', nntp_host: '' });
});

test('the news copy: one of each header news allows once, the rest renamed byte for byte', () => {
  const raw = crlf(
    post({
      extra: [
        'To: =?utf-8?q?B=C3=A9a?= <bea@example.net>',
        'Cc: one@example.net',
        'CC: two@example.net',
        'MIME-Version: 1.0 (forged)',
        'Received: from a by b; Wed, 25 Nov 2026 12:00:00 +0000',
        'Received: from c by d; Wed, 25 Nov 2026 12:00:00 +0000',
        'Xref: elsewhere alt.x:1',
        'NNTP-Posting-Date: yesterday',
        'Path: a!b!c',
        'Newsgroups: alt.elsewhere, local.ant',
      ],
      body: 'one\ntwo\n.three',
    }),
  );
  const mlist = { ...world.mlist, linked_newsgroup: 'local.ant' };
  const article = prepareForNews(raw, mlist, {}, newsRules(config));
  assert.deepEqual(article.getAll('to'), ['ant@example.com']);
  assert.deepEqual(article.rawLines('x-original-to'), ['X-Original-To: =?utf-8?q?B=C3=A9a?= <bea@example.net>']);
  assert.deepEqual(article.getAll('cc'), ['one@example.net']);
  assert.deepEqual(article.getAll('x-original-cc'), ['two@example.net']);
  assert.deepEqual(article.getAll('mime-version'), ['1.0']);
  assert.deepEqual(article.getAll('x-mime-version'), ['1.0 (forged)']);
  for (const gone of ['received', 'xref', 'nntp-posting-date', 'path']) assert.deepEqual(article.getAll(gone), []);
  assert.equal(article.get('newsgroups'), 'local.ant');
  assert.equal(article.get('lines'), '3');
  assert.equal(article.get('approved'), undefined, 'the group is not moderated');
  assert.equal(article.body.toString(), 'one\r\ntwo\r\n.three\r\n', 'the body untouched');
  assert.ok(raw.includes('Received: from a'), 'the queued message is not changed');
});

test('the news copy: Approved for a moderated group, the subject as posted, a Message-ID news accepts', () => {
  const rules = newsRules(config);
  const mlist = {
    ...world.mlist,
    linked_newsgroup: 'local.ant',
    newsgroup_moderation: 'moderated',
    nntp_prefix_subject_too: false,
  };
  const raw = crlf(
    post({ subject: '[Ant] Hello', extra: ['Approved: someone@else.example'] }).replace('<post-1@', '< post-1 @'),
  );
  const a = prepareForNews(raw, mlist, { stripped_subject: 'Hello' }, rules);
  assert.deepEqual(a.getAll('approved'), ['ant@example.com']);
  assert.equal(a.get('subject'), 'Hello');
  assert.equal(a.messageId, '<post-1@example.org>');
  const withPrefix = prepareForNews(
    raw,
    { ...mlist, nntp_prefix_subject_too: true },
    { stripped_subject: 'Hello' },
    rules,
  );
  assert.equal(withPrefix.get('subject'), '[Ant] Hello');
  const broken = prepareForNews(crlf(post().replace('<post-1@example.org>', 'not an id')), mlist, {}, rules);
  assert.match(broken.messageId ?? '', /^<[^<>@\s]+@example\.com>$/);
  const renamed = prepareForNews(raw, mlist, { nntp_message_id: '<fresh@example.com>' }, rules);
  assert.equal(renamed.messageId, '<fresh@example.com>');
});

test('[nntp] rewrite_duplicate_headers is read as pairs, and the list names its news server', () => {
  assert.deepEqual(duplicatePairs('To X-Original-To\nCC  X-Original-CC\n'), [
    ['To', 'X-Original-To'],
    ['CC', 'X-Original-CC'],
  ]);
  const at = (nntp_host: string) => newsServer({ ...world.mlist, nntp_host }, config);
  assert.deepEqual(at('news.example.net'), { host: 'news.example.net', port: 119 });
  assert.deepEqual(at('news.example.net:1119'), { host: 'news.example.net', port: 1119 });
  assert.deepEqual(at('[::1]:1119'), { host: '::1', port: 1119 });
  assert.deepEqual(at('::1'), { host: '::1', port: 119 });
});

/** A loopback peer that answers each line the client sends with what `script` says. */
async function peer(script: (line: string, socket: Socket) => void, greeting = '200 ready'): Promise<Server> {
  const server = createServer((socket) => {
    let buffer = '';
    socket.on('error', () => undefined);
    if (greeting) socket.write(`${greeting}\r\n`);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let nl;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        script(line, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (s: Server) => (s.address() as { port: number }).port;

test('the NNTP client logs in, posts a dot-stuffed article and reads one back', async () => {
  const lines: string[] = [];
  let inArticle = false;
  const server = await peer((line, socket) => {
    lines.push(line);
    if (inArticle) {
      if (line === '.') {
        inArticle = false;
        socket.write('240 article received\r\n');
      }
      return;
    }
    if (line === 'MODE READER') socket.write('200 posting ok\r\n');
    else if (line === 'AUTHINFO USER ant') socket.write('381 password please\r\n');
    else if (line === 'AUTHINFO PASS secret') socket.write('281 welcome\r\n');
    else if (line === 'POST') {
      inArticle = true;
      socket.write('340 send it\r\n');
    } else if (line === 'GROUP local.ant') socket.write('211 1 3 3 local.ant\r\n');
    else if (line === 'ARTICLE 3') socket.write('220 3 <x@y> article\r\nSubject: s\r\n\r\n..dotted\r\nplain\r\n.\r\n');
    else if (line === 'QUIT') socket.end('205 bye\r\n');
    else socket.write('500 what?\r\n');
  });
  try {
    const conn = await NntpConnection.open({
      host: '127.0.0.1',
      port: portOf(server),
      timeoutMs: 10_000,
      user: 'ant',
      password: 'secret',
    });
    assert.equal(await conn.post(crlf('Subject: s\n\n.dotted\nplain\n')), 'article received');
    assert.deepEqual(await conn.group('local.ant'), { count: 1, low: 3, high: 3 });
    assert.equal((await conn.article(3))?.toString(), 'Subject: s\r\n\r\n.dotted\r\nplain\r\n');
    await conn.quit();
    assert.deepEqual(lines.slice(0, 8), [
      'MODE READER',
      'AUTHINFO USER ant',
      'AUTHINFO PASS secret',
      'POST',
      'Subject: s',
      '',
      '..dotted',
      'plain',
    ]);
  } finally {
    server.close();
  }
});

test('the NNTP client gives up on a refusal, a silent server and an endless line, with the reason', async () => {
  const refusing = await peer((line, socket) => {
    if (line === 'MODE READER') socket.write('200 ok\r\n');
    if (line === 'POST') socket.write('440 posting not permitted\r\n');
  });
  const silent = await peer(() => undefined, '');
  const endless = await peer(() => undefined, `200 ${'x'.repeat(100_000)}`);
  const closedPort = portOf(silent);
  try {
    const conn = await NntpConnection.open({ host: '127.0.0.1', port: portOf(refusing), timeoutMs: 10_000 });
    await assert.rejects(conn.post(crlf('Subject: s\n\nbody\n')), (err: unknown) => {
      assert.ok(err instanceof NntpReplyError);
      assert.equal(err.code, 440);
      return true;
    });
    conn.close();
    await assert.rejects(
      NntpConnection.open({ host: '127.0.0.1', port: portOf(silent), timeoutMs: 200 }),
      (err: unknown) => err instanceof NntpUnreachable && /no answer/.test(err.message),
    );
    await assert.rejects(
      NntpConnection.open({ host: '127.0.0.1', port: portOf(endless), timeoutMs: 10_000 }),
      (err: unknown) => err instanceof NntpUnreachable && /longer than/.test(err.message),
    );
  } finally {
    for (const s of [refusing, silent, endless]) s.close();
  }
  await assert.rejects(
    NntpConnection.open({ host: '127.0.0.1', port: closedPort, timeoutMs: 10_000 }),
    (err: unknown) => err instanceof NntpUnreachable,
    'a server that is down',
  );
});
