// /queues as Mailman has it: the switchboards with their waiting files, a message put in one
// for a list (201 with the file's Location), and a waiting file removed. No runner runs in
// the REST harness, so what is injected stays where it was put.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
  await rest?.close();
});

test('GET /queues: every queue by name, each with its directory, count and files, and a self_link', async () => {
  const r = await rest.get('/queues');
  assert.equal(r.status, 200);
  assertEtag(r.body);
  assert.equal(r.body.self_link, `${rest.root()}/queues`);
  assert.equal(r.body.total_size, QUEUE_NAMES.length);
  assert.deepEqual(
    r.body.entries.map((e: { name: string }) => e.name),
    [...QUEUE_NAMES].sort(),
  );
  const inQueue = r.body.entries.find((e: { name: string }) => e.name === 'in');
  assert.deepEqual(Object.keys(inQueue).sort(), ['count', 'directory', 'files', 'http_etag', 'name', 'self_link']);
  assert.equal(inQueue.directory, join(rest.dir, 'var', 'queue', 'in'));
  assert.equal(inQueue.self_link, `${rest.root()}/queues/in`);
  assertError(await rest.get('/queues/nonesuch'), 404);
});

test('POST /queues/<name> puts the text in that queue for the list; DELETE of the file takes it out', async () => {
  const text = 'From: anne@example.org\nTo: ant@example.com\nSubject: Injected\n\nHello\n';
  // By posting address too, as mailmanclient's inject passes what the caller has.
  const loc = assertCreated(
    await rest.post('/queues/in', { list_id: 'ant@example.com', text }, { form: true }),
    new RegExp(`^${rest.root()}/queues/in/[^/]+$`),
  );
  const base = loc.slice(loc.lastIndexOf('/') + 1);
  const queue = await rest.get('/queues/in');
  assert.deepEqual([queue.body.count, queue.body.files], [1, [base]]);
  const entry = await rest.services.queues.get('in').dequeue(base);
  assert.equal(entry.raw.toString(), text);
  assert.equal(entry.msgdata.listid, 'ant.example.com');
  // dequeue() claimed it: nothing is waiting any more, so DELETE finds nothing.
  assertError(await rest.delete(`/queues/in/${base}`), 404, `No such queue file: ${base}`);

  const again = assertCreated(await rest.post('/queues/virgin', { list_id: 'ant.example.com', text }), /virgin/);
  const file = again.slice(again.lastIndexOf('/') + 1);
  assert.equal((await rest.delete(`/queues/virgin/${file}`)).status, 204);
  assert.equal((await rest.get('/queues/virgin')).body.count, 0);
  assertError(await rest.delete(`/queues/virgin/${file}`), 404);
  assertError(await rest.delete('/queues/virgin/..%2F..%2Fmailman.conf'), 404);
  assertError(await rest.delete(`/queues/nonesuch/${file}`), 404, 'No such queue: nonesuch');
});

test('POST /queues/<name> refuses an unknown list, a missing text and an unknown parameter', async () => {
  assertError(
    await rest.post('/queues/in', { list_id: 'nope.example.com', text: 'x' }),
    400,
    'No such list: nope.example.com',
  );
  assertError(await rest.post('/queues/in', { list_id: 'ant.example.com' }), 400, 'Missing Parameter: text');
  assertError(
    await rest.post('/queues/in', { list_id: 'ant.example.com', text: 'x', queue: 'out' }),
    400,
    'Unexpected parameters: queue',
  );
  assertError(await rest.post('/queues/nonesuch', { list_id: 'ant.example.com', text: 'x' }), 404);
  assert.equal((await rest.get('/queues/in')).body.count, 0);
});
