// The mail-to-news gateway against Debian's real INN, run from a throw-away directory on a
// loopback port (test/helpers/news-server.ts): a post to a list with gateway_to_news reaches
// the members and appears in the linked group, cleaned as Mailman cleans it; an article the
// news server refuses is shunted, not lost; a news server that is down leaves the copy queued
// until it is up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { makePost, sendLmtp } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';
import { NewsServer } from '../helpers/news-server.js';
import { Message } from '../../src/email/message.js';
import { decodeQueueFile } from '../../src/queue/qfile.js';

let sink: SmtpSink;
let server: TestServer;
let news: NewsServer;

before(async () => {
  sink = await new SmtpSink().start();
  news = await NewsServer.start(['local.ant', 'local.cat', 'local.dog', 'local.fox']);
  server = await TestServer.start({ smtpPort: sink.port });
});

after(async () => {
  await server?.cleanup();
  await news?.cleanup();
  await sink?.close();
});

async function gatewayList(name: string, settings: Record<string, unknown>): Promise<void> {
  await server.createList(`${name}@example.com`, ['anne@example.org', 'bart@example.net']);
  const res = await server.rest('PATCH', `/lists/${name}.example.com/config`, { gateway_to_news: true, ...settings });
  assert.equal(res.status, 204, JSON.stringify(res.body));
}

async function post(list: string, messageId: string, extra: string[] = [], subject = 'Hello news'): Promise<void> {
  // Dated now: a news server refuses an article dated further back than its artcutoff (INN: 10 days).
  const raw = makePost({ from: 'anne@example.org', to: `${list}@example.com`, subject, messageId, extra }).replace(
    /^Date: .*$/m,
    `Date: ${new Date().toUTCString()}`,
  );
  const res = await sendLmtp(server.lmtpPort, 'anne@example.org', [`${list}@example.com`], raw);
  assert.deepEqual(res.accepted, [`${list}@example.com`]);
}

/** Both members got their copy of the post at the SMTP sink. */
async function membersGot(messageId: string): Promise<void> {
  const to = () =>
    sink.received
      .filter((r) => r.msg.messageId === messageId)
      .flatMap((r) => r.to)
      .sort();
  await sink.waitFor(() => to().length === 2, 30_000, `the members' copies of ${messageId}`);
  assert.deepEqual(to(), ['anne@example.org', 'bart@example.net']);
}

async function articleIn(group: string, messageId: string, within = news): Promise<Message | undefined> {
  const all = await within.articles(group);
  return all.map((a) => new Message(a)).find((m) => m.messageId === messageId);
}

function queued(queue: string): string[] {
  const dir = join(server.varDir, 'queue', queue);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.qmsg')) : [];
}

function logHas(name: string, text: string): boolean {
  const file = join(server.varDir, 'logs', `${name}.log`);
  return existsSync(file) && readFileSync(file, 'utf8').includes(text);
}

test('the master runs the nntp runner and /queues lists its queue', async () => {
  assert.ok(server.status().runners.some((r) => r.name === 'nntp'));
  const res = await server.rest('GET', '/queues/nntp');
  assert.equal(res.status, 200);
  assert.equal(res.body.name, 'nntp');
});

test('a post reaches the members and the linked newsgroup, its headers made fit for news', async () => {
  await gatewayList('ant', { linked_newsgroup: 'local.ant', nntp_host: `127.0.0.1:${news.port}` });
  const list = await server.rest('GET', '/lists/ant.example.com/config');
  assert.equal(list.body.linked_newsgroup, 'local.ant');
  assert.equal(list.body.nntp_host, `127.0.0.1:${news.port}`);
  const id = '<gw1@example.org>';
  await post('ant', id, [
    'To: second@example.net',
    'Received: from mx.example.org by relay.example.net; Wed, 25 Nov 2026 12:00:00 +0000',
    'X-Trace: forged trace',
    'NNTP-Posting-Host: forged.example.net',
    'Newsgroups: alt.elsewhere',
    'Path: forged!path',
  ]);
  await membersGot(id);
  let article: Message | undefined;
  await waitFor(async () => (article = await articleIn('local.ant', id)) !== undefined, 'the article in local.ant');
  const a = article!;
  assert.equal(a.get('newsgroups'), 'local.ant', 'only the linked group, not the poster’s');
  assert.equal(a.get('subject'), '[Ant] Hello news', 'nntp_prefix_subject_too is on by default');
  assert.deepEqual(a.getAll('to'), ['ant@example.com'], 'news allows one To');
  assert.deepEqual(a.getAll('x-original-to'), ['second@example.net']);
  assert.deepEqual(a.getAll('mime-version'), ['1.0']);
  assert.deepEqual(a.getAll('received'), [], 'mail trace headers stay out of news');
  assert.deepEqual(a.getAll('x-trace'), []);
  assert.deepEqual(a.getAll('nntp-posting-host'), []);
  assert.match(a.get('path') ?? '', /^news\.test\.example!/, 'the news server starts its own Path');
  assert.doesNotMatch(a.get('path') ?? '', /forged/);
  assert.equal(a.get('list-id'), '<ant.example.com>', 'the list copy is what goes to news');
  assert.equal(a.get('lines'), '1');
  assert.match(a.body.toString(), /Hello, list\./);
  assert.deepEqual(queued('nntp'), []);
});

