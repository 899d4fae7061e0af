// The preference cascade decides delivery: a preference set on the membership, else on its
// address, else on the address's user, else the system's, as read by the recipient queries
// and the handlers of the posting pipeline, on a real database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryWorld, post } from './support.js';
import type { Preferences } from '../../src/model/preferences.js';
import type { MemberView } from '../../src/services/members.js';

let w: DeliveryWorld;

before(async () => {
  w = await DeliveryWorld.open();
});
after(async () => {
  await w?.close();
});

/** A new member of ant@example.com, with preferences set on each layer as given. */
async function member(
  email: string,
  layers: { member?: Partial<Preferences>; address?: Partial<Preferences>; user?: Partial<Preferences> } = {},
): Promise<MemberView> {
  const view = await w.services.members.subscribe(w.mlist, email);
  const user = await w.services.users.userOfAddress(email);
  assert.ok(user, `${email} has a user`);
  const prefs = w.services.preferences;
  if (layers.member) await prefs.update({ member: view.member }, layers.member);
  if (layers.address) await prefs.update({ address: view.address }, layers.address);
  if (layers.user) await prefs.update({ user }, layers.user);
  return view;
}

test('delivery_status and delivery_mode through every combination of the three layers', async () => {
  const values = [null, 'enabled', 'by_user'] as const;
  const expected = new Map<string, string>();
  const views: MemberView[] = [];
  let i = 0;
  for (const m of values)
    for (const a of values)
      for (const u of values) {
        const email = `status${i++}@example.org`;
        views.push(
          await member(email, {
            member: { delivery_status: m },
            address: { delivery_status: a },
            user: { delivery_status: u },
          }),
        );
        expected.set(email, m ?? a ?? u ?? 'enabled');
      }
  // The user of one member says digests; their address says regular, and wins.
  views.push(
    await member('modes@example.org', {
      address: { delivery_mode: 'regular' },
      user: { delivery_mode: 'mime_digests' },
    }),
  );
  expected.set('modes@example.org', 'enabled');
  views.push(await member('digest@example.org', { user: { delivery_mode: 'plaintext_digests' } }));
  expected.set('digest@example.org', 'enabled');

  const recipients = await w.services.members.regularRecipients(w.mlist.list_id);
  const regular = [...expected].filter(([e, s]) => s === 'enabled' && e !== 'digest@example.org').map(([e]) => e);
  assert.deepEqual(recipients, regular.sort());
  assert.ok(recipients.length > 0 && recipients.length < expected.size - 1, 'some in, some out');

  const effective = await w.services.preferences.effectiveOf(views.map((v) => v.member));
  for (const v of views) assert.equal(effective.get(v.member.id)?.delivery_status, expected.get(v.address.email));
  assert.equal(effective.get(views.at(-1)!.member.id)?.delivery_mode, 'plaintext_digests');
  assert.equal(effective.get(views.at(-2)!.member.id)?.delivery_mode, 'regular');

  // /members/find's filters see the same.
  const byUser = await w.services.members.find({ listId: w.mlist.list_id, delivery_status: 'by_user' });
  assert.deepEqual(
    byUser.map((v) => v.address.email).sort(),
    [...expected]
      .filter(([, s]) => s === 'by_user')
      .map(([e]) => e)
      .sort(),
  );
  const digests = await w.services.members.find({ listId: w.mlist.list_id, delivery_mode: 'plaintext_digests' });
  assert.deepEqual(
    digests.map((v) => v.address.email),
    ['digest@example.org'],
  );
  for (const v of views) await w.services.members.unsubscribe(v.member);
});

test('receive_own_postings: the address turns it off, the member turns it back on', async () => {
  await member('anne@example.org', { address: { receive_own_postings: false } });
  await member('bart@example.org', {
    address: { receive_own_postings: false },
    member: { receive_own_postings: true },
  });
  await member('cris@example.net', { user: { receive_own_postings: false } });
  const members = w.services.members;
  assert.deepEqual(await members.regularRecipients(w.mlist.list_id, 'anne@example.org'), [
    'bart@example.org',
    'cris@example.net',
  ]);
  assert.deepEqual(await members.regularRecipients(w.mlist.list_id, 'bart@example.org'), [
    'anne@example.org',
    'bart@example.org',
    'cris@example.net',
  ]);
  assert.deepEqual(await members.regularRecipients(w.mlist.list_id, 'cris@example.net'), [
    'anne@example.org',
    'bart@example.org',
  ]);
  // Through the handler, as the pipeline runs it.
  const ctx = await w.run('member-recipients', w.ctx(post({ from: 'anne@example.org' })));
  assert.deepEqual(ctx.msgdata.recipients, ['bart@example.org', 'cris@example.net']);
});

test('acknowledge_posts set on the user sends the acknowledgement; the member can refuse it', async () => {
  await member('dora@example.net', { user: { acknowledge_posts: true } });
  await member('eve@example.net', { user: { acknowledge_posts: true }, member: { acknowledge_posts: false } });
  await w.queued('virgin');
  await w.run('acknowledge', w.ctx(post({ from: 'dora@example.net' })));
  await w.run('acknowledge', w.ctx(post({ from: 'eve@example.net' })));
  const notices = await w.queued('virgin');
  assert.deepEqual(
    notices.map((n) => n.msgdata.recipients),
    [['dora@example.net']],
  );
  assert.equal(notices[0].msg.get('subject'), 'Ant post acknowledgment');
});

