// A list's header filters: the service (positions kept 0..n-1 through add, move, delete),
// and the `list.header_matches` link source the header-match chain iterates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from './support.js';
import { registry } from '../helpers/registry.js';

let h: RulesHarness;
before(async () => {
  h = await RulesHarness.start();
});
after(async () => h?.close());

const rows = async () =>
  (await h.services.headerMatches.list(h.mlist)).map((r) => [r.position, r.header, r.pattern, r.chain]);

test('add appends or inserts, lower-casing the header; duplicates, bad regexes and bad actions are refused', async () => {
  const hm = h.services.headerMatches;
  await hm.add(h.mlist, { header: 'X-Spam-Flag', pattern: '^yes', action: 'discard' });
  await hm.add(h.mlist, { header: 'Subject', pattern: 'viagra' });
  await hm.add(h.mlist, { header: 'From', pattern: '@spam\\.example', action: 'reject' }, 0);
  assert.deepEqual(await rows(), [
    [0, 'from', '@spam\\.example', 'reject'],
    [1, 'x-spam-flag', '^yes', 'discard'],
    [2, 'subject', 'viagra', null],
  ]);
  await assert.rejects(hm.add(h.mlist, { header: 'x-spam-flag', pattern: '^yes' }), /already exists/);
  await assert.rejects(hm.add(h.mlist, { header: 'subject', pattern: '[oops' }), /Invalid pattern/);
  await assert.rejects(hm.add(h.mlist, { header: 'subject', pattern: 'x', action: 'explode' }), /Invalid action/);
  assert.equal((await hm.list(h.mlist)).length, 3);
});

test('move, update and delete keep the positions dense', async () => {
  const hm = h.services.headerMatches;
  await hm.move(h.mlist, 0, 2);
  assert.deepEqual(
    (await rows()).map((r) => r[1]),
    ['x-spam-flag', 'subject', 'from'],
  );
  await hm.update(h.mlist, 1, { action: 'hold', pattern: 'cheap pills' });
  assert.deepEqual((await rows())[1], [1, 'subject', 'cheap pills', 'hold']);
  await hm.delete(h.mlist, 0);
  assert.deepEqual(await rows(), [
    [0, 'subject', 'cheap pills', 'hold'],
    [1, 'from', '@spam\\.example', 'reject'],
  ]);
  await assert.rejects(hm.delete(h.mlist, 5), /No header match at this position: 5/);
});

test('the list.header_matches link source: position order, LISTID-INDEX suffixes, null action', async () => {
  const source = registry.linkSources.get('list.header_matches');
  assert.ok(source, 'registered by buildRegistry');
  assert.deepEqual(source.fields, { header: 'string', pattern: 'string', suffix: 'string', action: 'action' });
  await h.services.headerMatches.update(h.mlist, 0, { action: null });
  const ctx = h.ctx(post());
  assert.deepEqual(await source.rows(ctx), [
    { header: 'subject', pattern: 'cheap pills', suffix: 'ant.example.com-0', action: null },
    { header: 'from', pattern: '@spam\\.example', suffix: 'ant.example.com-1', action: 'reject' },
  ]);
  // Each row drives the header-match rule.
  const [, second] = await source.rows(ctx);
  const r = await h.check('header-match', post({ from: 'x@spam.example' }), { args: second });
  assert.equal(r.hit, true);
  assert.equal(r.recordAs, 'header-match-ant.example.com-1');
  await h.services.headerMatches.clear(h.mlist);
  assert.deepEqual(await source.rows(ctx), []);
});

test('removing a list removes its header matches and its bans, not the global ones', async () => {
  const gone = await h.services.lists.create('gone@example.com');
  await h.services.headerMatches.add(gone, { header: 'subject', pattern: 'x' });
  await h.services.bans.ban('a@example.org', 'gone.example.com');
  await h.services.bans.ban('global@example.org');
  await h.services.lists.remove('gone.example.com');
  assert.deepEqual(await h.services.headerMatches.list(gone), []);
  assert.deepEqual(await h.services.bans.list('gone.example.com'), []);
  assert.equal(await h.services.bans.isBanned('global@example.org', 'ant.example.com'), true);
});
