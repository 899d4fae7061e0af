// The rules that look the senders up: bans (the ban manager's order and patterns),
// member-moderation and nonmember-moderation (rosters, actions, legacy lists).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from './support.js';

let h: RulesHarness;
before(async () => {
  h = await RulesHarness.start();
  await h.services.lists.create('bee@example.com');
});
after(async () => h?.close());

test('the ban manager: exact and ^regex bans, per list and global', async () => {
  const bans = h.services.bans;
  await bans.ban('Spammer@Example.NET', 'ant.example.com');
  await bans.ban('spammer@example.net', 'ant.example.com'); // twice: one row
  await bans.ban('^.*@evil\\.example$');
  await bans.ban('^bot\\d+@', 'bee.example.com');
  assert.deepEqual(
    (await bans.list('ant.example.com')).map((b) => b.email),
    ['spammer@example.net'],
  );
  assert.deepEqual(
    (await bans.list(null)).map((b) => b.email),
    ['^.*@evil\\.example$'],
  );
  assert.equal(await bans.isBanned('SPAMMER@example.net', 'ant.example.com'), true);
  assert.equal(
    await bans.isBanned('spammer@example.net', 'bee.example.com'),
    false,
    'a list ban is for that list only',
  );
  assert.equal(await bans.isBanned('anyone@EVIL.example', 'bee.example.com'), true, 'a global pattern, ignoring case');
  assert.equal(await bans.isBanned('anyone@evil.example', null), true);
  assert.equal(
    await bans.isBanned('anyone@evil.example.org', 'ant.example.com'),
    false,
    'the pattern is anchored by its $',
  );
  assert.equal(await bans.isBanned('bot42@x.org', 'bee.example.com'), true);
  assert.equal(await bans.isBanned('robot42@x.org', 'bee.example.com'), false, 'matched from the start');
  assert.equal(await bans.isBanned('bot42@x.org', 'ant.example.com'), false);
  await assert.rejects(bans.ban('^[broken'), /Invalid ban pattern/);
  assert.equal(await bans.unban('spammer@example.net', 'ant.example.com'), true);
  assert.equal(await bans.unban('spammer@example.net', 'ant.example.com'), false);
  assert.equal(await bans.isBanned('spammer@example.net', 'ant.example.com'), false);
});

test('banned-address hits on any banned sender; member rules then miss for them', async () => {
  await h.services.members.subscribe(h.mlist, 'moddy@example.org');
  const m = await h.services.members.findMember('ant.example.com', 'moddy@example.org', 'member');
  await h.services.members.setModerationAction(m!, 'hold');
  assert.equal((await h.check('member-moderation', post({ from: 'moddy@example.org' }))).hit, true);
  await h.services.bans.ban('moddy@example.org', 'ant.example.com');
  try {
    const r = await h.check('banned-address', post({ from: 'moddy@example.org' }));
    assert.equal(r.hit, true);
    assert.deepEqual(r.msgdata, { moderation_sender: 'moddy@example.org' });
    assert.match(r.reasons![0], /moddy@example\.org is banned/);
    // A banned Reply-To is a banned sender too.
    assert.equal(
      (await h.check('banned-address', post({ from: 'anne@example.org', extra: ['Reply-To: moddy@example.org'] }))).hit,
      true,
    );
    assert.equal((await h.check('member-moderation', post({ from: 'moddy@example.org' }))).hit, false);
    assert.equal((await h.check('nonmember-moderation', post({ from: 'moddy@example.org' }))).hit, false);
  } finally {
    await h.services.bans.unban('moddy@example.org', 'ant.example.com');
  }
  assert.equal((await h.check('banned-address', post({ from: 'moddy@example.org' }))).hit, false);
});

test("member-moderation: the member's action, else default_member_action; defer misses", async () => {
  await h.services.members.subscribe(h.mlist, 'mem@example.org');
  assert.equal((await h.check('member-moderation', post({ from: 'mem@example.org' }))).hit, false, 'default defer');
  await h.set({ default_member_action: 'accept' });
  try {
    const r = await h.check('member-moderation', post({ from: 'Mem <MEM@example.org>' }));
    assert.equal(r.hit, true);
    assert.deepEqual(r.msgdata, { member_moderation_action: 'accept', moderation_sender: 'mem@example.org' });
    const m = await h.services.members.findMember('ant.example.com', 'mem@example.org', 'member');
    await h.services.members.setModerationAction(m!, 'discard');
    assert.equal(
      (await h.check('member-moderation', post({ from: 'mem@example.org' }))).msgdata?.member_moderation_action,
      'discard',
    );
    await h.services.members.setModerationAction(m!, 'defer');
    assert.equal((await h.check('member-moderation', post({ from: 'mem@example.org' }))).hit, false);
  } finally {
    await h.set({ default_member_action: 'defer' });
  }
  // Another address of the member's user counts as the member.
  const user = (await h.services.users.userOfAddress('mem@example.org'))!;
  await h.services.users.createAddress('mem.alt@example.org');
  const alt = await h.services.users.getAddress('mem.alt@example.org');
  alt!.user_id = user.id;
  await h.services.users.addresses.save(alt!);
  const m = await h.services.members.findMember('ant.example.com', 'mem@example.org', 'member');
  await h.services.members.setModerationAction(m!, 'reject');
  const r = await h.check('member-moderation', post({ from: 'mem.alt@example.org' }));
  assert.deepEqual(r.msgdata, { member_moderation_action: 'reject', moderation_sender: 'mem.alt@example.org' });
  assert.equal((await h.check('member-moderation', post({ from: 'stranger@example.org' }))).hit, false);
});

