// Bounce scoring with the real services on a real database, events dated by the test: one
// bounce a day counts, a quiet spell of bounce_info_stale_after starts the score again, the
// threshold disables delivery and tells the owners, the warnings come an interval apart and
// the member is removed after the last; probes; and process_bounces off scores nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryWorld } from './support.js';

let world: DeliveryWorld;
before(async () => {
  world = await DeliveryWorld.open();
  await world.services.members.subscribe(world.mlist, 'owner@example.com', { role: 'owner' });
});
after(async () => {
  await world?.close();
});

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const at = (days: number) => new Date(T0 + days * DAY);

async function bounce(email: string, day: number, context: 'normal' | 'probe' = 'normal') {
  await world.services.bounces.register(world.mlist, email, `<b${day}@mx.example>`, context, at(day));
  await world.services.bounces.processEvents();
}
const member = async (email: string) =>
  (await world.services.members.findMember(world.mlist.list_id, email, 'member'))!;
const notices = async (template: RegExp) =>
  (await world.queued('virgin')).filter((q) => template.test(String(q.msg.get('subject'))));

test('one bounce a day counts; a quiet spell longer than bounce_info_stale_after starts again at 1', async () => {
  await world.configure({ bounce_score_threshold: 10, bounce_info_stale_after: 7 });
  await world.subscribe('anne@example.org');
  await bounce('anne@example.org', 0);
  assert.equal((await member('anne@example.org')).bounce_score, 1);
  await bounce('anne@example.org', 0.1);
  assert.equal((await member('anne@example.org')).bounce_score, 1, 'the same day');
  assert.equal((await member('anne@example.org')).last_bounce_received!.getTime(), at(0.1).getTime());
  await bounce('anne@example.org', 1);
  await bounce('anne@example.org', 3);
  assert.equal((await member('anne@example.org')).bounce_score, 3);
  await bounce('anne@example.org', 11);
  assert.equal((await member('anne@example.org')).bounce_score, 1, 'eight days after the last one');
  assert.equal((await member('anne@example.org')).delivery_status, null);
  // Someone who is not a member: recorded, processed, nothing else.
  await bounce('stranger@example.org', 0);
  assert.equal(await world.services.bounces.events.countBy({ processed: false }), 0);
});

test('the threshold disables delivery by bounces and tells the owners; later bounces add nothing', async () => {
  await world.configure({ bounce_score_threshold: 2, bounce_notify_owner_on_disable: true });
  await world.subscribe('bart@example.org');
  await bounce('bart@example.org', 0);
  await bounce('bart@example.org', 1);
  const bart = await member('bart@example.org');
  assert.equal(bart.delivery_status, 'by_bounces');
  assert.equal(bart.bounce_score, 2);
  const disabled = await notices(/bart@example\.org's subscription disabled/);
  assert.equal(disabled.length, 1);
  assert.deepEqual(disabled[0].msgdata.recipients, ['owner@example.com']);
  assert.match(disabled[0].msg.body.toString(), /has bounced too often/);
  await bounce('bart@example.org', 2);
  assert.equal((await member('bart@example.org')).bounce_score, 2, 'a bounce still on its way after the disable');
  assert.deepEqual(
    await world.services.members.regularRecipients(world.mlist.list_id),
    ['anne@example.org'],
    'no more copies for bart',
  );
});

test('warnings an interval apart, then removal with the owners told', async () => {
  await world.configure({
    bounce_you_are_disabled_warnings: 2,
    bounce_you_are_disabled_warnings_interval: 7,
    bounce_notify_owner_on_removal: true,
  });
  const { bounces } = world.services;
  assert.deepEqual(await bounces.sendWarningsAndRemove(at(2)), { warned: 1, removed: 0 });
  assert.deepEqual(await bounces.sendWarningsAndRemove(at(5)), { warned: 0, removed: 0 }, 'not yet a week');
  assert.deepEqual(await bounces.sendWarningsAndRemove(at(9)), { warned: 1, removed: 0 });
  const warnings = await notices(/membership in the .* has been disabled/);
  assert.equal(warnings.length, 2);
  assert.deepEqual(warnings[0].msgdata.recipients, ['bart@example.org']);
  assert.equal((await member('bart@example.org')).total_warnings_sent, 2);
  assert.deepEqual(await bounces.sendWarningsAndRemove(at(12)), { warned: 0, removed: 0 });
  assert.deepEqual(await bounces.sendWarningsAndRemove(at(16)), { warned: 0, removed: 1 });
  assert.equal(await world.services.members.findMember(world.mlist.list_id, 'bart@example.org', 'member'), null);
  assert.equal((await notices(/bart@example\.org unsubscribed .* due to bounces/)).length, 1);
});

test('with no warnings to send, a disabled member is removed at once', async () => {
  await world.configure({ bounce_you_are_disabled_warnings: 0, bounce_score_threshold: 1 });
  await world.subscribe('cris@example.org');
  await bounce('cris@example.org', 20);
  assert.deepEqual(await world.services.bounces.sendWarningsAndRemove(at(20)), { warned: 0, removed: 1 });
});

test('process_bounces off: events are recorded and dropped, nobody is scored', async () => {
  await world.configure({ process_bounces: false, bounce_score_threshold: 1 });
  await world.subscribe('dave@example.org');
  await bounce('dave@example.org', 30);
  const dave = await member('dave@example.org');
  assert.equal(dave.bounce_score, 0);
  assert.equal(dave.delivery_status, null);
  await world.configure({ process_bounces: true });
});

test('a probe: the threshold sends one from LIST-bounces+TOKEN and resets the score; its bounce disables', async () => {
  await world.configure({ bounce_score_threshold: 1, bounce_you_are_disabled_warnings: 3 });
  await world.subscribe('erin@example.org');
  const erin = await member('erin@example.org');
  const token = await world.services.bounces.sendProbe(world.mlist, erin, 'erin@example.org', '<x@mx>');
  const probe = (await notices(/probe message/)).at(-1)!;
  assert.equal(probe.msgdata.sender, `ant-bounces+${token}@example.com`);
  assert.equal(probe.msg.get('from'), `ant-bounces+${token}@example.com`);
  assert.deepEqual(probe.msgdata.recipients, ['erin@example.org']);
  assert.equal((await member('erin@example.org')).bounce_score, 0);
  assert.equal(await world.services.bounces.probedAddress(token), 'erin@example.org');
  assert.equal(await world.services.bounces.probedAddress(token), undefined, 'a token works once');
  await bounce('erin@example.org', 40, 'probe');
  assert.equal((await member('erin@example.org')).delivery_status, 'by_bounces');
});
