// Derived pipelines on the real server: site files in var/pipelines/, one derived from the
// built-in default-posting-pipeline and one from a site base, assigned to lists; the posts
// reach the SMTP sink with the edits made, REST shows the expanded steps, and rewriting the
// base file changes what the derived pipeline does on the next post, with no restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp, makePost } from '../helpers/lmtp-client.js';

let sink: SmtpSink;
let server: TestServer;
let dir: string;

const STRICT = `pipeline strict from default-posting-pipeline "The default, with a policy header" {
    before subject-prefix: add-header(name: "X-Policy", value: "strict")
    after cook-headers: remove-header(name: "X-Spam")
    without tagger
}
`;
const house = (value: string) => `pipeline house "The house steps" {
    member-recipients
    cook-headers
    add-header(name: "X-House", value: "${value}")
    to-outgoing
}
`;
const HOUSE_PLUS = `pipeline house-plus from house {
    before to-outgoing: add-header(name: "X-Plus", value: "yes")
}
`;

let n = 0;
/** Posts to a list from a non-member (accepted) and waits for it at the sink. */
async function post(list: string): Promise<(name: string) => string[]> {
  const messageId = `<derived-${++n}@example.org>`;
  const text = makePost({
    from: 'anne@example.org',
    to: list,
    subject: `post ${n}`,
    messageId,
    extra: ['X-Spam: yes'],
  });
  await sendLmtp(server.lmtpPort, 'anne@example.org', [list], Buffer.from(text));
  const got = () => sink.received.find((r) => r.msg.messageId === messageId);
  await sink.waitFor(() => got() !== undefined, 20_000, `post ${n} to ${list}`);
  const { msg } = got()!;
  return (name) => msg.getAll(name);
}

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  dir = join(server.varDir, 'pipelines');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'strict.pipeline'), STRICT);
  writeFileSync(join(dir, 'house.pipeline'), house('first'));
  writeFileSync(join(dir, 'house-plus.pipeline'), HOUSE_PLUS);
  for (const [list, pipeline] of [
    ['strict@example.com', 'strict'],
    ['plus@example.com', 'house-plus'],
  ]) {
    await server.createList(list, ['bob@example.net']);
    const fqdn = list.replace('@', '.');
    const patch = await server.rest('PATCH', `/lists/${fqdn}/config`, {
      default_nonmember_action: 'accept',
      posting_pipeline: pipeline,
    });
    assert.equal(patch.status, 204, JSON.stringify(patch.body));
  }
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

test('REST shows a derived pipeline as the whole list of steps, edits in place', async () => {
  const res = await server.rest('GET', '/pipelines/strict');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.ir.from, 'default-posting-pipeline');
  const steps = (res.body.ir.steps as { handler: string }[]).map((s) => s.handler);
  assert.equal(steps.length, 17 + 2 - 1);
  assert.ok(!steps.includes('tagger'));
  assert.equal(steps[steps.indexOf('subject-prefix') - 1], 'add-header');
  assert.equal(steps[steps.indexOf('cook-headers') + 1], 'remove-header');
  assert.deepEqual(res.body.diagnostics, []);
});

test('a post to a list on the derived pipeline gets the added header and loses the removed one', async () => {
  const header = await post('strict@example.com');
  assert.deepEqual(header('x-policy'), ['strict']);
  assert.deepEqual(header('x-spam'), []);
  assert.deepEqual(header('list-id'), ['<strict.example.com>']);
});

test('rewriting the base changes the derived pipeline for the next post', async () => {
  let header = await post('plus@example.com');
  assert.deepEqual(header('x-house'), ['first']);
  assert.deepEqual(header('x-plus'), ['yes']);
  writeFileSync(join(dir, 'house.pipeline'), house('the second'));
  header = await post('plus@example.com');
  assert.deepEqual(header('x-house'), ['the second']);
  assert.deepEqual(header('x-plus'), ['yes']);
});

test('REST refuses a derived pipeline with an anchor its base lacks, or one that closes a loop of bases', async () => {
  const anchor = await server.rest('PUT', '/pipelines/odd', {
    source: 'pipeline odd from house {\n    without cook-header\n}\n',
  });
  assert.equal(anchor.status, 400, JSON.stringify(anchor.body));
  const [d] = anchor.body.diagnostics as { code: string; message: string; hint: string }[];
  assert.deepEqual(
    [d!.code, d!.message, d!.hint],
    ['MM313', "'cook-header' is not a step of 'house'", "did you mean 'cook-headers'?"],
  );
  // house-plus derives from house: house may not derive from house-plus.
  const loop = await server.rest('PUT', '/pipelines/house', {
    source: 'pipeline house from house-plus {\n    without cook-headers\n}\n',
  });
  assert.equal(loop.status, 400, JSON.stringify(loop.body));
  const [l] = loop.body.diagnostics as { code: string; message: string }[];
  assert.deepEqual(
    [l!.code, l!.message],
    ['MM501', "pipeline 'house' derives from itself: house → house-plus → house"],
  );
  // The base in force is unchanged.
  const now = await server.rest('GET', '/pipelines/house');
  assert.equal(now.body.ir.from, undefined);
});
