// The rules that bring Sympa's scenario conditions to chains: membership of another list
// (member-of), an address file beside the chains (listed-in), the time of arrival (during) and
// DKIM/ARC/DMARC results (authenticated), on real Services and a real database; DNS answers
// come from this process's stand-in resolver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dkimSign } from 'mailauth';
import { RulesHarness, post } from './support.js';
import { setDnsResolver } from '../../src/services/dns.js';
import { compile } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DNS: Record<string, string[][]> = {
  's1._domainkey.example.org': [
    [`v=DKIM1; k=rsa; p=${key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`],
  ],
  '_dmarc.example.org': [['v=DMARC1; p=reject']],
};

let h: RulesHarness;
before(async () => {
  h = await RulesHarness.start();
  setDnsResolver(async (name) => {
    const found = DNS[name.toLowerCase()];
    if (!found) throw Object.assign(new Error(`no record for ${name}`), { code: 'ENOTFOUND' });
    return found;
  });
});
after(async () => {
  setDnsResolver(undefined);
  await h?.close();
});

test('member-of: a sender subscribed to another list, in a role; a missing list misses', async () => {
  const staff = await h.services.lists.create('staff@example.com');
  await h.services.members.subscribe(staff, 'anne@example.org', { role: 'member' });
  await h.services.members.subscribe(staff, 'olga@example.org', { role: 'owner' });
  const hit = async (from: string, args: Record<string, unknown>) =>
    (await h.check('member-of', post({ from }), { args })).hit;
  assert.equal(await hit('anne@example.org', { list: 'staff@example.com' }), true);
  assert.equal(await hit('anne@example.org', { list: 'staff.example.com' }), true, 'by list-id too');
  assert.equal(await hit('bob@example.org', { list: 'staff@example.com' }), false);
  assert.equal(await hit('olga@example.org', { list: 'staff@example.com' }), false, 'an owner is not a member');
  assert.equal(await hit('olga@example.org', { list: 'staff@example.com', role: 'owner' }), true);
  assert.equal(await hit('anne@example.org', { list: 'nosuch@example.com' }), false);
});

test('listed-in: addresses and @domains from a file in the chain directory, read again when it changes', async () => {
  const dir = h.services.config.path('dsl', 'chain_dir');
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/trusted.txt`, '# people we trust\nAnne@Example.org\n@partner.example  # all of them\n');
  const hit = async (from: string, file = 'trusted.txt') =>
    (await h.check('listed-in', post({ from }), { args: { file } })).hit;
  assert.equal(await hit('anne@example.org'), true);
  assert.equal(await hit('zed@partner.example'), true);
  assert.equal(await hit('zed@evil-partner.example'), false);
  assert.equal(await hit('bob@example.org'), false);
  writeFileSync(`${dir}/trusted.txt`, 'bob@example.org\n');
  assert.equal(await hit('bob@example.org'), true, 'the new file is read');
  assert.equal(await hit('anne@example.org'), false);
  assert.equal(await hit('bob@example.org', 'missing.txt'), false);
  assert.equal(await hit('bob@example.org', '../mailman.cfg'), false, 'never outside the directory');
});

test('during: the weekday and hour of arrival, in a time zone', async () => {
  const now = new Date();
  const today = now.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' }).toLowerCase();
  const hour = now.getUTCHours();
  const other = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].filter(
    (d) => d !== today,
  );
  const hit = async (args: Record<string, unknown>) =>
    (await h.check('during', post(), { args: { timezone: 'UTC', ...args } })).hit;
  assert.equal(await hit({ days: [today] }), true);
  assert.equal(await hit({ days: [today.slice(0, 3)] }), true, 'three letters do');
  assert.equal(await hit({ days: other }), false);
  assert.equal(await hit({ hours: `${hour}-${(hour + 1) % 24}` }), true);
  assert.equal(await hit({ hours: `${(hour + 1) % 24}-${hour}` }), false, 'the rest of the day, past midnight');
  assert.equal(await hit({ days: [today], hours: `${(hour + 2) % 24}-${(hour + 3) % 24}` }), false, 'both must hold');
});

test('authenticated: DKIM (aligned or not) and DMARC pass on a signed post, fail once it is altered', async () => {
  const raw = post({ from: 'Anne <anne@example.org>' }).replace(/\n/g, '\r\n');
  const { signatures } = await dkimSign(raw, {
    signatureData: [
      {
        signingDomain: 'example.org',
        selector: 's1',
        privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    ],
  } as unknown as Parameters<typeof dkimSign>[1]);
  const signed = signatures + raw;
  const hit = async (text: string, args: Record<string, unknown>) =>
    (await h.check('authenticated', text, { args })).hit;
  assert.equal(await hit(signed, { by: 'dkim' }), true);
  assert.equal(await hit(signed, { by: 'dkim', aligned: true }), true);
  assert.equal(await hit(signed, { by: 'dmarc' }), true);
  assert.equal(await hit(signed, { by: 'arc' }), false, 'no ARC set on it');
  const altered = signed.replace('Hello, list.', 'Hello, list!');
  assert.equal(await hit(altered, { by: 'dkim' }), false);
  assert.equal(await hit(altered, { by: 'dmarc' }), false);
  assert.equal(await hit(raw, { by: 'dkim' }), false, 'unsigned');
});

test('their arguments are checked when the chain compiles (MM403, with the reason)', () => {
  const report = (link: string) =>
    compile(`chain t {\n    if ${link} then hold\n    accept\n}\n`, 't.chain', { registry }).diagnostics.map(
      (d) => `${d.code} ${d.line}: ${d.message}`,
    );
  assert.deepEqual(report('member-of(list: "staff@example.com")'), []);
  assert.deepEqual(report('listed-in(file: "trusted.txt") and during(days: ["sat", "sunday"], hours: "22-6")'), []);
  assert.deepEqual(report('authenticated(by: "dmarc")'), []);
  for (const [link, why] of [
    ['member-of(list: "not a list")', /is not a list address or list-id/],
    ['member-of(list: "a@b.example", role: "admin")', /the roles are member, owner, moderator, nonmember/],
    ['listed-in(file: "../../mailman.cfg")', /not a file name in the chain directory/],
    ['listed-in(file: "/etc/passwd")', /not a file name in the chain directory/],
    ['during(days: ["someday"])', /"someday" is not a weekday/],
    ['during(hours: "9 to 5")', /is not hours as "9-17"/],
    ['during(timezone: "Mars/Olympus")', /is not a time zone/],
    ['authenticated(by: "spf")', /by is one of dkim, arc, dmarc/],
  ] as const) {
    const [d, ...rest] = report(link);
    assert.equal(rest.length, 0, `${link}: ${rest}`);
    assert.match(d ?? '', /^MM403 2: /, link);
    assert.match(d ?? '', why, link);
  }
});