test('nonmember-moderation: records unknown senders as nonmembers and applies default_nonmember_action', async () => {
  const r = await h.check('nonmember-moderation', post({ from: 'new@example.net' }));
  assert.equal(r.hit, true);
  assert.deepEqual(r.msgdata, { member_moderation_action: 'hold', moderation_sender: 'new@example.net' });
  assert.deepEqual(r.reasons, ['The message is not from a list member']);
  assert.ok(await h.services.members.findMember('ant.example.com', 'new@example.net', 'nonmember'));
  // explain does not register anyone.
  await h.check('nonmember-moderation', post({ from: 'ghost@example.net' }), { dryRun: true });
  assert.equal(await h.services.members.findMember('ant.example.com', 'ghost@example.net', 'nonmember'), null);
  // Every sender is registered, even next to a member, and a member among them means a miss.
  const both = await h.check(
    'nonmember-moderation',
    post({ from: 'mem@example.org', extra: ['Reply-To: other@example.net'] }),
  );
  assert.equal(both.hit, false);
  assert.ok(await h.services.members.findMember('ant.example.com', 'other@example.net', 'nonmember'));
  // No sender at all: the default action, for "No sender".
  const nobody = await h.check('nonmember-moderation', 'Subject: x\n\nbody\n');
  assert.deepEqual(nobody.msgdata, { member_moderation_action: 'hold', moderation_sender: 'No sender' });
  // Usenet posts are not moderated here.
  assert.equal(
    (await h.check('nonmember-moderation', post({ from: 'new@example.net' }), { msgdata: { fromusenet: true } })).hit,
    false,
  );
});

test("nonmember-moderation: the nonmember's own action wins, then the legacy lists, then the default", async () => {
  await h.check('nonmember-moderation', post({ from: 'own@example.net' }));
  const nm = await h.services.members.findMember('ant.example.com', 'own@example.net', 'nonmember');
  await h.services.members.setModerationAction(nm!, 'discard');
  await h.set({ reject_these_nonmembers: ['own@example.net'] });
  try {
    assert.equal(
      (await h.check('nonmember-moderation', post({ from: 'own@example.net' }))).msgdata?.member_moderation_action,
      'discard',
    );
    await h.services.members.setModerationAction(nm!, 'defer');
    assert.equal(
      (await h.check('nonmember-moderation', post({ from: 'own@example.net' }))).hit,
      false,
      'defer: the other rules decide',
    );
    await h.services.members.setModerationAction(nm!, null);
    const legacy = await h.check('nonmember-moderation', post({ from: 'own@example.net' }));
    assert.deepEqual(legacy.msgdata, { member_moderation_action: 'reject', moderation_sender: 'own@example.net' });
    assert.deepEqual(legacy.reasons, ['The sender is in the nonmember reject list']);
  } finally {
    await h.set({ reject_these_nonmembers: [] });
  }
  await h.set({
    accept_these_nonmembers: ['^friend.*@partner\\.example$'],
    hold_these_nonmembers: ['^.*@partner\\.example$'],
    discard_these_nonmembers: ['^[broken', 'Junk@Example.net'],
    default_nonmember_action: 'reject',
  });
  try {
    // accept_these_nonmembers means "no decision here" (the post goes on down the chain).
    assert.equal((await h.check('nonmember-moderation', post({ from: 'Friend.Of.Us@PARTNER.example' }))).hit, false);
    assert.equal(
      (await h.check('nonmember-moderation', post({ from: 'someone@partner.example' }))).msgdata
        ?.member_moderation_action,
      'hold',
    );
    assert.equal(
      (await h.check('nonmember-moderation', post({ from: 'junk@example.net' }))).msgdata?.member_moderation_action,
      'discard',
    );
    assert.equal(
      (await h.check('nonmember-moderation', post({ from: 'else@example.net' }))).msgdata?.member_moderation_action,
      'reject',
    );
    await h.set({ default_nonmember_action: 'defer' });
    assert.equal((await h.check('nonmember-moderation', post({ from: 'else@example.net' }))).hit, false);
  } finally {
    await h.set({
      accept_these_nonmembers: [],
      hold_these_nonmembers: [],
      discard_these_nonmembers: [],
      default_nonmember_action: 'hold',
    });
  }
});
