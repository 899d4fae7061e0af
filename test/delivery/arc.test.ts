// DKIM, DMARC and ARC through mailauth with the real services, DNS answered by the test (so
// it runs offline): a signed post verifies into our Authentication-Results, a changed one
// fails, a forged result under our authserv-id is dropped, and the seal each copy gets on its
// way out verifies as a valid ARC chain of one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arc, dkimSign, dkimVerify } from 'mailauth';
import { DeliveryWorld } from './support.js';
import { setDnsResolver } from '../../src/services/dns.js';
import { sealCopy } from '../../src/delivery/handlers/arc-sign.js';

const keys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const sender = keys();
const list = keys();
const pem = (k: ReturnType<typeof keys>) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const txt = (k: ReturnType<typeof keys>) =>
  `v=DKIM1; k=rsa; p=${k.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

const DNS: Record<string, string[][]> = {
  's1._domainkey.example.org': [[txt(sender)]],
  'arc._domainkey.example.com': [[txt(list)]],
  '_dmarc.example.org': [['v=DMARC1; p=reject']],
};

let world: DeliveryWorld;
let dir: string;
before(async () => {
  setDnsResolver(async (name, rrtype) => {
    const found = rrtype === 'TXT' ? DNS[name.toLowerCase()] : undefined;
    if (!found) throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
    return found;
  });
  dir = mkdtempSync(join(tmpdir(), 'arc-'));
  writeFileSync(join(dir, 'arc.pem'), pem(list));
  world = await DeliveryWorld.open(
    [
      '[ARC]',
      'enabled: yes',
      'authserv_id: lists.example.com',
      `privkey: ${join(dir, 'arc.pem')}`,
      'selector: arc',
      'domain: example.com',
    ].join('\n'),
  );
});
after(async () => {
  setDnsResolver(undefined);
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

const POST = [
  'From: Anne <anne@example.org>',
  'To: ant@example.com',
  'Subject: signed',
  'Date: Mon, 07 Dec 2026 04:00:00 +0000',
  'Message-ID: <signed@example.org>',
  '',
  'A signed post.',
  '',
].join('\r\n');

async function signed(extra = ''): Promise<string> {
  const { signatures } = await dkimSign(POST, {
    signatureData: [{ signingDomain: 'example.org', selector: 's1', privateKey: pem(sender) }],
  } as unknown as Parameters<typeof dkimSign>[1]);
  return extra + signatures + POST;
}

test('a DKIM-signed post verifies: dkim and dmarc pass under our authserv-id, at the top', async () => {
  const ctx = await world.run('validate-authenticity', world.ctx(await signed()));
  const lines = ctx.msg.rawLines('authentication-results');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^Authentication-Results: lists\.example\.com;/);
  assert.match(lines[0], /dkim=pass header\.i=@example\.org header\.s=s1/);
  assert.match(lines[0], /dmarc=pass/);
  assert.match(ctx.msg.toBuffer().toString(), /^Authentication-Results: lists\.example\.com;/);
  assert.deepEqual(ctx.msgdata.arc_verdict && (ctx.msgdata.arc_verdict as { cv: string }).cv, 'none');
});

test('a changed body does not verify, and so DMARC fails; a forged result under our id is dropped, others kept', async () => {
  const forged = 'Authentication-Results: lists.example.com; dkim=pass header.d=example.org\r\n';
  const upstream = 'Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.org\r\n';
  const raw = (await signed(forged + upstream)).replace('A signed post.', 'A changed post.');
  const ctx = await world.run('validate-authenticity', world.ctx(raw));
  const lines = ctx.msg.rawLines('authentication-results');
  assert.equal(lines.length, 2);
  assert.match(
    lines[0],
    /^Authentication-Results: lists\.example\.com;[\s\S]*dkim=neutral \(body hash did not verify\)/,
  );
  assert.match(lines[0], /dmarc=fail/);
  assert.match(lines[1], /^Authentication-Results: mx\.example\.org; spf=pass/);
});

test("each copy's ARC seal verifies as a chain of one, over the body as sent", async () => {
  const ctx = await world.run('validate-authenticity', world.ctx(await signed()));
  const sealed = await sealCopy(world.services.config, ctx.msgdata, ctx.msg.toBuffer());
  assert.match(sealed.toString(), /^ARC-Seal: i=1; a=rsa-sha256; [\s\S]*cv=none/);
  const verified = await dkimVerify(sealed, {
    resolver: async (name: string) => {
      const found = DNS[name.toLowerCase()];
      if (!found) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      return found;
    },
  });
  const chain = await arc(verified.arc as Parameters<typeof arc>[0], {
    resolver: async (name: string) => DNS[name.toLowerCase()] ?? [],
  });
  assert.equal(chain.status.result, 'pass');
  assert.equal(chain.i, 1);
  // Our own notices, which never went through verification, start a chain too.
  const notice = await sealCopy(
    world.services.config,
    {},
    Buffer.from('From: ant-owner@example.com\r\nSubject: n\r\n\r\nx\r\n'),
  );
  assert.match(notice.toString(), /^ARC-Seal: i=1;[\s\S]*cv=none/);
});
