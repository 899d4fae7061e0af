// The moderation settings over REST /lists/<id>/config: lists of strings as a JSON array or
// repeated form fields (mailmanclient's encoding), and the moderator password stored hashed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertError } from '../rest/harness.js';
import { verifyPassword } from '../../src/services/passwords.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
  assert.equal((await rest.post('/domains', { mail_host: 'example.com' })).status, 201);
  assert.equal((await rest.post('/lists', { fqdn_listname: 'ant@example.com' })).status, 201);
});
after(async () => rest?.close());

const config = async () => (await rest.get('/lists/ant.example.com/config')).body;

test("the moderation settings show with Mailman's names and defaults", async () => {
  const c = await config();
  for (const name of [
    'accept_these_nonmembers',
    'hold_these_nonmembers',
    'reject_these_nonmembers',
    'discard_these_nonmembers',
    'acceptable_aliases',
  ]) {
    assert.deepEqual(c[name], [], name);
  }
  assert.equal(c.moderator_password, null);
  assert.equal(c.newsgroup_moderation, 'none');
  assert.equal(c.dmarc_mitigate_action, 'no_mitigation');
  assert.equal(c.dmarc_mitigate_unconditionally, false);
  assert.equal(c.dmarc_moderation_notice, '');
  assert.equal(c.dmarc_wrapped_message_text, '');
  assert.match(c.bounce_matching_headers, /^from: list@listme\.com$/m);
});

test('lists of strings: a JSON array, repeated form fields, one value, or empty', async () => {
  assert.equal(
    (
      await rest.patch('/lists/ant.example.com/config', {
        hold_these_nonmembers: ['a@example.net', '^.*@spam\\.example$'],
      })
    ).status,
    204,
  );
  assert.deepEqual((await config()).hold_these_nonmembers, ['a@example.net', '^.*@spam\\.example$']);
  assert.equal(
    (
      await rest.patch(
        '/lists/ant.example.com/config',
        { acceptable_aliases: ['ants@example.org', 'all-ants@example.org'] },
        { form: true },
      )
    ).status,
    204,
  );
  assert.deepEqual((await config()).acceptable_aliases, ['ants@example.org', 'all-ants@example.org']);
  assert.equal(
    (
      await rest.patch(
        '/lists/ant.example.com/config/acceptable_aliases',
        { acceptable_aliases: 'one@example.org' },
        { form: true },
      )
    ).status,
    204,
  );
  assert.deepEqual((await rest.get('/lists/ant.example.com/config/acceptable_aliases')).body.acceptable_aliases, [
    'one@example.org',
  ]);
  assert.equal(
    (await rest.patch('/lists/ant.example.com/config', { acceptable_aliases: '' }, { form: true })).status,
    204,
  );
  assert.deepEqual((await config()).acceptable_aliases, []);
  assertError(
    await rest.patch('/lists/ant.example.com/config', { discard_these_nonmembers: [{ email: 'x' }] }),
    400,
    /^Invalid Parameter "discard_these_nonmembers"/,
  );
});

test('the moderator password is stored as a hash; empty clears it', async () => {
  assert.equal((await rest.patch('/lists/ant.example.com/config', { moderator_password: 's3cret' })).status, 204);
  const stored = (await config()).moderator_password;
  assert.notEqual(stored, 's3cret');
  assert.ok(verifyPassword('s3cret', stored));
  assert.equal((await rest.patch('/lists/ant.example.com/config', { moderator_password: '' })).status, 204);
  assert.equal((await config()).moderator_password, null);
});

test('the enumerated moderation settings refuse other values', async () => {
  assertError(
    await rest.patch('/lists/ant.example.com/config', { dmarc_mitigate_action: 'bounce' }),
    400,
    /^Invalid Parameter "dmarc_mitigate_action": Accepted Values are: no_mitigation, munge_from, wrap_message, reject, discard/,
  );
  assertError(
    await rest.patch('/lists/ant.example.com/config', { newsgroup_moderation: 'yes' }),
    400,
    /^Invalid Parameter "newsgroup_moderation"/,
  );
  assert.equal(
    (
      await rest.patch('/lists/ant.example.com/config', {
        dmarc_mitigate_action: 'munge_from',
        newsgroup_moderation: 'moderated',
      })
    ).status,
    204,
  );
  const c = await config();
  assert.equal(c.dmarc_mitigate_action, 'munge_from');
  assert.equal(c.newsgroup_moderation, 'moderated');
});
