// POST /3.1/lists/L/explain runs in a worker thread: a run past [webservice] explain_timeout
// is stopped and answered 503 while the REST process goes on answering, and the next request
// gets a new worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;

before(async () => {
  sink = await new SmtpSink().start();
  // No explanation fits in a millisecond: every one is stopped by the timeout.
  server = await TestServer.start({ smtpPort: sink.port, config: '[webservice]\nexplain_timeout: 1ms' });
  await server.createList('ant@example.com');
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('an explanation past explain_timeout is stopped with 503; REST keeps answering and the next one starts a new worker', async () => {
  const restPid = server.readRun('rest')!.pid;
  const post = makePost({
    from: 'anne@example.org',
    to: 'ant@example.com',
    subject: 'Hello',
    body: 'x'.repeat(500_000),
  });
  for (let i = 0; i < 3; i++) {
    const [explained, system] = await Promise.all([
      server.rest('POST', '/lists/ant.example.com/explain', { message: post }),
      server.rest('GET', '/system'),
    ]);
    assert.equal(explained.status, 503, JSON.stringify(explained.body));
    assert.match(explained.body.description, /took longer than 1 ms and was stopped/);
    assert.equal(system.status, 200);
  }
  // Unknown lists are still told apart before any worker runs.
  assert.equal((await server.rest('POST', '/lists/nope.example.com/explain', { message: post })).status, 404);
  assert.equal(server.readRun('rest')!.pid, restPid, 'the rest runner was not restarted');
  assert.equal(server.status().runners.find((r) => r.name === 'rest')!.restarts, 0);
});