test('receive_list_copy off on the address spares an addressed member the list copy', async () => {
  await member('finn@example.com', { address: { receive_list_copy: false } });
  await member('gail@example.com', { user: { receive_list_copy: false }, member: { receive_list_copy: true } });
  const ctx = w.ctx(post({ from: 'anne@example.org', cc: 'finn@example.com, gail@example.com' }), {
    recipients: ['finn@example.com', 'gail@example.com'],
  });
  await w.run('avoid-duplicates', ctx);
  assert.deepEqual(ctx.msgdata.recipients, ['gail@example.com']);
  assert.equal(ctx.msg.get('cc'), 'gail@example.com');
});

test('owners and moderators: a delivery_status off on the user keeps the owner notices away', async () => {
  const owner = await w.services.members.subscribe(w.mlist, 'boss@example.com', { role: 'owner' });
  await w.services.members.subscribe(w.mlist, 'mod@example.com', { role: 'moderator' });
  assert.deepEqual(await w.services.members.enabledInRole(w.mlist.list_id, 'owner'), ['boss@example.com']);
  // An owner has no user of their own yet: give the address one, and stop delivery there.
  const address = await w.services.users.linkNewUser(owner.address);
  const user = await w.services.users.getUserById(address.user_id!);
  await w.services.preferences.update({ user: user! }, { delivery_status: 'by_user' });
  assert.deepEqual(await w.services.members.enabledInRole(w.mlist.list_id, 'owner'), []);
  const ctx = await w.run('owner-recipients', w.ctx(post({ to: 'ant-owner@example.com' })));
  assert.deepEqual(ctx.msgdata.recipients, ['mod@example.com']);
});

test('the language: the member, address or user, else the list, else the site', async () => {
  const hans = await member('hans@example.de', { user: { preferred_language: 'de' } });
  const ines = await member('ines@example.pt', {
    user: { preferred_language: 'de' },
    address: { preferred_language: 'pt_BR' },
  });
  const jo = await member('jo@example.com');
  const data = await w.services.members.deliveryData(w.mlist.list_id);
  assert.equal(data.get('hans@example.de')?.language, 'de');
  assert.equal(data.get('ines@example.pt')?.language, 'pt_BR');
  assert.equal(data.get('jo@example.com')?.language, undefined, 'personalisation falls back to the list itself');
  const effective = await w.services.preferences.effectiveOf([hans.member, ines.member, jo.member]);
  assert.equal(effective.get(jo.member.id)?.preferred_language, 'en');
  await w.configure({ preferred_language: 'fr' });
  try {
    assert.equal((await w.services.preferences.effective(jo.member)).preferred_language, 'fr');
    assert.equal((await w.services.preferences.effective(hans.member)).preferred_language, 'de');
  } finally {
    await w.configure({ preferred_language: 'en' });
  }
});

test('a layer written, replaced and cleared: only what it sets shows, the rest falls through', async () => {
  const { member: m, address } = await member('kim@example.com', { address: { hide_address: false } });
  const prefs = w.services.preferences;
  await prefs.update({ member: m }, { delivery_mode: 'summary_digests', acknowledge_posts: true });
  assert.deepEqual(
    Object.entries(prefs.of({ member: m })).filter(([, v]) => v !== null),
    [
      ['acknowledge_posts', true],
      ['delivery_mode', 'summary_digests'],
    ],
  );
  await prefs.replace({ member: m }, { receive_list_copy: false });
  const fresh = await w.services.members.getByMemberId(m.member_id);
  assert.deepEqual(
    Object.entries(prefs.of({ member: fresh! })).filter(([, v]) => v !== null),
    [['receive_list_copy', false]],
    'replace unsets what it does not name, in the database too',
  );
  assert.deepEqual(await prefs.effective(fresh!), {
    ...prefs.system(),
    hide_address: false,
    receive_list_copy: false,
  });
  await prefs.clear({ address });
  await prefs.clear({ member: fresh! });
  assert.deepEqual(await prefs.effective(fresh!), prefs.system());
});

test('effective preferences of a whole roster, past one batch of ids, match one member at a time', async () => {
  const views: MemberView[] = [];
  for (let i = 0; i < 620; i++) {
    const view = await w.services.members.subscribe(w.mlist, `many${i}@example.org`);
    if (i % 7 === 0) await w.services.preferences.update({ address: view.address }, { delivery_status: 'by_bounces' });
    views.push(view);
  }
  const all = await w.services.preferences.effectiveOf([...views, ...views.slice(0, 3)].map((v) => v.member));
  assert.equal(all.size, 620);
  for (const [i, v] of views.entries())
    assert.equal(all.get(v.member.id)?.delivery_status, i % 7 === 0 ? 'by_bounces' : 'enabled', v.address.email);
  for (const i of [0, 1, 499, 500, 619])
    assert.deepEqual(await w.services.preferences.effective(views[i].member), all.get(views[i].member.id));
});
