// The archivers' settings and URLs, and the archive runner's Date rule, called in this process:
// which component an [archiver.NAME] section runs, a configuration file's [general] keys under
// the section's own, and the URLs each archiver gives a list and a post.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, ConfigError } from '../../src/config/config.js';
import { archiverComponentName, archiverFileSettings, archiverSetting } from '../../src/config/archiver-settings.js';
import { buildRegistry, type ArchiverContext } from '../../src/registry.js';
import { Message, messageIdHash } from '../../src/email/message.js';
import { shouldClobber } from '../../src/runners/archive.js';
import type { MailingList } from '../../src/model/entities.js';
import type { Services } from '../../src/services/services.js';

const DAY = 86_400_000;
const mlist = { list_name: 'ant', mail_host: 'example.com', list_id: 'ant.example.com', archive_policy: 'public' };
const post = new Message(Buffer.from('Message-ID: <p1@example.org>\r\nSubject: hi\r\n\r\nbody\r\n'));
const hash = messageIdHash('<p1@example.org>');

function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> | void {
  const dir = mkdtempSync(join(tmpdir(), 'mm-archivers-'));
  const done = () => rmSync(dir, { recursive: true, force: true });
  try {
    const r = fn(dir);
    if (r instanceof Promise) return r.finally(done);
    done();
  } catch (err) {
    done();
    throw err;
  }
}

function contextFor(config: Config, name: string): ArchiverContext {
  const file = archiverFileSettings(config, name);
  return {
    config,
    services: {} as Services,
    setting: (key) => archiverSetting(config, name, file, key),
    timeoutMs: config.durationMs(`archiver.${name}`, 'timeout'),
  };
}

test("a section runs the archiver its class names, Mailman's class paths included, else its own name", () => {
  const c = Config.load({
    overrides: {
      'archiver.mail_archive': { enable: 'yes' },
      'archiver.site': { class: 'mailman_hyperkitty.Archiver' },
      'archiver.local': { class: 'prototype' },
    },
  });
  assert.equal(archiverComponentName(c, 'mail_archive'), 'mail-archive');
  assert.equal(archiverComponentName(c, 'site'), 'hyperkitty');
  assert.equal(archiverComponentName(c, 'local'), 'prototype');
});

test("a configuration file's [general] keys apply unless the section sets them; python: values read as none", () =>
  withDir((dir) => {
    const file = join(dir, 'hyperkitty.cfg');
    writeFileSync(file, '[general]\nbase_url: http://hk.example.com/archives\napi_key: FromTheFile\n[other]\nx: y\n');
    const c = Config.load({
      overrides: {
        'archiver.hyperkitty': { configuration: file, api_key: 'FromTheSection' },
        'archiver.mhonarc': { configuration: 'python:mailman.config.mhonarc' },
        'archiver.missing': { configuration: join(dir, 'absent.cfg') },
      },
    });
    const hk = contextFor(c, 'hyperkitty');
    assert.equal(hk.setting('base_url'), 'http://hk.example.com/archives');
    assert.equal(hk.setting('api_key'), 'FromTheSection');
    assert.equal(hk.setting('x'), '', 'only [general] counts');
    assert.equal(contextFor(c, 'mhonarc').setting('command'), '');
    assert.throws(() => archiverFileSettings(c, 'missing'), ConfigError);
  }));

test('the archiver section stays strict: an unknown key is refused at load', () => {
  assert.throws(() => Config.load({ overrides: { 'archiver.prototype': { colour: 'blue' } } }), /unknown key "colour"/);
});

