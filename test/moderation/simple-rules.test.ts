// The rules that read only the message and the list's settings: hit and miss cases on real
// messages, with what each records for the hold notice and the moderators.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from './support.js';

let h: RulesHarness;
before(async () => {
  h = await RulesHarness.start();
});
after(async () => h?.close());

test('truth always hits and any hits once something was recorded as a hit', async () => {
  assert.equal((await h.check('truth', post())).hit, true);
  assert.equal((await h.check('any', post())).hit, false);
  assert.equal((await h.check('any', post(), { msgdata: { rule_hits: [] } })).hit, false);
  assert.equal((await h.check('any', post(), { msgdata: { rule_hits: ['no-subject'] } })).hit, true);
});

test('emergency holds everything unless a moderator already approved it', async () => {
  assert.equal((await h.check('emergency', post())).hit, false);
  await h.set({ emergency: true });
  try {
    const r = await h.check('emergency', post());
    assert.equal(r.hit, true);
    assert.deepEqual(r.msgdata, { moderation_sender: 'anne@example.org' });
    assert.match(r.reasons![0], /Emergency moderation/);
    assert.equal((await h.check('emergency', post(), { msgdata: { moderator_approved: true } })).hit, false);
  } finally {
    await h.set({ emergency: false });
  }
});

test('no-senders hits only when no sender header holds an address', async () => {
  assert.equal((await h.check('no-senders', post())).hit, false);
  const r = await h.check('no-senders', 'To: ant@example.com\nSubject: who?\n\nbody\n');
  assert.equal(r.hit, true);
  assert.equal(r.msgdata?.moderation_sender, 'N/A');
  // Reply-To counts as a sender ([mailman] sender_headers).
  assert.equal((await h.check('no-senders', 'Reply-To: x@example.net\nSubject: s\n\nbody\n')).hit, false);
  assert.equal((await h.check('no-senders', 'From: not an address\nSubject: s\n\nbody\n')).hit, true);
});

test('no-subject hits on a missing or blank Subject', async () => {
  assert.equal((await h.check('no-subject', post())).hit, false);
  assert.equal((await h.check('no-subject', post({ subject: null }))).hit, true);
  const blank = await h.check('no-subject', post({ subject: '   ' }));
  assert.equal(blank.hit, true);
  assert.deepEqual(blank.reasons, ['Message has no subject']);
  assert.equal((await h.check('no-subject', post({ subject: '=?utf-8?q?Gr=C3=BC=C3=9Fe?=' }))).hit, false);
});

test('news-moderation hits only for a moderated newsgroup gateway', async () => {
  assert.equal((await h.check('news-moderation', post())).hit, false);
  await h.set({ newsgroup_moderation: 'open_moderated' });
  assert.equal((await h.check('news-moderation', post())).hit, false);
  await h.set({ newsgroup_moderation: 'moderated' });
  try {
    assert.equal((await h.check('news-moderation', post())).hit, true);
  } finally {
    await h.set({ newsgroup_moderation: 'none' });
  }
});

test('loop hits when the List-Post header names this list', async () => {
  assert.equal((await h.check('loop', post({ extra: ['List-Post: <mailto:bee@example.com>'] }))).hit, false);
  const loop = await h.check('loop', post({ extra: ['List-Post: <mailto:ant@example.com>'] }));
  assert.equal(loop.hit, true);
  assert.equal(loop.msgdata?.moderation_sender, 'anne@example.org');
  assert.equal(
    (await h.check('loop', post({ extra: ['List-Post: ANT@example.com'] }))).hit,
    true,
    'a bare address too',
  );
  assert.equal((await h.check('loop', post())).hit, false);
});

