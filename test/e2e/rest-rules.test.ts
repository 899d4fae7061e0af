// Shared .rules files over REST alone, on the real server: listed and read with who reads
// them; a PUT that would break a chain reading the file is refused and leaves the file; a
// good PUT changes what that chain does to the next message over LMTP; DELETE is refused
// while the file is read; hostile names are refused; a broken file shows in `mailman status`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;
const LIST = 'ant.example.com';

const rules = (header: string) => `rule marked "posts the site marks" = header "${header}" exists\n`;
const CHAIN = `use "site.rules"

chain guarded "Hold what the site marks" {
    if marked then hold "Marked by the site rules"
    jump default-posting-chain
}
`;

let n = 0;
async function post(header: string): Promise<string> {
  const messageId = `<rest-rules-${++n}@example.org>`;
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    ['ant@example.com'],
    makePost({
      from: 'anne@example.org',
      to: 'ant@example.com',
      subject: `post ${n}`,
      messageId,
      extra: [`${header}: 1`],
    }),
  );
  assert.deepEqual(res.accepted, ['ant@example.com']);
  return messageId;
}

async function delivered(messageId: string): Promise<void> {
  await sink.waitFor(
    () => sink.copiesFor('anne@example.org', (r) => r.msg.messageId === messageId).length === 1,
    20_000,
    `${messageId} to be delivered`,
  );
}

const siteFile = () => join(server.varDir, 'chains', 'site.rules');

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  await server.createList('ant@example.com', ['anne@example.org']);
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('a .rules file PUT over REST is listed and read with the chain that uses it', async () => {
  const put = await server.rest('PUT', '/rules/site', { source: rules('X-Mark') });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.status, 'ok');
  assert.equal(put.body.origin, 'site');
  assert.deepEqual(put.body.used_by, { chains: [], pipelines: [], rules: [] });
  assert.equal(readFileSync(siteFile(), 'utf8'), rules('X-Mark'));

  assert.equal((await server.rest('PUT', '/chains/guarded', { source: CHAIN })).status, 200);
  const patch = await server.rest('PATCH', `/lists/${LIST}/config`, { posting_chain: 'guarded' });
  assert.equal(patch.status, 204, JSON.stringify(patch.body));

  const list = await server.rest('GET', '/rules');
  assert.equal(list.status, 200);
  assert.equal(list.body.total_size, 1);
  const entry = list.body.entries[0];
  assert.equal(entry.name, 'site');
  assert.equal(entry.file, siteFile());
  assert.equal(entry.status, 'ok');
  assert.deepEqual(entry.used_by.chains, ['guarded']);
  assert.match(entry.self_link, /\/3\.1\/rules\/site$/);

  const get = await server.rest('GET', '/rules/site');
  assert.equal(get.status, 200);
  assert.equal(get.body.source, rules('X-Mark'));
  assert.deepEqual(get.body.diagnostics, []);
  assert.deepEqual(get.body.used_by.chains, ['guarded']);
  // The 3.0 API has it too, with its own links.
  const old = await fetch(`http://127.0.0.1:${server.restPort}/3.0/rules/site`, {
    headers: { authorization: 'Basic ' + Buffer.from('restadmin:restpass').toString('base64') },
  });
  assert.equal(old.status, 200);
  assert.match(((await old.json()) as { self_link: string }).self_link, /\/3\.0\/rules\/site$/);

  assert.match((await server.heldEntry(LIST, await post('X-Mark'))).reason, /Marked by the site rules/);
  assert.equal((await server.rest('GET', '/rules/nonesuch')).status, 404);
});

test('a PUT that would break the chain using the file is refused and leaves the old file', async () => {
  const renamed = rules('X-Mark').replace('rule marked', 'rule flagged');
  const put = await server.rest('PUT', '/rules/site', { source: renamed });
  assert.equal(put.status, 400, JSON.stringify(put.body));
  assert.equal(put.body.title, '400 Bad Request');
  assert.match(put.body.description, /would break chain 'guarded'/);
  const d = put.body.diagnostics.find((x: { severity: string }) => x.severity === 'error');
  assert.equal(d.code, 'MM301');
  assert.match(d.file, /guarded\.chain$/);
  assert.equal(d.line, 4);

  const broken = await server.rest('PUT', '/rules/site', { source: 'rule marked = header "X" exits\n' });
  assert.equal(broken.status, 400);
  assert.match(broken.body.description, /rules 'site' does not compile/);
  assert.match(broken.body.diagnostics[0].file, /site\.rules$/);

  assert.equal(readFileSync(siteFile(), 'utf8'), rules('X-Mark'));
  assert.equal((await server.rest('GET', '/rules/site')).body.source, rules('X-Mark'));
  assert.equal((await server.rest('GET', '/chains/guarded')).body.status, 'ok');

  const dry = await server.rest('POST', '/rules/validate', { name: 'site', source: renamed });
  assert.equal(dry.status, 200);
  assert.equal(dry.body.ok, false);
  assert.equal(dry.body.diagnostics[0].code, 'MM301');
  const alone = await server.rest('POST', '/rules/validate', { source: renamed });
  assert.equal(alone.body.ok, true);
  assert.deepEqual(alone.body.diagnostics, []);
  assert.equal(readFileSync(siteFile(), 'utf8'), rules('X-Mark'));
});

