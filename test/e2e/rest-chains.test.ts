// The language over REST alone, on the real server: a chain PUT over REST is in force for
// the very next message over LMTP, for the list it is assigned to only; a broken PUT is
// refused with diagnostics and changes nothing; assignment and deletion are checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;
const LISTS = ['ant', 'bee'];

const chain = (reason: string) => `chain quarantine "Hold marked posts" {
    if header "X-Quarantine" exists then hold "${reason}"
    jump default-posting-chain
}
`;

let n = 0;
async function post(list: string): Promise<string> {
  const messageId = `<rest-chain-${++n}@example.org>`;
  const res = await sendLmtp(
    server.lmtpPort,
    'anne@example.org',
    [`${list}@example.com`],
    makePost({
      from: 'anne@example.org',
      to: `${list}@example.com`,
      subject: `post ${n}`,
      messageId,
      extra: ['X-Quarantine: 1'],
    }),
  );
  assert.deepEqual(res.accepted, [`${list}@example.com`]);
  return messageId;
}

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  assert.equal((await server.rest('POST', '/domains', { mail_host: 'example.com' })).status, 201);
  for (const list of LISTS) {
    assert.equal((await server.rest('POST', '/lists', { fqdn_listname: `${list}@example.com` })).status, 201);
    const res = await server.rest('POST', '/members', {
      list_id: `${list}.example.com`,
      subscriber: 'anne@example.org',
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
      send_welcome_message: false,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test("a chain PUT over REST and assigned to one list holds that list's mail only", async () => {
  const put = await server.rest('PUT', '/chains/quarantine', { source: chain('Quarantined') });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal(put.body.status, 'ok');
  assert.equal(put.body.origin, 'site');
  assert.equal(
    (await server.rest('PATCH', '/lists/ant.example.com/config', { posting_chain: 'quarantine' })).status,
    204,
  );

  const toAnt = await post('ant');
  assert.match((await server.heldEntry('ant.example.com', toAnt)).reason, /Quarantined/);
  const toBee = await post('bee');
  await sink.waitFor(
    () => sink.copiesFor('anne@example.org', (r) => r.msg.messageId === toBee).length === 1,
    20_000,
    'the post to bee',
  );
  assert.equal(sink.copiesFor('anne@example.org', (r) => r.msg.messageId === toAnt).length, 0);
});

test('once a PUT has answered, the next message runs against the new version', async () => {
  for (const reason of ['Second version', 'Third version']) {
    assert.equal((await server.rest('PUT', '/chains/quarantine', { source: chain(reason) })).status, 200);
    assert.match((await server.heldEntry('ant.example.com', await post('ant'))).reason, new RegExp(reason));
  }
});

test('a broken PUT is refused with diagnostics and the old source stays', async () => {
  const broken = chain('Never').replace('exists then hold', 'exists then hodl');
  const put = await server.rest('PUT', '/chains/quarantine', { source: broken });
  assert.equal(put.status, 400);
  assert.equal(put.body.title, '400 Bad Request');
  assert.match(put.body.description, /quarantine/);
  assert.ok(put.body.diagnostics.length >= 1);
  const d = put.body.diagnostics[0];
  for (const k of ['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'hint'])
    assert.ok(k in d, `diagnostic has ${k}`);
  assert.equal(d.severity, 'error');
  assert.equal(d.line, 2);
  const get = await server.rest('GET', '/chains/quarantine');
  assert.equal(get.body.source, chain('Third version'));
  assert.equal(get.body.status, 'ok');
  // A name that is not the declared one is refused too (MM308).
  const wrong = await server.rest('PUT', '/chains/other-name', { source: chain('x') });
  assert.equal(wrong.status, 400);
  assert.ok(wrong.body.diagnostics.some((x: { code: string }) => x.code === 'MM308'));
  assert.equal((await server.rest('GET', '/chains/other-name')).status, 404);
});

test('assigning an unknown chain is refused and changes nothing', async () => {
  const res = await server.rest('PATCH', '/lists/bee.example.com/config', {
    posting_chain: 'no-such-chain',
    display_name: 'Changed',
  });
  assert.equal(res.status, 400);
  assert.match(res.body.description, /Unknown chain: no-such-chain/);
  const config = (await server.rest('GET', '/lists/bee.example.com/config')).body;
  assert.equal(config.posting_chain, 'default-posting-chain');
  assert.equal(config.display_name, 'Bee');
});

test('a chain in use cannot be deleted; once unassigned it can', async () => {
  const del = await server.rest('DELETE', '/chains/quarantine');
  assert.equal(del.status, 409);
  assert.match(del.body.description, /ant\.example\.com/);
  assert.equal(
    (await server.rest('PATCH', '/lists/ant.example.com/config', { posting_chain: 'default-posting-chain' })).status,
    204,
  );
  assert.equal((await server.rest('DELETE', '/chains/quarantine')).status, 204);
  assert.equal((await server.rest('GET', '/chains/quarantine')).status, 404);
});

test('validate answers with diagnostics and stores nothing', async () => {
  const bad = await server.rest('POST', '/chains/validate', { source: 'chain probe { if lopo then hold }' });
  assert.equal(bad.status, 200);
  assert.equal(bad.body.ok, false);
  const d = bad.body.diagnostics.find((x: { code: string }) => x.code === 'MM301');
  assert.ok(d, JSON.stringify(bad.body));
  assert.match(d.message, /lopo/);
  const good = await server.rest('POST', '/chains/validate', { source: 'chain probe { if loop then hold  accept }' });
  assert.equal(good.body.ok, true, JSON.stringify(good.body));
  assert.equal((await server.rest('GET', '/chains/probe')).status, 404);
  const pipe = await server.rest('POST', '/pipelines/validate', {
    source: 'pipeline probe { cook-headers no-such-handler to-outgoing }',
  });
  assert.equal(pipe.body.ok, false);
  assert.ok(pipe.body.diagnostics.some((x: { code: string }) => x.code === 'MM302'));
});