test('max-recipients: at least the limit of To and Cc addresses hits; 0 turns it off', async () => {
  const to = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.net`).join(', ');
  // The list's default is 10; the chain hands the rule its setting as `limit`.
  assert.equal(h.mlist.max_num_recipients, 10);
  assert.equal((await h.check('max-recipients', post({ to: to(9) }), { args: { limit: 10 } })).hit, false);
  const r = await h.check('max-recipients', post({ to: to(6), extra: [`Cc: ${to(4)}`] }), { args: { limit: 10 } });
  assert.equal(r.hit, true, 'ten is "at least ten"');
  // Mailman 3.3.8's words, limit and all (its test is "at least" too).
  assert.deepEqual(r.reasons, ['Message has more than 10 recipients']);
  assert.equal(r.msgdata?.moderation_sender, 'anne@example.org');
  assert.equal((await h.check('max-recipients', post({ to: to(50) }), { args: { limit: 0 } })).hit, false);
  // Without an argument the list's setting applies.
  assert.equal((await h.check('max-recipients', post({ to: to(10) }))).hit, true);
});

test('max-size: bigger than the limit (KB in the setting, bytes as the argument) hits; 0 is off', async () => {
  const big = post({ body: 'x'.repeat(41 * 1024) });
  assert.equal(h.mlist.max_message_size, 40);
  const hit = await h.check('max-size', big, { args: { limit: 40 * 1024 } });
  assert.equal(hit.hit, true);
  assert.deepEqual(hit.reasons, ['The message is larger than the 40 KB maximum size']);
  assert.deepEqual((await h.check('max-size', big, { args: { limit: 4 * 1024 } })).reasons, [
    'The message is larger than the 4 KB maximum size',
  ]);
  assert.equal((await h.check('max-size', post(), { args: { limit: 40 * 1024 } })).hit, false);
  assert.equal((await h.check('max-size', big, { args: { limit: 0 } })).hit, false);
  // The size is the message as received when the LMTP server recorded it.
  assert.equal(
    (await h.check('max-size', post(), { args: { limit: 1024 }, msgdata: { original_size: 1025 } })).hit,
    true,
  );
  assert.equal(
    (await h.check('max-size', post(), { args: { limit: 1024 }, msgdata: { original_size: 1024 } })).hit,
    false,
  );
  // No argument: the list's setting, in KB.
  const r = await h.check('max-size', big);
  assert.equal(r.hit, true);
  assert.match(r.reasons![0], /than the 40 KB maximum size/);
});

test('administrivia: a command word in the Subject or the first body lines, with the right argument count', async () => {
  assert.equal((await h.check('administrivia', post({ subject: 'unsubscribe' }))).hit, true);
  assert.equal(
    (await h.check('administrivia', post({ subject: 'Unsubscribe me' }))).hit,
    true,
    'unsubscribe takes 0 or 1 words',
  );
  assert.equal((await h.check('administrivia', post({ subject: 'unsubscribe me from this list' }))).hit, false);
  assert.equal(
    (await h.check('administrivia', post({ subject: 'Help with my code' }))).hit,
    false,
    'help takes no argument',
  );
  assert.equal((await h.check('administrivia', post({ subject: 'Question', body: '\n\nsubscribe\n' }))).hit, true);
  assert.equal((await h.check('administrivia', post({ subject: 'Question', body: 'confirm abc123' }))).hit, true);
  assert.equal(
    (await h.check('administrivia', post({ subject: 'Question', body: 'set digest on please now' }))).hit,
    false,
    'set takes exactly 3',
  );
  // Only the first [mailman] email_commands_max_lines (10) non-blank lines are read.
  const late = Array.from({ length: 10 }, (_, i) => `line ${i} of prose`).join('\n\n') + '\nunsubscribe\n';
  assert.equal((await h.check('administrivia', post({ subject: 'Long', body: late }))).hit, false);
  const ninth = Array.from({ length: 9 }, (_, i) => `line ${i} of prose`).join('\n\n') + '\nunsubscribe\n';
  assert.equal((await h.check('administrivia', post({ subject: 'Long', body: ninth }))).hit, true);
  // Only the first text/plain part counts, decoded.
  const mime = [
    'From: anne@example.org',
    'To: ant@example.com',
    'Subject: Q',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/html',
    '',
    '<p>unsubscribe</p>',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('unsubscribe\n').toString('base64'),
    '--b1--',
    '',
  ].join('\n');
  assert.equal((await h.check('administrivia', mime)).hit, true);
  await h.set({ administrivia: false });
  try {
    assert.equal((await h.check('administrivia', post({ subject: 'unsubscribe' }))).hit, false);
  } finally {
    await h.set({ administrivia: true });
  }
});

test('implicit-dest: the list or an acceptable alias must be in To, Cc, Resent-To or Resent-Cc', async () => {
  assert.equal((await h.check('implicit-dest', post())).hit, false);
  assert.equal((await h.check('implicit-dest', post({ to: 'Ants <ANT@Example.com>' }))).hit, false);
  const bcc = await h.check('implicit-dest', post({ to: 'someone@example.net' }));
  assert.equal(bcc.hit, true);
  assert.deepEqual(bcc.reasons, ['Message has implicit destination']);
  assert.equal(
    (await h.check('implicit-dest', post({ to: 'someone@example.net', extra: ['Resent-Cc: ant@example.com'] }))).hit,
    false,
  );
  await h.set({ acceptable_aliases: ['ants@example.org', '^.*@ants\\.example\\.net$', '^bad[regex'] });
  try {
    const reloaded = (await h.services.lists.get('ant.example.com'))!;
    assert.deepEqual(
      reloaded.acceptable_aliases,
      ['ants@example.org', '^.*@ants\\.example\\.net$', '^bad[regex'],
      'stored and read back as a list',
    );
    assert.equal((await h.check('implicit-dest', post({ to: 'ants@example.org' }))).hit, false);
    assert.equal((await h.check('implicit-dest', post({ to: 'all@ants.example.net' }))).hit, false);
    assert.equal((await h.check('implicit-dest', post({ to: 'all@ants.example.net.evil' }))).hit, true);
    // A malformed regex is taken literally instead of failing.
    assert.equal((await h.check('implicit-dest', post({ to: 'someone@example.net' }))).hit, true);
    await h.set({ require_explicit_destination: false });
    assert.equal((await h.check('implicit-dest', post({ to: 'someone@example.net' }))).hit, false);
  } finally {
    await h.set({ acceptable_aliases: [], require_explicit_destination: true });
  }
  assert.equal(
    (await h.check('implicit-dest', post({ to: 'someone@example.net' }), { msgdata: { fromusenet: true } })).hit,
    false,
  );
});

test("suspicious-header: the list's bounce_matching_headers lines, ignoring case; bad lines skipped", async () => {
  // Mailman's stock lines are the default.
  assert.match(String(h.mlist.bounce_matching_headers), /^to: friend@public\.com$/m);
  assert.equal((await h.check('suspicious-header', post({ to: 'Friend@Public.com' }))).hit, true);
  assert.equal((await h.check('suspicious-header', post())).hit, false);
  await h.set({ bounce_matching_headers: '# spam\nno colon here\nx-spam-flag: [bad\nX-Spam-Flag: ^yes\n' });
  try {
    const r = await h.check('suspicious-header', post({ extra: ['X-Spam-Flag: YES'] }));
    assert.equal(r.hit, true);
    assert.match(r.reasons![0], /x-spam-flag/);
    assert.equal((await h.check('suspicious-header', post({ extra: ['X-Spam-Flag: no'] }))).hit, false);
  } finally {
    await h.set({ bounce_matching_headers: '' });
  }
  assert.equal((await h.check('suspicious-header', post({ to: 'friend@public.com' }))).hit, false);
});

test('header-match: a header in any MIME part, decoded, ignoring case; records as header-match-SUFFIX', async () => {
  const args = { header: 'X-Spam', pattern: 'viagra', suffix: 'ant.example.com-0' };
  const top = await h.check('header-match', post({ extra: ['X-Spam: Buy VIAGRA now'] }), { args });
  assert.equal(top.hit, true);
  assert.equal(top.recordAs, 'header-match-ant.example.com-0');
  assert.deepEqual(top.reasons, ['Header "x-spam: viagra" matched a header rule']);
  assert.deepEqual(
    (
      await h.check('header-match', post({ extra: ['X-Spam: yes'] }), {
        args: { header: 'X-Spam', pattern: 'yes', suffix: 's' },
      })
    ).reasons,
    ['Header "x-spam: yes" matched a header rule'],
  );
  const miss = await h.check('header-match', post({ extra: ['X-Spam: fine'] }), { args });
  assert.equal(miss.hit, false);
  assert.equal(miss.recordAs, 'header-match-ant.example.com-0', 'a miss records under the same name');
  // An RFC 2047 encoded Subject is decoded first.
  assert.equal(
    (
      await h.check('header-match', post({ subject: '=?utf-8?b?R3LDvMOfZSBmcm9tIFpvw6s=?=' }), {
        args: { header: 'subject', pattern: 'grüße from zoë', suffix: 's' },
      })
    ).hit,
    true,
  );
  // A header of an attachment counts.
  const mime = [
    'From: anne@example.org',
    'To: ant@example.com',
    'Subject: Q',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'hi',
    '--b1',
    'Content-Type: application/octet-stream; name="x.exe"',
    'Content-Disposition: attachment; filename="x.exe"',
    '',
    'MZ',
    '--b1--',
    '',
  ].join('\n');
  assert.equal(
    (
      await h.check('header-match', mime, {
        args: { header: 'content-disposition', pattern: '\\.exe"?$', suffix: 'x' },
      })
    ).hit,
    true,
  );
  assert.equal(
    (await h.check('header-match', mime, { args: { header: 'content-disposition', pattern: '\\.zip', suffix: 'x' } }))
      .hit,
    false,
  );
  // A bad regex misses (and is logged) rather than failing the chain.
  assert.equal(
    (await h.check('header-match', post(), { args: { header: 'subject', pattern: '[unclosed', suffix: 'bad' } })).hit,
    false,
  );
});
