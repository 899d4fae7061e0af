// /queues as Postorius's System Information page and mailmanclient read them: every queue with
// its waiting files; a message injected for a list; a waiting file removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RestHarness, assertCreated, assertEtag, assertError } from './harness.js';
import { QUEUE_NAMES } from '../../src/queue/switchboard.js';

let rest: RestHarness;
before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
});
after(async () => {
  await rest.close();
});

const TEXT = 'From: anne@example.com\nTo: ant@example.com\nSubject: Injected\n\nHello\n';

test('GET /queues: every queue by name, its directory, count and files', async () => {
  const r = await rest.get('/queues');
  assert.equal(r.status, 200);
  assert.equal(r.body.self_link, `${rest.root()}/queues`);
  assert.equal(r.body.total_size, QUEUE_NAMES.length);
  assert.deepEqual(
    r.body.entries.map((q: { name: string }) => q.name),
    [...QUEUE_NAMES].sort(),
  );
  const bad = r.body.entries.find((q: { name: string }) => q.name === 'bad');
  assert.deepEqual(Object.keys(bad).sort(), ['count', 'directory', 'files', 'http_etag', 'name', 'self_link']);
  assert.equal(bad.directory, join(rest.services.config.queueDir, 'bad'));
  assert.equal(bad.count, 0);
  assert.deepEqual(bad.files, []);
  assert.equal(bad.self_link, `${rest.root()}/queues/bad`);
  assertEtag(r.body);
  assertError(await rest.get('/queues/nowhere'), 404);
});

test('POST /queues/<name> injects for a list; DELETE removes the waiting file', async () => {
  // Injected into a queue no runner takes from here: the harness runs none.
  const location = assertCreated(
    await rest.post('/queues/bad', { list_id: 'ant.example.com', text: TEXT }, { form: true }),
    /\/queues\/bad\/[^/]+$/,
  );
  const base = location.slice(location.lastIndexOf('/') + 1);
  const queue = await rest.get('/queues/bad');
  assert.equal(queue.body.count, 1);
  assert.deepEqual(queue.body.files, [base]);
  assertEtag(queue.body);

  assertError(await rest.post('/queues/bad', { list_id: 'nobody.example.com', text: TEXT }), 400);
  assertError(await rest.post('/queues/bad', { list_id: 'ant.example.com' }), 400);
  assertError(await rest.delete('/queues/bad/..%2F..%2Fmailman.conf'), 404);

  assert.equal((await rest.delete(`/queues/bad/${base}`)).status, 204);
  assert.equal((await rest.get('/queues/bad')).body.count, 0);
  assert.equal(existsSync(join(rest.services.config.queueDir, 'bad', `${base}.bak`)), false);
  assertError(await rest.delete(`/queues/bad/${base}`), 404);
});
