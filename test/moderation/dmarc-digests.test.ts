// dmarc-mitigation against a stand-in DNS (no network in tests: the process resolver,
// services.dns, is replaced in this process), and the digests rule under [mailman] hold_digest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from './support.js';
import { organizationalDomain } from '../../src/moderation/rules/dmarc-mitigation.js';
import { setDnsResolver } from '../../src/services/dns.js';
import { DIGEST_MASTHEAD } from '../../src/moderation/rules/digests.js';

/** A zone: name -> TXT records, or an error code. */
const zone: Record<string, string[][] | string> = {
  '_dmarc.strict.example': [['v=DMARC1; p=reject; rua=mailto:d@strict.example']],
  '_dmarc.quiet.example': [['v=DMARC1;', ' p=quarantine']],
  '_dmarc.relaxed.example': [['v=DMARC1; p=none']],
  '_dmarc.double.example': [['v=DMARC1; p=none'], ['v=DMARC1; p=reject']],
  '_dmarc.sub-only.example': [['v=DMARC1; sp=quarantine;']],
  '_dmarc.no-policy.example': [['v=DMARC1; pct=100;']],
  '_dmarc.old.example': [['v=DMARC01; p=reject;']],
  '_dmarc.parent.example': [['v=DMARC1; p=none; sp=reject']],
  '_dmarc.spf-only.example': [['v=spf1 -all']],
  '_dmarc.broken.example': 'ESERVFAIL',
};
const asked: string[] = [];

let h: RulesHarness;
before(async () => {
  h = await RulesHarness.start('[mailman]\nhold_digest: yes\n');
  setDnsResolver(async (name) => {
    asked.push(name);
    const v = zone[name];
    if (v === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    if (typeof v === 'string') throw Object.assign(new Error(`queryTxt ${v} ${name}`), { code: v });
    return v;
  });
});
after(async () => {
  setDnsResolver(undefined);
  await h?.close();
});

const from = (email: string) => post({ from: `Someone <${email}>` });

test('no_mitigation (the default) never looks anything up', async () => {
  asked.length = 0;
  const r = await h.check('dmarc-mitigation', from('a@strict.example'));
  assert.equal(r.hit, false);
  assert.deepEqual(asked, []);
  assert.equal(r.ctx.msgdata.dmarc, undefined);
});

test('munge_from and wrap_message only flag the post for the dmarc handler', async () => {
  for (const action of ['munge_from', 'wrap_message']) {
    await h.set({ dmarc_mitigate_action: action });
    const r = await h.check('dmarc-mitigation', from('a@strict.example'));
    assert.equal(r.hit, false, action);
    assert.equal(r.ctx.msgdata.dmarc, true);
    assert.equal(r.ctx.msgdata.dmarc_action, undefined);
    assert.equal((await h.check('dmarc-mitigation', from('a@relaxed.example'))).ctx.msgdata.dmarc, undefined);
  }
});

test("reject hits with the notice (or the list's own) as reason; discard hits too", async () => {
  await h.set({ dmarc_mitigate_action: 'reject' });
  const r = await h.check('dmarc-mitigation', from('a@strict.example'), {
    msgdata: { moderation_reasons: ['earlier'] },
  });
  assert.equal(r.hit, true);
  assert.equal(r.ctx.msgdata.dmarc, true);
  assert.deepEqual(r.msgdata, { dmarc_action: 'reject', moderation_sender: 'a@strict.example' });
  assert.equal(r.reasons!.length, 1);
  assert.match(r.reasons![0], /DMARC.*ant-owner@example\.com/s);
  await h.set({ dmarc_moderation_notice: 'No DMARC-strict domains here.' });
  assert.deepEqual(
    (await h.check('dmarc-mitigation', from('a@quiet.example'))).reasons,
    ['No DMARC-strict domains here.'],
    'quarantine counts too',
  );
  await h.set({ dmarc_mitigate_action: 'discard' });
  const d = await h.check('dmarc-mitigation', from('a@strict.example'));
  assert.deepEqual(d.msgdata, { dmarc_action: 'discard', moderation_sender: 'a@strict.example' });
  assert.deepEqual(d.reasons, ['DMARC moderation']);
});

test('the policy lookup: own domain, then the organizational domain (sp= first there), several records are no policy', async () => {
  await h.set({ dmarc_mitigate_action: 'discard' });
  const hits = async (email: string) => (await h.check('dmarc-mitigation', from(email))).hit;
  assert.equal(await hits('a@relaxed.example'), false);
  assert.equal(await hits('a@spf-only.example'), false);
  assert.equal(await hits('a@double.example'), false, 'two DMARC records: no policy (RFC 7489 6.6.3)');
  assert.equal(await hits('a@sub-only.example'), false, 'sp= does not apply to the domain itself');
  assert.equal(await hits('a@deep.sub-only.example'), true, 'but to its subdomains');
  assert.equal(await hits('a@no-policy.example'), false);
  assert.equal(await hits('a@old.example'), false, 'only v=DMARC1 records count');
  asked.length = 0;
  assert.equal(await hits('a@mail.parent.example'), true, 'the subdomain policy of the parent');
  assert.deepEqual(asked, ['_dmarc.mail.parent.example', '_dmarc.parent.example']);
  assert.equal(await hits('a@parent.example'), false, 'p=none on the domain itself');
  assert.equal(await hits('a@nowhere.example'), false);
  // A failing lookup is logged and mitigates, as in Mailman 3.3 (a policy may be there unseen).
  assert.equal(await hits('a@broken.example'), true);
  // The Public Suffix List decides, not the last two labels.
  assert.equal(organizationalDomain('a.b.example.co.uk'), 'example.co.uk');
  assert.equal(organizationalDomain('lists.example.com.au'), 'example.com.au');
  assert.equal(organizationalDomain('example.org'), 'example.org');
  await h.set({ dmarc_mitigate_action: 'no_mitigation' });
});

test('digests: a digest Subject or at least four masthead lines, only with hold_digest', async () => {
  assert.equal((await h.check('digests', post({ subject: 'Ant Digest, Vol 3, Issue 12' }))).hit, true);
  assert.equal((await h.check('digests', post({ subject: 'Re: Ant Digest, Vol 3, Issue 12 (more)' }))).hit, false);
  const lines = DIGEST_MASTHEAD.split('\n').filter((l) => l.trim() && !l.includes('$'));
  assert.ok(lines.length >= 4);
  const quoted = await h.check(
    'digests',
    post({
      subject: 'Re: stuff',
      body: `I think so.\n\n${lines
        .slice(0, 4)
        .map((l) => `> ${l}`)
        .join('\n')}\n`,
    }),
  );
  assert.equal(quoted.hit, true);
  assert.deepEqual(quoted.reasons, ['Message quotes digest boilerplate']);
  assert.equal(
    (await h.check('digests', post({ subject: 'Re: stuff', body: lines.slice(0, 3).join('\n') }))).hit,
    false,
  );
});

test('digests is off by default', async () => {
  const plain = await RulesHarness.start();
  try {
    assert.equal((await plain.check('digests', post({ subject: 'Ant Digest, Vol 3, Issue 12' }))).hit, false);
  } finally {
    await plain.close();
  }
});
