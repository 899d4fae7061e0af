// The uris resources (where a named template comes from, per site, domain and list) over
// REST, in the shapes mailmanclient reads, and what they refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RestHarness, assertError, assertEtag } from './harness.js';

let rest: RestHarness;
let templateDir: string;
const WELCOME = 'list:user:notice:welcome';

before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
  templateDir = rest.services.config.path('paths', 'template_dir');
  mkdirSync(join(templateDir, 'custom'), { recursive: true });
  writeFileSync(join(templateDir, 'custom', 'welcome.txt'), 'Hello from $display_name ($list_id).\n');
});

after(async () => {
  await rest?.close();
});

test('a list uri: set as mailmanclient does, read back without its password, used, removed', async () => {
  const base = '/lists/ant.example.com/uris';
  let r = await rest.get(base);
  assert.equal(r.status, 200);
  assert.deepEqual(
    { ...r.body, http_etag: undefined },
    {
      start: 0,
      total_size: 0,
      self_link: `${rest.root()}/${base.slice(1)}`,
      http_etag: undefined,
    },
  );
  assertEtag(r.body);

  const uri = pathToFileURL(join(templateDir, 'custom', 'welcome.txt')).href;
  r = await rest.patch(base, { [WELCOME]: uri, username: 'fetcher', password: 's3cret' }, { form: true });
  assert.equal(r.status, 204, r.text);
  r = await rest.get(base);
  assert.equal(r.body.total_size, 1);
  const entry = r.body.entries[0];
  assert.deepEqual(
    { name: entry.name, uri: entry.uri, username: entry.username, self_link: entry.self_link },
    { name: WELCOME, uri, username: 'fetcher', self_link: `${rest.root()}/lists/ant.example.com/uris/${WELCOME}` },
  );
  assertEtag(entry);
  assertEtag(r.body);
  assert.doesNotMatch(r.text, /s3cret/);

  // By posting address too, and the one row on its own.
  r = await rest.get(`/lists/ant@example.com/uris/${WELCOME}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.uri, uri);
  assert.equal(r.body.self_link, `${rest.root()}/lists/ant.example.com/uris/${WELCOME}`);
  assert.doesNotMatch(r.text, /s3cret/);
  assertEtag(r.body);

  // The loader now takes the welcome text from that file.
  const mlist = await rest.services.lists.require('ant.example.com');
  assert.equal(await rest.services.templates.render(WELCOME, { mlist }), 'Hello from Ant (ant.example.com).\n');

  // An empty uri removes the row, as a DELETE does.
  assert.equal((await rest.patch(`${base}/${WELCOME}`, { uri: '' })).status, 204);
  assertError(await rest.get(`${base}/${WELCOME}`), 404);
  assert.match(await rest.services.templates.render(WELCOME, { mlist }), /^Welcome to the "Ant" mailing list/);
});

test('a single uri by PUT and PATCH (uri, or the name as Mailman spells it), then DELETE', async () => {
  const one = `/lists/ant.example.com/uris/list:member:regular:footer`;
  assert.equal((await rest.put(one, { uri: 'https://templates.example.org/$list_id/footer.txt' })).status, 204);
  assert.equal((await rest.get(one)).body.uri, 'https://templates.example.org/$list_id/footer.txt');
  assert.equal(
    (await rest.patch(one, { 'list:member:regular:footer': 'mailman:///list:member:generic:footer' })).status,
    204,
  );
  assert.equal((await rest.get(one)).body.uri, 'mailman:///list:member:generic:footer');
  // Credentials alone keep the URI.
  assert.equal((await rest.patch(one, { username: 'u', password: 'p' })).status, 204);
  const r = await rest.get(one);
  assert.equal(r.body.uri, 'mailman:///list:member:generic:footer');
  assert.equal(r.body.username, 'u');
  assert.equal((await rest.delete(one)).status, 204);
  assertError(await rest.get(one), 404);
  // Deleting what is not there is no error, as in Mailman.
  assert.equal((await rest.delete(one)).status, 204);
});

test('each scope names its own templates: site all, domain list:* and domain:*, list list:*', async () => {
  const newList = 'domain:admin:notice:new-list';
  const uri = 'http://templates.example.org/new-list.txt';
  assert.equal((await rest.put(`/domains/example.com/uris/${newList}`, { uri })).status, 204);
  assert.equal((await rest.put(`/uris/${newList}`, { uri })).status, 204);
  assert.equal((await rest.put(`/uris/${WELCOME}`, { uri })).status, 204);
  assertError(await rest.put(`/lists/ant.example.com/uris/${newList}`, { uri }), 404);
  assertError(await rest.get(`/lists/ant.example.com/uris/list:user:notice:nonsense`), 404);
  assertError(await rest.get('/uris/no-such-template'), 404);

  let r = await rest.get('/domains/example.com/uris');
  assert.deepEqual(
    r.body.entries.map((e: { name: string }) => e.name),
    [newList],
  );
  assert.equal(r.body.self_link, `${rest.root()}/domains/example.com/uris`);
  r = await rest.get('/uris');
  assert.deepEqual(
    r.body.entries.map((e: { name: string; self_link: string }) => [e.name, e.self_link]),
    [
      [newList, `${rest.root()}/uris/${newList}`],
      [WELCOME, `${rest.root()}/uris/${WELCOME}`],
    ],
  );
  // The domain's rows are its own: the site's and the list's are untouched by its DELETE.
  assert.equal((await rest.delete('/domains/example.com/uris')).status, 204);
  assert.equal((await rest.get('/domains/example.com/uris')).body.total_size, 0);
  assert.equal((await rest.get('/uris')).body.total_size, 2);
  assert.equal((await rest.delete('/uris')).status, 204);
  assert.equal((await rest.get('/uris')).body.total_size, 0);
});

test('refused: bad schemes, files outside the template directory, half credentials, unknown names', async () => {
  const base = '/lists/ant.example.com/uris';
  const one = `${base}/${WELCOME}`;
  assertError(await rest.put(one, { uri: 'ftp://example.org/welcome.txt' }), 400, /scheme/);
  assertError(await rest.put(one, { uri: 'javascript:alert(1)' }), 400, /scheme/);
  assertError(await rest.put(one, { uri: 'not a uri' }), 400, /Not a URI/);
  assertError(await rest.put(one, { uri: 'file:///etc/passwd' }), 400, /template directory/);
  const escape = pathToFileURL(join(templateDir, '..', 'mailman.cfg')).href;
  assertError(await rest.put(one, { uri: escape }), 400, /template directory/);
  assertError(await rest.put(one, { uri: `http://example.org/${'x'.repeat(3000)}` }), 400, /longer than/);
  assertError(await rest.put(one, { uri: 'http://example.org/a\r\nX-Injected: 1' }), 400, /one line/);
  assertError(await rest.put(one, { uri: 'http://example.org/a', username: 'only-me' }), 400, /both username/);
  assertError(
    await rest.put(one, { uri: 'http://example.org/a', colour: 'blue' }),
    400,
    /Unexpected parameters: colour/,
  );
  assertError(await rest.put(one, {}), 400, /Missing Parameter: uri/);
  assertError(await rest.put(one, { uri: 'http://example.org/a', password: 'x'.repeat(300) }), 400, /Longer than 255/);
  // A collection PUT names every template of the scope; a PATCH refuses names outside it.
  assertError(await rest.put(base, { [WELCOME]: 'http://example.org/a' }), 400, /Missing Parameter/);
  assertError(
    await rest.patch(base, { 'domain:admin:notice:new-list': 'http://example.org/a' }),
    400,
    /Unexpected parameters/,
  );
  // One bad URI in a PATCH stores none of them.
  assertError(
    await rest.patch(base, { [WELCOME]: 'http://example.org/ok', 'list:user:notice:goodbye': 'gopher://x/' }),
    400,
    /scheme/,
  );
  assert.equal((await rest.get(base)).body.total_size, 0);
  // Not in API 3.0; unknown lists and domains are 404s.
  assertError(await rest.get(base, { version: '3.0' }), 404);
  assertError(await rest.get('/lists/nope.example.com/uris'), 404);
  assertError(await rest.get('/domains/nope.example/uris'), 404);
});

test('a URI the loader cannot use is skipped for the next source: too big, failing, or gone', async () => {
  let served = 0;
  const http = createServer((req, res) => {
    if (req.url === '/huge') {
      // Far past the 64 KiB limit, written as long as the client keeps reading.
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const more = () => {
        while (served < 4 * 1024 * 1024 && res.write(chunk)) served += chunk.length;
        if (served < 4 * 1024 * 1024) res.once('drain', more);
        else res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      more();
    } else res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  try {
    const mlist = await rest.services.lists.require('ant.example.com');
    const one = `/lists/ant.example.com/uris/${WELCOME}`;
    for (const uri of [
      `http://127.0.0.1:${port}/huge`,
      `http://127.0.0.1:${port}/broken`,
      pathToFileURL(join(templateDir, 'custom', 'missing.txt')).href,
    ]) {
      assert.equal((await rest.put(one, { uri })).status, 204);
      assert.match(await rest.services.templates.render(WELCOME, { mlist }), /^Welcome to the "Ant" mailing list/, uri);
    }
    // The huge body was abandoned early, not read to its end.
    assert.ok(served < 4 * 1024 * 1024, `served ${served} bytes`);
  } finally {
    await rest.delete(`/lists/ant.example.com/uris/${WELCOME}`);
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});
