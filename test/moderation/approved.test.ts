// The approved rule: the moderator password in a header or the first body line, checked
// against the list's (hashed) moderator_password, and never delivered to the members.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from './support.js';
import { hashPassword } from '../../src/services/passwords.js';
import type { MimePart } from '../../src/email/mime-tree.js';

let h: RulesHarness;
before(async () => {
  h = await RulesHarness.start();
});
after(async () => h?.close());

test('without a moderator password the rule misses and leaves the message alone', async () => {
  const r = await h.check('approved', post({ extra: ['Approved: secret'] }));
  assert.equal(r.hit, false);
  assert.equal(r.ctx.msg.get('approved'), 'secret');
  assert.equal(r.ctx.msgdata.has_approved, undefined);
});

test('each of the four headers carries the password; all four are removed, valid or not', async () => {
  await h.set({ moderator_password: hashPassword('s3cret') });
  for (const name of ['Approved', 'Approve', 'X-Approved', 'X-Approve']) {
    const r = await h.check(
      'approved',
      post({ extra: [`${name}: s3cret`, ...(name === 'X-Approved' ? ['Approved-By: x'] : ['X-Approved: other'])] }),
    );
    assert.equal(r.hit, true, name);
    assert.equal(r.ctx.msgdata.has_approved, true);
    for (const gone of ['approved', 'approve', 'x-approved', 'x-approve'])
      assert.equal(r.ctx.msg.has(gone), false, `${gone} removed`);
  }
  // Mailman's order: Approve, Approved, X-Approve, X-Approved; the first present is the password.
  assert.equal((await h.check('approved', post({ extra: ['X-Approve: s3cret', 'Approved: other'] }))).hit, false);
  const wrong = await h.check('approved', post({ extra: ['Approved: guess'] }));
  assert.equal(wrong.hit, false);
  assert.equal(wrong.ctx.msgdata.has_approved, true, 'a password was present');
  assert.equal(wrong.ctx.msg.has('approved'), false, 'a wrong password is not delivered either');
  const none = await h.check('approved', post());
  assert.equal(none.hit, false);
  assert.equal(none.ctx.msgdata.has_approved, undefined);
});

test('under explain (dryRun) the headers stay', async () => {
  const r = await h.check('approved', post({ extra: ['Approved: s3cret'] }), { dryRun: true });
  assert.equal(r.hit, true);
  assert.equal(r.ctx.msg.get('approved'), 's3cret');
});

test('the first non-blank body line may carry it; the line is removed from the body', async () => {
  const r = await h.check(
    'approved',
    post({ body: '\n\nApproved: s3cret\nThe real text.\nApproved: s3cret stays here' }),
  );
  assert.equal(r.hit, true);
  const body = r.ctx.msg.body.toString();
  assert.doesNotMatch(body.split('\n').slice(0, 3).join('\n'), /Approved/);
  assert.match(body, /^\r?\n\r?\nThe real text\.\r?\nApproved: s3cret stays here/);
  // Not the first non-blank line: not a password.
  const later = await h.check('approved', post({ body: 'Hello\nApproved: s3cret\n' }));
  assert.equal(later.hit, false);
  assert.match(later.ctx.msg.body.toString(), /Approved: s3cret/);
  // A wrong password in the body is removed all the same.
  const wrong = await h.check('approved', post({ body: 'Approve: nope\nText\n' }));
  assert.equal(wrong.hit, false);
  assert.doesNotMatch(wrong.ctx.msg.body.toString(), /nope/);
});

test('in a multipart/alternative post the line goes from the plain part and the pseudo-header from the HTML', async () => {
  const qpHtml = '<p>Approved:&nbsp;s3cret</p><p>Hello =E2=9C=93</p>';
  const raw = [
    'From: anne@example.org',
    'To: ant@example.com',
    'Subject: Q',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    'preamble',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('Approved: s3cret\nHello \u2713\n').toString('base64'),
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qpHtml,
    '--alt--',
    'epilogue',
    '',
  ].join('\n');
  const r = await h.check('approved', raw);
  assert.equal(r.hit, true);
  const parts: MimePart[] = [...r.ctx.msg.mime().walk()];
  assert.deepEqual(
    parts.map((p) => p.type),
    ['multipart/alternative', 'text/plain', 'text/html'],
  );
  assert.equal(parts[1].decodedText(), 'Hello \u2713\n');
  assert.equal(parts[2].decodedText().replace(/\r?\n$/, ''), '<p></p><p>Hello \u2713</p>');
  const whole = r.ctx.msg.toBuffer().toString();
  assert.doesNotMatch(whole, /s3cret/);
  assert.match(whole, /preamble/);
  assert.match(whole, /--alt--\r?\nepilogue/);
});

test('a password stored in clear (imported) is compared as is', async () => {
  await h.set({ moderator_password: 'plain' });
  try {
    assert.equal((await h.check('approved', post({ extra: ['Approved: plain'] }))).hit, true);
    assert.equal((await h.check('approved', post({ extra: ['Approved: plainer'] }))).hit, false);
  } finally {
    await h.set({ moderator_password: null });
  }
});
