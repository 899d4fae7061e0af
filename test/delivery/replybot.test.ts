// services/replybot.ts on real services: the -request case the command runner calls, the
// grace period counted in days, respond_and_discard inside it, and a dry run that sends nothing.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from '../moderation/support.js';
import { autorespond } from '../../src/services/replybot.js';
import { Message } from '../../src/email/message.js';

let h: RulesHarness;

before(async () => {
  h = await RulesHarness.start();
});

after(async () => {
  await h?.close();
});

/** The messages the list has queued to send, read (and removed) from its virgin queue. */
async function sent(): Promise<Message[]> {
  const virgin = h.services.queues.get('virgin');
  const out: Message[] = [];
  for (const base of virgin.files()) {
    out.push(new Message((await virgin.dequeue(base)).raw));
    await virgin.finish(base);
  }
  return out;
}

beforeEach(async () => {
  await sent();
});

const DAY = 24 * 60 * 60 * 1000;
const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * DAY);

test('-request mail is answered from autoresponse_request_text, and the message goes on', async () => {
  await h.set({ autorespond_requests: 'respond_and_continue', autoresponse_request_text: 'Write to $owneremail.' });
  const ctx = h.ctx(post({ from: 'asker@example.org', to: 'ant-request@example.com' }));
  assert.equal(await autorespond(h.services, h.mlist, ctx.msg, ctx.msgdata, 'request', { now: day(0) }), true);
  const [reply] = await sent();
  assert.equal(reply.get('to'), 'asker@example.org');
  assert.equal(reply.get('subject'), 'Auto-response for your message to the "Ant" mailing list');
  assert.equal(reply.get('x-ack'), 'No');
  assert.match(reply.toBuffer().toString(), /Write to ant-owner@example\.com\./);
  // Recorded as a 'command' response: the owner and posting kinds keep their own grace periods.
  assert.equal(await h.services.autoresponses.lastSent(h.mlist.list_id, 'asker@example.org', 'command'), '2026-01-01');
  assert.equal(await h.services.autoresponses.lastSent(h.mlist.list_id, 'asker@example.org', 'owner'), undefined);
});

test('the grace period is counted in days from the last response of the same kind', async () => {
  await h.set({ autorespond_requests: 'respond_and_continue', autoresponse_grace_period: 3 });
  const ask = async (n: number) => {
    const ctx = h.ctx(post({ from: 'grace@example.org' }));
    await autorespond(h.services, h.mlist, ctx.msg, ctx.msgdata, 'request', { now: day(n) });
    return (await sent()).length;
  };
  assert.equal(await ask(10), 1);
  assert.equal(await ask(12), 0, 'two days later: inside the grace period');
  assert.equal(await ask(13), 1, 'three days later: answered again');
});

test('respond_and_discard stops the message even when no response is due', async () => {
  await h.set({ autorespond_requests: 'respond_and_discard', autoresponse_grace_period: 90 });
  const first = h.ctx(post({ from: 'closed@example.org' }));
  assert.equal(await autorespond(h.services, h.mlist, first.msg, first.msgdata, 'request', { now: day(20) }), false);
  assert.equal((await sent()).length, 1);
  const second = h.ctx(post({ from: 'closed@example.org' }));
  assert.equal(await autorespond(h.services, h.mlist, second.msg, second.msgdata, 'request', { now: day(21) }), false);
  assert.equal((await sent()).length, 0);
});

test('a dry run and noack mail send and record nothing; none lets everything through', async () => {
  await h.set({ autorespond_requests: 'respond_and_discard', autoresponse_grace_period: 0 });
  const dry = h.ctx(post({ from: 'dry@example.org' }));
  assert.equal(await autorespond(h.services, h.mlist, dry.msg, dry.msgdata, 'request', { dryRun: true }), false);
  const noack = h.ctx(post({ from: 'dry@example.org' }), { msgdata: { noack: true } });
  assert.equal(await autorespond(h.services, h.mlist, noack.msg, noack.msgdata, 'request'), false);
  assert.equal((await sent()).length, 0);
  assert.equal(await h.services.autoresponses.lastSent(h.mlist.list_id, 'dry@example.org', 'command'), undefined);
  await h.set({ autorespond_requests: 'none' });
  const ctx = h.ctx(post({ from: 'dry@example.org' }));
  assert.equal(await autorespond(h.services, h.mlist, ctx.msg, ctx.msgdata, 'request'), true);
  assert.equal((await sent()).length, 0);
});

test('the daily limit holds under concurrency: of 20 claims at once, 10 send, 1 is the last notice', async () => {
  // [mta] max_autoresponses_per_day is 10 by default; the counter is bumped in one statement.
  const now = day(40);
  const decisions = await Promise.all(
    Array.from({ length: 20 }, () =>
      h.services.autoresponses.claim(h.mlist.list_id, 'Flood@example.org', 'postings', now),
    ),
  );
  const count = (d: string) => decisions.filter((x) => x === d).length;
  assert.deepEqual([count('send'), count('last-notice'), count('silent')], [10, 1, 9]);
  // The next day starts again.
  assert.equal(await h.services.autoresponses.claim(h.mlist.list_id, 'flood@example.org', 'postings', day(41)), 'send');
});