test('without nntp_prefix_subject_too the article has the subject as posted', async () => {
  await gatewayList('dog', {
    linked_newsgroup: 'local.dog',
    nntp_host: `127.0.0.1:${news.port}`,
    nntp_prefix_subject_too: false,
  });
  const id = '<gw-dog@example.org>';
  await post('dog', id, [], 'Re: [Dog] plain subject');
  await membersGot(id);
  let article: Message | undefined;
  await waitFor(async () => (article = await articleIn('local.dog', id)) !== undefined, 'the article in local.dog');
  assert.equal(article!.get('subject'), 'Re: plain subject');
  const copy = sink.received.find((r) => r.msg.messageId === id)!;
  assert.equal(copy.msg.get('subject'), '[Dog] Re: plain subject');
});

test('a Message-ID the group already has counts as posted; one another group holds is posted under a new ID', async () => {
  const fresh = (id: string, subject: string) =>
    makePost({ from: 'anne@example.org', to: 'ant@example.com', subject, messageId: id }).replace(
      /^Date: .*$/m,
      `Date: ${new Date().toUTCString()}`,
    );
  // As a first attempt whose 240 never arrived would leave it: the article is in local.ant already.
  const again = await server.rest('POST', '/queues/nntp', {
    list_id: 'ant.example.com',
    text: fresh('<gw1@example.org>', 'again'),
  });
  assert.equal(again.status, 201);
  // local.dog has this ID; the ant list's copy of another post under the same ID still goes to local.ant.
  const taken = await server.rest('POST', '/queues/nntp', {
    list_id: 'ant.example.com',
    text: fresh('<gw-dog@example.org>', 'same id'),
  });
  assert.equal(taken.status, 201);
  await waitFor(() => logHas('fromusenet', 'the news server has this article already'), 'the duplicate recognised');
  let renamed: Message | undefined;
  await waitFor(
    async () =>
      (renamed = (await news.articles('local.ant'))
        .map((a) => new Message(a))
        .find((m) => m.get('subject') === 'same id')) !== undefined,
    'the article under a new Message-ID',
  );
  assert.notEqual(renamed!.messageId, '<gw-dog@example.org>');
  assert.match(renamed!.messageId ?? '', /@example\.com>$/);
  const ant = (await news.articles('local.ant')).map((a) => new Message(a));
  assert.equal(ant.filter((m) => m.messageId === '<gw1@example.org>').length, 1, 'not posted twice');
  await waitFor(() => queued('nntp').length === 0, 'the nntp queue empty');
});

test('an article the news server refuses (no such group) is shunted with the reason; the members still get it', async () => {
  await gatewayList('bee', { linked_newsgroup: 'local.nosuch', nntp_host: `127.0.0.1:${news.port}` });
  const id = '<gw-refused@example.org>';
  await post('bee', id);
  await membersGot(id);
  const shunted = () =>
    queued('shunt')
      .map((f) => decodeQueueFile(readFileSync(join(server.varDir, 'queue', 'shunt', f))))
      .filter(({ raw }) => new Message(raw).messageId === id);
  await waitFor(() => shunted().length === 1, 'the refused article in the shunt queue', 30_000);
  const [{ msgdata }] = shunted();
  assert.equal(msgdata.whichq, 'nntp');
  assert.match(String(msgdata.shunt_reason), /441/);
  assert.deepEqual(queued('nntp'), []);
});

