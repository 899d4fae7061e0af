// The map files Postfix reads, written by the real server after every list and domain change
// and compiled by Debian's real postmap (.ci/run installs postfix): the transport map sends
// every list address to our LMTP port, relay_domains names the domains with lists, an alias
// domain gets virtual aliases, a removed list is gone, and `mailman aliases` writes them anew.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { SmtpSink } from '../helpers/smtp-sink.js';

const POSTMAP = '/usr/sbin/postmap';
let sink: SmtpSink;
let server: TestServer;
let extra: string;
/** A throw-away Postfix configuration directory: postmap reads main.cf, which may be empty. */
let postfixConf: string;

/** postmap -q: the value a table gives for a key, or undefined when it has none. */
function lookup(table: string, key: string): Promise<string | undefined> {
  return new Promise((resolve, reject) =>
    execFile(POSTMAP, ['-c', postfixConf, '-q', key, table], (err, stdout, stderr) => {
      if (!err) return resolve(stdout.trim());
      if ((err as { code?: number }).code === 1) return resolve(undefined);
      reject(new Error(`postmap -q ${key} ${table} failed (.ci/run installs postfix): ${stderr || err.message}`));
    }),
  );
}

before(async () => {
  sink = await new SmtpSink().start();
  extra = mkdtempSync(join(tmpdir(), 'mta-maps-'));
  postfixConf = join(extra, 'postfix');
  mkdirSync(postfixConf);
  writeFileSync(join(postfixConf, 'main.cf'), '');
  server = await TestServer.start({
    smtpPort: sink.port,
    config: ['[postfix]', `postmap_command: ${POSTMAP} -c ${postfixConf}`].join('\n'),
  });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
  rmSync(extra, { recursive: true, force: true });
});

const data = (name: string) => join(server.varDir, 'data', name);

/** `mailman -C conf …`, with a configuration of the test's own. */
function cliWith(conf: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [join(PACKAGE_ROOT, 'bin', 'mailman.js'), '-C', conf, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test('creating lists writes the transport map and relay domains, compiled by postmap', async () => {
  await server.createList('ant@example.com');
  await server.createList('bee@example.com');
  const lmtp = readFileSync(data('postfix_lmtp'), 'utf8');
  const target = /lmtp:\[127\.0\.0\.1\]:\d+/.exec(lmtp)![0];
  for (const local of ['ant', 'ant-bounces', 'ant-confirm', 'ant-join', 'ant-leave', 'ant-owner', 'ant-request']) {
    assert.match(lmtp, new RegExp(`^${local}@example\\.com +lmtp:`, 'm'));
    assert.equal(await lookup(`hash:${data('postfix_lmtp')}`, `${local}@example.com`), target);
  }
  assert.equal(await lookup(`hash:${data('postfix_lmtp')}`, 'bee-unsubscribe@example.com'), target);
  assert.equal(await lookup(`hash:${data('postfix_lmtp')}`, 'cat@example.com'), undefined, 'not a list');
  assert.equal(await lookup(`hash:${data('postfix_domains')}`, 'example.com'), 'example.com');
  assert.equal(existsSync(data('postfix_vmap')), false, 'no alias domain, no virtual map');
});

test('removing a list takes its addresses out of the map', async () => {
  assert.equal((await server.rest('DELETE', '/lists/bee.example.com')).status, 204);
  assert.equal(await lookup(`hash:${data('postfix_lmtp')}`, 'bee@example.com'), undefined);
  assert.notEqual(await lookup(`hash:${data('postfix_lmtp')}`, 'ant@example.com'), undefined);
});

test('an alias domain: the transport map uses it, the virtual map sends the real domain to it', async () => {
  assert.equal(
    (await server.rest('POST', '/domains', { mail_host: 'example.org', alias_domain: 'lists.example.net' })).status,
    201,
  );
  await server.createList('cat@example.org');
  const target = await lookup(`hash:${data('postfix_lmtp')}`, 'ant@example.com');
  assert.equal(await lookup(`hash:${data('postfix_lmtp')}`, 'cat-request@lists.example.net'), target);
  assert.equal(
    await lookup(`hash:${data('postfix_vmap')}`, 'cat-request@example.org'),
    'cat-request@lists.example.net',
  );
  assert.equal(await lookup(`hash:${data('postfix_domains')}`, 'lists.example.net'), 'example.org');
  // The alias dropped: the map follows the domain at once.
  assert.equal((await server.rest('PATCH', '/domains/example.org', { alias_domain: '' })).status, 204);
  assert.equal(await lookup(`hash:${data('postfix_lmtp')}`, 'cat@example.org'), target);
  assert.equal(existsSync(data('postfix_vmap')), false);
});

test('mailman aliases writes regex maps where [mta] configuration says, -bounces+VERP included', async () => {
  const cfg = join(extra, 'postfix-mailman.cfg');
  writeFileSync(cfg, '[postfix]\ntransport_file_type: regex\npostmap_command:\n');
  const conf = join(extra, 'mailman.conf');
  writeFileSync(conf, `${readFileSync(server.configFile, 'utf8')}\n[mta]\nconfiguration: ${cfg}\n`);
  const dir = join(extra, 'maps');
  const res = await cliWith(conf, ['aliases', '-d', dir, '--json']);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout).files, [join(dir, 'postfix_lmtp'), join(dir, 'postfix_domains')]);
  const table = `regexp:${join(dir, 'postfix_lmtp')}`;
  assert.match((await lookup(table, 'ant-bounces+anne=example.org@example.com')) ?? '', /^lmtp:/);
  assert.match((await lookup(table, 'ant@example.com')) ?? '', /^lmtp:/);
  assert.equal(await lookup(table, 'antxbounces@example.com'), undefined, 'dots and dashes are literal');
  assert.equal(await lookup(table, 'ant-owner+x@example.com'), undefined, 'only -bounces and -confirm take +detail');
  assert.match((await lookup(`regexp:${join(dir, 'postfix_domains')}`, 'example.com')) ?? '', /^example\.com$/);
});

test('a configuration naming a missing file or an unknown [postfix] key stops the command clearly', async () => {
  const conf = join(extra, 'bad.conf');
  writeFileSync(conf, `${readFileSync(server.configFile, 'utf8')}\n[mta]\nconfiguration: ${join(extra, 'nope.cfg')}\n`);
  const missing = await cliWith(conf, ['aliases']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nope\.cfg does not exist/);
  const cfg = join(extra, 'typo.cfg');
  writeFileSync(cfg, '[postfix]\npostmap_comand: /usr/sbin/postmap\n');
  writeFileSync(conf, `${readFileSync(server.configFile, 'utf8')}\n[mta]\nconfiguration: ${cfg}\n`);
  const typo = await cliWith(conf, ['aliases']);
  assert.notEqual(typo.code, 0);
  assert.match(typo.stderr, /typo\.cfg:2: unknown key "postmap_comand" in \[postfix\]/);
});
