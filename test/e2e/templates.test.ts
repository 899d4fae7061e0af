// Templates against the real server: overrides set through the uris resources (a file under
// the template directory, an HTTP server with a password) and files under var change what
// arrives at the SMTP sink, per list, domain and site, in the list's language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { LmtpSession, makePost } from '../helpers/lmtp-client.js';
import { plainText } from '../helpers/mime-text.js';

let sink: SmtpSink;
let server: TestServer;
let lmtp: LmtpSession;
let http: Server;
let httpPort: number;
/** The paths the HTTP server was asked for, with whether they came with the right password. */
const fetched: { path: string; authorised: boolean }[] = [];

before(async () => {
  http = createServer((req, res) => {
    const authorised = req.headers.authorization === `Basic ${Buffer.from('tpl:hunter2').toString('base64')}`;
    fetched.push({ path: req.url ?? '', authorised });
    if (!authorised) return void res.writeHead(401).end();
    if (req.url !== '/ant.example.com/en/footer.txt') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('-- fetched footer of $display_name for ${user_email}\n');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpPort = (http.address() as AddressInfo).port;
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  for (const mail_host of ['example.com', 'example.org'])
    assert.equal((await server.rest('POST', '/domains', { mail_host })).status, 201);
  for (const fqdn_listname of ['ant@example.com', 'bee@example.org', 'cat@example.com'])
    assert.equal((await server.rest('POST', '/lists', { fqdn_listname })).status, 201);
  lmtp = await LmtpSession.open(server.lmtpPort);
});

after(async () => {
  await lmtp?.close();
  await server?.cleanup();
  await sink?.close();
  await new Promise((resolve) => http?.close(resolve));
});

/** Writes a file under the server's template directory and returns its file: URI. */
function templateFile(path: string, text: string): string {
  const file = join(server.varDir, 'templates', ...path.split('/'));
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return pathToFileURL(file).href;
}

async function subscribe(list: string, email: string): Promise<void> {
  const res = await server.rest('POST', '/members', {
    list_id: list,
    subscriber: email,
    pre_verified: true,
    pre_confirmed: true,
    pre_approved: true,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

const welcome = (r: Received) => /^Welcome to the /.test(r.msg.get('subject') ?? '');

async function welcomeText(email: string): Promise<string> {
  await sink.waitFor(() => sink.copiesFor(email, welcome).length === 1, 20_000, `the welcome to ${email}`);
  return plainText(sink.copiesFor(email, welcome)[0].raw);
}

/** Posts as `from` to `list` and returns the body of the copy `to` gets. */
async function postCopy(from: string, list: string, to: string, tag: string): Promise<string> {
  const messageId = `<${tag}@test.example>`;
  const res = await lmtp.send(from, [list], makePost({ from, to: list, subject: tag, messageId }));
  assert.deepEqual(res.accepted, [list]);
  const copy = (r: Received) => r.msg.messageId === messageId;
  await sink.waitFor(() => sink.copiesFor(to, copy).length === 1, 20_000, `${tag} at ${to}`);
  return sink.copiesFor(to, copy)[0].msg.body.toString();
}

test('a list-level file: URI replaces the welcome text; other lists keep the built-in one', async () => {
  const uri = templateFile('custom/ant-welcome.txt', 'Hello $user_email, this is $display_name ($list_id).\n');
  const res = await server.rest('PATCH', '/lists/ant@example.com/uris', { 'list:user:notice:welcome': uri });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  await subscribe('ant.example.com', 'anne@example.net');
  assert.equal(
    (await welcomeText('anne@example.net')).trim(),
    'Hello anne@example.net, this is Ant (ant.example.com).',
  );
  await subscribe('cat.example.com', 'carl@example.net');
  assert.match(await welcomeText('carl@example.net'), /^Welcome to the "Cat" mailing list\./);
});

test('a list-level http: URI with a password gives the footer, personalised per copy', async () => {
  const res = await server.rest('PUT', '/lists/ant.example.com/uris/list:member:regular:footer', {
    uri: `http://127.0.0.1:${httpPort}/$list_id/$language/footer.txt`,
    username: 'tpl',
    password: 'hunter2',
  });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  assert.equal(
    (await server.rest('PATCH', '/lists/ant.example.com/config', { personalize: 'individual' })).status,
    204,
  );
  await subscribe('ant.example.com', 'arno@example.net');
  const body = await postCopy('anne@example.net', 'ant@example.com', 'arno@example.net', 'fetched-footer');
  assert.equal(body, 'Hello, list.\r\n-- fetched footer of Ant for arno@example.net\r\n');
  assert.ok(fetched.some((f) => f.path === '/ant.example.com/en/footer.txt' && f.authorised));
  // Each copy has its own footer.
  const other = sink.copiesFor('anne@example.net', (r) => r.msg.messageId === '<fetched-footer@test.example>');
  assert.equal(other.length, 1);
  assert.match(other[0].msg.body.toString(), /for anne@example\.net\r\n$/);
});

test('a domain-level URI serves every list of that domain, and only those', async () => {
  const uri = templateFile('shared/org-welcome.txt', 'Welcome aboard $display_name, a list of $domain.\n');
  const res = await server.rest('PUT', '/domains/example.org/uris/list:user:notice:welcome', { uri });
  assert.equal(res.status, 204, JSON.stringify(res.body));
  await subscribe('bee.example.org', 'bella@example.net');
  assert.equal((await welcomeText('bella@example.net')).trim(), 'Welcome aboard Bee, a list of example.org.');
  await subscribe('cat.example.com', 'cleo@example.net');
  assert.match(await welcomeText('cleo@example.net'), /^Welcome to the "Cat" mailing list\./);
});

test('a site file under var changes the footer of every list without an override of its own', async () => {
  templateFile('site/en/list:member:generic:footer.txt', '-- site footer: $display_name <$listname>\n');
  await subscribe('bee.example.org', 'bert@example.net');
  const bee = await postCopy('bella@example.net', 'bee@example.org', 'bert@example.net', 'site-footer-bee');
  assert.equal(bee, 'Hello, list.\r\n-- site footer: Bee <bee@example.org>\r\n');
  // The list-level row still wins for ant.
  const ant = await postCopy('anne@example.net', 'ant@example.com', 'arno@example.net', 'site-footer-ant');
  assert.match(ant, /-- fetched footer of Ant for arno@example\.net\r\n$/);
});

test("a list's language picks its own file, and English where it has none", async () => {
  assert.equal((await server.rest('PATCH', '/lists/cat.example.com/config', { preferred_language: 'fr' })).status, 204);
  templateFile('lists/cat.example.com/fr/list:user:notice:welcome.txt', 'Bienvenue sur la liste $display_name.\n');
  await subscribe('cat.example.com', 'chloe@example.net');
  assert.equal((await welcomeText('chloe@example.net')).trim(), 'Bienvenue sur la liste Cat.');
  // No French footer anywhere: the site's English one.
  const body = await postCopy('chloe@example.net', 'cat@example.com', 'carl@example.net', 'fr-footer');
  assert.equal(body, 'Hello, list.\r\n-- site footer: Cat <cat@example.com>\r\n');
});