test('a news server that is down leaves the copy queued; it is posted once the server is up', async () => {
  const later = await NewsServer.prepare(['local.cat']);
  try {
    await gatewayList('cat', { linked_newsgroup: 'local.cat', nntp_host: `127.0.0.1:${later.port}` });
    const id = '<gw-later@example.org>';
    await post('cat', id);
    await membersGot(id);
    await waitFor(() => logHas('fromusenet', 'the article stays queued'), 'the failed attempt logged', 30_000);
    // Logged before the runner puts it back: wait for the file, which then waits out a pause.
    await waitFor(() => queued('nntp').length === 1, 'the copy waits in the nntp queue');
    await later.start();
    await waitFor(async () => (await articleIn('local.cat', id, later)) !== undefined, 'the article posted', 60_000);
    await waitFor(() => queued('nntp').length === 0, 'the nntp queue empty');
  } finally {
    await later.cleanup();
  }
});

test('gateway_to_news without a linked group logs an error and the post still goes out', async () => {
  await gatewayList('elk', { nntp_host: `127.0.0.1:${news.port}` });
  const id = '<gw-unset@example.org>';
  await post('elk', id);
  await membersGot(id);
  await waitFor(() => logHas('error', 'Usenet gateway not configured'), 'the error logged');
  assert.deepEqual(queued('nntp'), []);
  assert.equal(
    queued('shunt').filter((f) => {
      const { raw } = decodeQueueFile(readFileSync(join(server.varDir, 'queue', 'shunt', f)));
      return new Message(raw).messageId === id;
    }).length,
    0,
  );
});

/** An article as a newsreader posts it, dated now. */
function readerArticle(group: string, id: string, subject: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [
      'From: Rita Reader <rita@news.example.net>',
      `Newsgroups: ${group}`,
      `Subject: ${subject}`,
      `Message-ID: ${id}`,
      `Date: ${new Date().toUTCString()}`,
      ...extra,
      '',
      'Posted from a newsreader.',
      '',
    ].join('\r\n'),
  );
}

async function postToNews(article: Buffer): Promise<void> {
  const conn = await news.connect();
  try {
    await conn.post(article);
  } finally {
    await conn.quit();
  }
}

test('mailman gatenews: the first run notes where the group stands; the next posts new articles to the members', async () => {
  await gatewayList('fox', {
    gateway_to_mail: true,
    linked_newsgroup: 'local.fox',
    nntp_host: `127.0.0.1:${news.port}`,
  });
  await postToNews(readerArticle('local.fox', '<old@news.example.net>', 'before the gateway'));
  const first = await server.cli(['gatenews', '--json']);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout), [
    { list_id: 'fox.example.com', group: 'local.fox', first: true, gated: 0, skipped: 0, watermark: 1 },
  ]);
  const id = '<new@news.example.net>';
  await postToNews(readerArticle('local.fox', id, 'from the group'));
  // The list's own copy of a post, back from news: not gated again.
  await postToNews(readerArticle('local.fox', '<own@example.org>', 'ours', ['List-Post: <mailto:fox@example.com>']));
  const second = await server.cli(['gatenews', '--json']);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(JSON.parse(second.stdout), [
    { list_id: 'fox.example.com', group: 'local.fox', gated: 1, skipped: 1, watermark: 3 },
  ]);
  await membersGot(id);
  const copy = sink.received.find((r) => r.msg.messageId === id)!;
  assert.equal(copy.msg.get('subject'), '[Fox] from the group');
  assert.equal(copy.msg.get('list-id'), '<fox.example.com>');
  assert.equal(
    sink.received.filter((r) => r.msg.messageId === '<old@news.example.net>').length,
    0,
    'the group before the gateway stays in the group',
  );
  // From Usenet: it is not sent back to the group although gateway_to_news is on too.
  assert.deepEqual(queued('nntp'), []);
  assert.equal(logHas('fromusenet', `"message_id":"${id}","server"`), false);
  const config = await server.rest('GET', '/lists/fox.example.com/config');
  assert.equal(config.body.usenet_watermark, 3);
  const again = await server.cli(['gatenews', '--json']);
  assert.deepEqual(JSON.parse(again.stdout)[0], {
    list_id: 'fox.example.com',
    group: 'local.fox',
    gated: 0,
    skipped: 0,
    watermark: 3,
  });
});

test('with [nntp] gatenews_every the nntp runner gates news itself', async () => {
  await server.stop();
  appendFileSync(server.configFile, '\n[nntp]\ngatenews_every: 1s\n');
  await server.boot();
  const id = '<periodic@news.example.net>';
  await postToNews(readerArticle('local.fox', id, 'gated by the runner'));
  await membersGot(id);
  await waitFor(() => logHas('fromusenet', 'gated news'), 'the run logged');
});