test('a good PUT changes what the chain using the file does to the next message', async () => {
  await delivered(await post('X-Other'));
  const put = await server.rest('PUT', '/rules/site', { source: rules('X-Other') });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.deepEqual(put.body.used_by.chains, ['guarded']);
  assert.match((await server.heldEntry(LIST, await post('X-Other'))).reason, /Marked by the site rules/);
  await delivered(await post('X-Mark'));
});

test('DELETE is refused while a chain uses the file, and removes an unused one', async () => {
  const inUse = await server.rest('DELETE', '/rules/site');
  assert.equal(inUse.status, 409);
  assert.match(inUse.body.description, /in use by chain guarded/);
  assert.ok(existsSync(siteFile()));

  // Read through another .rules file, by a chain that does not name it: still in use.
  const outer = `use "site.rules"\nrule both "marked and urgent" = marked and header "X-Urgent" exists\n`;
  assert.equal((await server.rest('PUT', '/rules/outer', { source: outer })).status, 200);
  const deep = CHAIN.replace('site.rules', 'outer.rules').replace('guarded', 'deep').replace('if marked', 'if both');
  assert.equal((await server.rest('PUT', '/chains/deep', { source: deep })).status, 200);
  const readers = (await server.rest('GET', '/rules/site')).body.used_by;
  assert.deepEqual(readers, { chains: ['deep', 'guarded'], pipelines: [], rules: ['outer'] });
  const twice = await server.rest('DELETE', '/rules/site');
  assert.match(twice.body.description, /in use by chain deep, chain guarded, rules outer$/);
  assert.equal((await server.rest('DELETE', '/chains/deep')).status, 204);
  assert.equal((await server.rest('DELETE', '/rules/outer')).status, 204);

  assert.equal((await server.rest('PUT', '/rules/spare', { source: rules('X-Spare') })).status, 200);
  const spare = join(server.varDir, 'chains', 'spare.rules');
  assert.ok(existsSync(spare));
  assert.equal((await server.rest('DELETE', '/rules/spare')).status, 204);
  assert.ok(!existsSync(spare));
  assert.equal((await server.rest('GET', '/rules/spare')).status, 404);
  assert.equal((await server.rest('DELETE', '/rules/spare')).status, 404);
});

test('hostile names are refused before anything is read or written', async () => {
  for (const name of ['..%2Fx', '.hidden', 'a%2Fb', 'x'.repeat(500)]) {
    for (const [method, body] of [
      ['PUT', { source: rules('X-Evil') }],
      ['GET', undefined],
      ['DELETE', undefined],
    ] as const) {
      const res = await server.rest(method, `/rules/${name}`, body);
      assert.equal(res.status, 400, `${method} ${name}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.description, /Invalid rules name/);
    }
  }
  const named = await server.rest('POST', '/rules/validate', { name: '../x', source: rules('X') });
  assert.equal(named.status, 400);
  assert.ok(!existsSync(join(server.varDir, 'x.rules')));
  assert.ok(!existsSync(join(server.varDir, 'chains', 'x'.repeat(500) + '.rules')));
  const missing = await server.rest('PUT', '/rules/fine', {});
  assert.equal(missing.status, 400);
});

test('a .rules file broken on disk shows in GET /rules and in mailman status', async () => {
  writeFileSync(join(server.varDir, 'chains', 'broken.rules'), 'let big = 2MB\nrule x = header "A" exits\n');
  const dslStatus = () =>
    JSON.parse(readFileSync(join(server.varDir, 'run', 'dsl.json'), 'utf8')) as {
      rules?: { name: string; status: string }[];
    };
  await server.waitUntil(
    () => dslStatus().rules?.find((r) => r.name === 'broken')?.status === 'error',
    20_000,
    'the status file to show the broken .rules file',
  );
  const get = await server.rest('GET', '/rules/broken');
  assert.equal(get.body.status, 'error');
  assert.equal(get.body.diagnostics[0].line, 2);

  const status = await server.cli(['status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Shared \.rules files: 1 of 2 do not compile/);
  assert.match(status.stdout, /rules broken\n\s+\S*broken\.rules:2:\d+: error MM\d+/);
  const json = JSON.parse((await server.cli(['status', '--json'])).stdout);
  assert.equal(json.chains.rules_not_compiling[0].name, 'broken');
  assert.equal((await server.rest('DELETE', '/rules/broken')).status, 204);
});
