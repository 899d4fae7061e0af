import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecentArrivals } from '../../src/mta/recent-arrivals.js';

test('a message queued for a list is known again after a restart; another list, sender or byte is not the same message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-recent-'));
  try {
    const file = join(dir, 'run', 'lmtp-recent');
    const raw = Buffer.from('Subject: x\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n');
    const key = RecentArrivals.key('anne@example.org', raw, 'ant.example.com');
    const first = new RecentArrivals(file);
    assert.equal(first.has(key), false);
    first.add(key);
    assert.equal(first.has(key), true);
    first.close();
    const again = new RecentArrivals(file);
    assert.equal(again.has(key), true, 'known across a restart of the LMTP runner');
    assert.equal(again.has(RecentArrivals.key('anne@example.org', raw, 'bee.example.com')), false);
    assert.equal(again.has(RecentArrivals.key('bart@example.org', raw, 'ant.example.com')), false);
    assert.equal(
      again.has(RecentArrivals.key('anne@example.org', Buffer.concat([raw, Buffer.from('x')]), 'ant.example.com')),
      false,
    );
    // Past its window an entry is forgotten.
    assert.equal(again.has(key, Date.now() + 2 * 60 * 60_000), false);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the record stays bounded however many messages arrive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-recent-'));
  try {
    const file = join(dir, 'lmtp-recent');
    const recent = new RecentArrivals(file);
    for (let i = 0; i < 45_000; i++) recent.add(RecentArrivals.key('a@x', Buffer.from(String(i)), 'l'));
    recent.close();
    const lines = readFileSync(file, 'utf8').split('\n').length;
    assert.ok(lines <= 40_002, `${lines} lines`);
    const reloaded = new RecentArrivals(file);
    assert.equal(reloaded.has(RecentArrivals.key('a@x', Buffer.from('44999'), 'l')), true);
    assert.equal(
      reloaded.has(RecentArrivals.key('a@x', Buffer.from('0'), 'l')),
      false,
      'the oldest are dropped past the bound',
    );
    reloaded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the queue file a message went to is remembered with it, across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-recent-'));
  try {
    const file = join(dir, 'lmtp-recent');
    const key = RecentArrivals.key('anne@example.org', Buffer.from('x'), 'ant.example.com');
    const other = RecentArrivals.key('anne@example.org', Buffer.from('y'), 'ant.example.com');
    const base = '01796585962768.000000+37641fe9d7d2339c6b50b72f226d3d317fdc6db5';
    const first = new RecentArrivals(file);
    first.add(key, Date.now(), base);
    first.add(other);
    first.close();
    const again = new RecentArrivals(file);
    assert.equal(again.get(key)?.file, base);
    assert.equal(again.get(other)?.file, undefined);
    assert.ok(again.has(other));
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
