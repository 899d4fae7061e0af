// The REST API reachable from other hosts with the shipped password is refused at start;
// on loopback the shipped defaults still run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { isLoopback } from '../../src/config/exposure.js';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.cleanup();
});

test('start refuses a REST API on all interfaces with the default password, and says why', async () => {
  const server = TestServer.prepare({ smtpPort: 2525, config: '[webservice]\nhostname: 0.0.0.0' });
  servers.push(server);
  const res = await server.cli(['start']);
  assert.equal(res.code, 2);
  assert.match(
    res.stderr,
    /refusing to start: \[webservice\] hostname is 0\.0\.0\.0, reachable from other hosts, but admin_pass is still the shipped default/,
  );
  assert.equal(existsSync(join(server.varDir, 'master.pid')), false, 'no master was left behind');
});

test('a short password is refused too once the API is reachable from other hosts', async () => {
  const server = TestServer.prepare({ smtpPort: 2525, config: '[webservice]\nhostname: 192.0.2.1\nadmin_pass: short' });
  servers.push(server);
  const res = await server.cli(['start', '--foreground']);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /admin_pass has fewer than 12 characters/);
});

test('loopback names count as this host only', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.0.2.1', 'lists.example.com', '127.example.com'])
    assert.equal(isLoopback(h), false, h);
});
