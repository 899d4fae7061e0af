import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestHarness, assertEtag, assertError } from './harness.js';

let rest: RestHarness;
let firstId: number;
let secondId: number;

const RAW = [
  'From: Anne <anne@example.com>',
  'To: ant@example.com',
  'Subject: =?utf-8?q?Caf=C3=A9?= news',
  'Message-ID: <held-1@example.com>',
  '',
  'Is this the right list?',
  '',
].join('\n');

before(async () => {
  rest = await RestHarness.start();
  await rest.services.domains.create('example.com');
  await rest.services.lists.create('ant@example.com');
  await rest.services.lists.create('bee@example.com');
  await rest.services.messages.add('<held-1@example.com>', Buffer.from(RAW));
  const first = await rest.services.requests.holdMessage('ant.example.com', {
    _mod_message_id: '<held-1@example.com>',
    _mod_listid: 'ant.example.com',
    _mod_sender: 'anne@example.com',
    _mod_subject: 'Café news',
    _mod_reason: 'The message is not from a list member',
    _mod_hold_date: '2026-11-25T21:10:00.123',
    _private: 'not shown',
    extra: 7,
    received_time: 12345,
  });
  firstId = first.id;
  await rest.services.messages.add(
    '<held-2@example.com>',
    Buffer.from('From: bart@example.com\nSubject: Second\nMessage-ID: <held-2@example.com>\n\nbody\n'),
  );
  const second = await rest.services.requests.holdMessage('ant.example.com', {
    _mod_message_id: '<held-2@example.com>',
    _mod_listid: 'ant.example.com',
    _mod_sender: 'bart@example.com',
    _mod_subject: 'Second',
    _mod_reason: 'Message too big',
    _mod_hold_date: '2026-11-25T22:00:00',
  });
  secondId = second.id;
});
after(async () => {
  await rest.close();
});

test('GET held/<id>: Mailman entry shape with the full message and the remaining metadata', async () => {
  const r = await rest.get(`/lists/ant.example.com/held/${firstId}`);
  assert.equal(r.status, 200);
  assert.deepEqual(
    { ...r.body, http_etag: undefined },
    {
      _parsemsg: false,
      extra: 7,
      // Kept in epoch milliseconds, shown as Mailman's datetime.
      received_time: '1970-01-01T00:00:12.345000',
      hold_date: '2026-11-25T21:10:00.123000',
      lang: 'en',
      message_id: '<held-1@example.com>',
      msg: RAW,
      original_subject: '=?utf-8?q?Caf=C3=A9?= news',
      reason: 'The message is not from a list member',
      request_id: firstId,
      self_link: `${rest.root()}/lists/ant.example.com/held/${firstId}`,
      sender: 'anne@example.com',
      subject: 'Café news',
      http_etag: undefined,
    },
  );
  assertEtag(r.body);
  // The fqdn form of the list works as well.
  assert.equal((await rest.get(`/lists/ant@example.com/held/${firstId}`)).body.request_id, firstId);
});

test('GET held: the collection in request order, paging, and no entries for a list with none', async () => {
  const all = await rest.get('/lists/ant.example.com/held');
  assert.equal(all.status, 200);
  assert.equal(all.body.total_size, 2);
  assert.deepEqual(
    all.body.entries.map((e: { request_id: number }) => e.request_id),
    [firstId, secondId],
  );
  for (const e of all.body.entries) assertEtag(e);
  assertEtag(all.body);
  assert.equal(all.body.entries[1].subject, 'Second');
  const page = await rest.get('/lists/ant.example.com/held?count=1&page=2');
  assert.equal(page.body.start, 1);
  assert.equal(page.body.entries[0].request_id, secondId);
  const none = await rest.get('/lists/bee.example.com/held');
  assert.deepEqual(Object.keys(none.body).sort(), ['http_etag', 'start', 'total_size']);
  assert.equal(none.body.total_size, 0);
});

test('GET held/count', async () => {
  const r = await rest.get('/lists/ant.example.com/held/count');
  assert.equal(r.status, 200);
  assert.equal(r.body.count, 2);
  assertEtag(r.body);
  assert.equal((await rest.get('/lists/bee.example.com/held/count')).body.count, 0);
});

test("held: 404 for an unknown id, another list's id, a non-number, or an unknown list", async () => {
  assertError(await rest.get('/lists/ant.example.com/held/9999'), 404);
  assertError(await rest.get(`/lists/bee.example.com/held/${firstId}`), 404);
  assertError(await rest.get('/lists/ant.example.com/held/abc'), 404);
  assertError(await rest.get('/lists/nope.example.com/held'), 404);
  assertError(await rest.get('/lists/nope.example.com/held/count'), 404);
});
