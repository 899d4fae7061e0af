// The archive runner's retries, called in this process on real Services and the registered
// archivers: prototype archives, mhonarc runs a command that always fails. The failing
// archiver alone goes back to the queue with a growing wait, and after MAX_ATTEMPTS the post is
// shunted naming only it; an archiver the list switched off meanwhile is skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeliveryWorld, post } from './support.js';
import { registry, runners } from '../helpers/registry.js';
import { Config } from '../../src/config/config.js';
import { ArchiveRunner, MAX_ATTEMPTS } from '../../src/runners/archive.js';
import type { Disposition, QueueItem } from '../../src/runners/runner.js';
import type { MsgData } from '../../src/queue/qfile.js';

let world: DeliveryWorld;

/** The runner with its dispose() callable, as its loop calls it for each queued message. */
class ExposedRunner extends ArchiveRunner {
  handle(item: QueueItem): Promise<Disposition> {
    return this.dispose(item);
  }
}

before(async () => {
  world = await DeliveryWorld.open(
    '[archiver.prototype]\nenable: yes\n[archiver.mhonarc]\nenable: yes\ncommand: /bin/sh -c "exit 7"',
  );
});
after(() => world?.close());

function runner(): ExposedRunner {
  // The site file again, knowing the runners' sections as a runner process does.
  const config = Config.load({ file: world.services.config.file, runners });
  return new ExposedRunner({ config, services: world.services }, registry.archivers, 0, 1);
}
const item = (msgdata: MsgData): QueueItem => {
  const { msg, mlist } = world.ctx(post());
  return { base: 'test', msg, msgdata, mlist };
};
const archived = () => {
  const dir = join(world.dir, 'var', 'archives', 'prototype', 'ant.example.com', 'new');
  return existsSync(dir) ? readdirSync(dir).length : 0;
};

test('a failing archiver goes back to the queue alone, with a wait; the others are done', async () => {
  const before = Date.now();
  const result = await runner().handle(item({ archivers: ['mhonarc', 'prototype'] }));
  assert.equal(archived(), 1);
  assert.ok(result && 'requeue' in result);
  assert.deepEqual(result.requeue.archivers, ['mhonarc']);
  assert.equal(result.requeue.archive_attempts, 1);
  // Named for when it is due, so the queue behind it is not held up; the slice is not paused.
  assert.ok(result.notBefore !== undefined && result.notBefore >= before + 1000);
  assert.equal(result.pauseMs, undefined);

  // A file from before retries were named for their time: it waits out archive_after alone.
  const due = Date.now() + 60_000;
  const waiting = await runner().handle(item({ ...result.requeue, archive_after: due }));
  assert.ok(waiting && 'requeue' in waiting);
  assert.equal(waiting.notBefore, due);
  assert.equal(waiting.pauseMs, undefined);

  const started = Date.now();
  const again = await runner().handle(item(result.requeue));
  assert.ok(again && 'requeue' in again);
  assert.equal(again.requeue.archive_attempts, 2);
  assert.ok(again.notBefore! >= started + 2000, 'the wait grows');
  assert.equal(archived(), 1, 'prototype is not given the post again');
});

test('after MAX_ATTEMPTS the post is shunted naming only the archivers that failed', async () => {
  const msgdata: MsgData = { archivers: ['mhonarc'], archive_attempts: MAX_ATTEMPTS - 1, archive_after: 0 };
  await assert.rejects(runner().handle(item(msgdata)), /archiving failed 12 times for mhonarc/);
  assert.deepEqual(msgdata.archivers, ['mhonarc']);
  assert.equal(msgdata.archive_attempts, undefined, 'unshunted, it gets every try again');
});

test('an archiver the list switched off since the post was queued is skipped', async () => {
  await world.services.listArchivers.set(world.mlist, new Map([['mhonarc', false]]));
  const result = await runner().handle(item({ archivers: ['mhonarc', 'prototype'] }));
  assert.equal(result, undefined);
  assert.equal(archived(), 2);
});