/** A stand-in for HyperKitty's URL API: base_url/api/mailman/urls answers as HyperKitty does. */
async function urlApi(): Promise<{ base: string; asked: string[]; close: () => Promise<void> }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(`${req.headers.authorization} ${url.pathname}?${url.searchParams}`);
    const mlist = url.searchParams.get('mlist');
    const msgid = url.searchParams.get('msgid');
    const page = msgid ? `message/${messageIdHash(msgid)}/` : '';
    res.setHeader('content-type', 'application/javascript');
    res.end(JSON.stringify({ url: `https://public.example.com/hyperkitty/list/${mlist}/${page}` }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hyperkitty/`;
  return { base, asked, close: () => new Promise((r) => server.close(() => r())) };
}

test('each archiver gives the URLs Mailman and HyperKitty use', async () => {
  const registry = await buildRegistry();
  assert.deepEqual(registry.archivers.names(), ['hyperkitty', 'mail-archive', 'mhonarc', 'prototype']);
  const hyperkitty = await urlApi();
  // A port nothing listens on: HyperKitty cannot answer, so its URL scheme is used.
  const closed = await urlApi();
  await closed.close();
  const c = Config.load({
    overrides: {
      'archiver.hyperkitty': { base_url: hyperkitty.base, api_key: 'sekrit' },
      'archiver.down': { class: 'hyperkitty', base_url: closed.base, api_key: 'sekrit' },
      'archiver.mhonarc': { base_url: 'http://$hostname/archives/$list_id' },
    },
  });
  const list = mlist as MailingList;
  const get = (name: string) => registry.archivers.get(name)!;
  const urls = async (name: string, section = name) => {
    const ctx = contextFor(c, section);
    return [await get(name).listUrl(ctx, list), await get(name).permalink(ctx, list, post)];
  };
  assert.deepEqual(await urls('mail-archive', 'mail_archive'), [
    'https://www.mail-archive.com/ant%40example.com',
    `https://www.mail-archive.com/${hash}`,
  ]);
  assert.deepEqual(await urls('hyperkitty'), [
    'https://public.example.com/hyperkitty/list/ant@example.com/',
    `https://public.example.com/hyperkitty/list/ant@example.com/message/${hash}/`,
  ]);
  assert.deepEqual(hyperkitty.asked, [
    'Token sekrit /hyperkitty/api/mailman/urls?mlist=ant%40example.com',
    `Token sekrit /hyperkitty/api/mailman/urls?mlist=ant%40example.com&msgid=${encodeURIComponent(post.messageId!)}`,
  ]);
  await urls('hyperkitty');
  assert.equal(hyperkitty.asked.length, 3, "the list's URL is kept; each post's is asked");
  await hyperkitty.close();
  assert.deepEqual(await urls('hyperkitty', 'down'), [
    `${closed.base}list/ant@example.com/`,
    `${closed.base}list/ant@example.com/message/${hash}/`,
  ]);
  assert.deepEqual(await urls('mhonarc'), [
    'http://example.com/archives/ant.example.com',
    `http://example.com/archives/ant.example.com/${hash}`,
  ]);
  assert.deepEqual(await urls('prototype'), [undefined, undefined]);
  const privateList = { ...mlist, archive_policy: 'private' } as MailingList;
  const ma = contextFor(c, 'mail_archive');
  assert.equal(get('mail-archive').permalink(ma, privateList, post), undefined, 'no public page for a private archive');
});

test("clobber_date: always, never, and maybe's missing, unreadable and skewed dates", () => {
  const now = Date.parse('Mon, 07 Dec 2026 04:00:00 +0000');
  const fresh = 'Mon, 07 Dec 2026 03:00:00 +0000';
  assert.equal(shouldClobber(fresh, 'always', DAY, now), true);
  assert.equal(shouldClobber(fresh, 'never', DAY, now), false);
  assert.equal(shouldClobber(undefined, 'never', DAY, now), true, 'a missing Date is always given one');
  assert.equal(shouldClobber(fresh, 'maybe', DAY, now), false);
  assert.equal(shouldClobber('Sat, 05 Dec 2026 03:00:00 +0000', 'maybe', DAY, now), true);
  assert.equal(shouldClobber('Tue, 08 Dec 2026 05:00:00 +0000', 'maybe', DAY, now), true, 'in the future too');
  assert.equal(shouldClobber('Tue, 18 Jun 0102 05:12:09 +0500', 'maybe', DAY, now), true);
  assert.equal(shouldClobber('yesterday-ish', 'maybe', DAY, now), true);
});
