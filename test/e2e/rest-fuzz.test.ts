// issue 9 acceptance: the REST API's write endpoints under random input. A few hundred
// requests (POST, PUT, PATCH, DELETE on domains, lists, config, members, users, preferences,
// bans, header-matches, chains, pipelines, held, explain) with random JSON, form and broken
// bodies, random names and lengths, against the real server: none may get a 500, and the
// rest runner is still the same process and still answering at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { LIST_SETTINGS } from '../../src/model/list-settings.js';

let sink: SmtpSink;
let server: TestServer;
const auth = 'Basic ' + Buffer.from('restadmin:restpass').toString('base64');
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 400);

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  const ok = async (method: string, path: string, body: Record<string, unknown>) => {
    const res = await server.rest(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await ok('POST', '/domains', { mail_host: 'example.com' });
  for (const l of ['ant', 'bee']) await ok('POST', '/lists', { fqdn_listname: `${l}@example.com` });
  await ok('POST', '/members', {
    list_id: 'ant.example.com',
    subscriber: 'anne@example.org',
    pre_verified: true,
    pre_confirmed: true,
    pre_approved: true,
    send_welcome_message: false,
  });
  await ok('POST', '/lists/ant.example.com/header-matches', { header: 'Subject', pattern: 'spam' });
  await ok('POST', '/lists/ant.example.com/bans', { email: 'bad@example.org' });
});

after(async () => {
  await server?.cleanup();
  await sink?.close();
});

// ---- the pieces of a request

/** Any text: short, long (past file-name and column limits), control characters, non-ASCII. */
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('a', '.', '-', '@', '\r', '\n', '\u0000', '%', '/', '[', '(', '*', '+', '\\', '{', '"', ' '),
    maxLength: 30,
  }),
  fc.integer({ min: 1, max: 400 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '.',
    '@',
    'a@b.c\r\nBcc: t@e.x',
    '(a+)+$',
    '[abc',
    '^.*$',
    '%00',
    '0',
    '-1',
    '1e400',
    'null',
    'true',
  ),
);

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

const FIELDS = [
  ...LIST_SETTINGS.map((s) => s.name),
  ...[
    'mail_host',
    'description',
    'alias_domain',
    'owner',
    'fqdn_listname',
    'style_name',
    'list_id',
    'subscriber',
    'display_name',
    'role',
  ],
  ...[
    'delivery_mode',
    'delivery_status',
    'pre_verified',
    'pre_confirmed',
    'pre_approved',
    'send_welcome_message',
    'invitation',
    'address',
  ],
  ...[
    'moderation_action',
    'email',
    'password',
    'is_server_owner',
    'header',
    'pattern',
    'action',
    'tag',
    'position',
    'source',
    'name',
  ],
  ...['comment', 'reason', 'forward', 'message', 'chain', 'pipeline', 'sender', 'count', 'page'],
  ...['acknowledge_posts', 'hide_address', 'preferred_language', 'receive_list_copy', 'receive_own_postings'],
];
const body = fc.dictionary(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELDS) }, fc.string({ maxLength: 8 })),
  value,
  { maxKeys: 5 },
);

const list = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('ant.example.com', 'ant@example.com', 'bee.example.com') },
  text,
);
const segment = (...known: string[]) => fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...known) }, text);
const chainSource = fc.oneof(
  fc.constantFrom('chain fz "x" {\n    accept\n}\n', 'pipeline fz "x" {\n    to-outgoing\n}\n', 'chain fz {', ''),
  fc
    .integer({ min: 1, max: 800 })
    .map((n) => `chain fz "deep" {\n    if ${'('.repeat(n)}true${')'.repeat(n)} then accept\n}\n`),
  text,
);

const PATHS: fc.Arbitrary<[string[], string]>[] = [
  fc.tuple(fc.constant(['POST']), fc.constant('/domains')),
  fc.tuple(
    fc.constant(['PUT', 'PATCH', 'DELETE']),
    segment('example.com', 'other.example').map((h) => `/domains/${enc(h)}`),
  ),
  fc.tuple(fc.constant(['POST']), fc.constantFrom('/lists', '/lists/find', '/members', '/members/find', '/users')),
  fc.tuple(
    fc.constant(['DELETE']),
    list.map((l) => `/lists/${enc(l)}`),
  ),
  fc.tuple(
    fc.constant(['PUT', 'PATCH']),
    list.map((l) => `/lists/${enc(l)}/config`),
  ),
  fc.tuple(
    fc.constant(['PUT', 'PATCH']),
    fc.tuple(list, segment(...LIST_SETTINGS.map((s) => s.name))).map(([l, a]) => `/lists/${enc(l)}/config/${enc(a)}`),
  ),
  fc.tuple(
    fc.constant(['PATCH', 'DELETE']),
    segment('1', '00000000000000000000000000000001').map((id) => `/members/${enc(id)}`),
  ),
  fc.tuple(
    fc.constant(['PUT', 'PATCH', 'DELETE']),
    fc.oneof(
      segment('1', '00000000000000000000000000000001').map((id) => `/members/${enc(id)}/preferences`),
      segment('anne@example.org', 'nobody@example.org').map((e) => `/addresses/${enc(e)}/preferences`),
      segment('anne@example.org', '1').map((u) => `/users/${enc(u)}/preferences`),
    ),
  ),
  fc.tuple(
    fc.constant(['POST', 'DELETE']),
    list.map((l) => `/lists/${enc(l)}/bans`),
  ),
  fc.tuple(fc.constant(['POST', 'DELETE']), fc.constant('/bans')),
  fc.tuple(
    fc.constant(['DELETE']),
    fc.tuple(list, segment('bad@example.org', '^.*@evil')).map(([l, e]) => `/lists/${enc(l)}/bans/${enc(e)}`),
  ),
  fc.tuple(
    fc.constant(['POST', 'DELETE']),
    list.map((l) => `/lists/${enc(l)}/header-matches`),
  ),
  fc.tuple(
    fc.constant(['PUT', 'PATCH', 'DELETE']),
    fc
      .tuple(list, segment('0', '1', '99999999999999999999'))
      .map(([l, p]) => `/lists/${enc(l)}/header-matches/${enc(p)}`),
  ),
  fc.tuple(
    fc.constant(['PUT', 'DELETE']),
    fc
      .tuple(fc.constantFrom('chains', 'pipelines'), segment('fz', 'default-posting-chain', 'accept'))
      .map(([k, n]) => `/${k}/${enc(n)}`),
  ),
  fc.tuple(fc.constant(['POST']), fc.constantFrom('/chains/validate', '/pipelines/validate')),
  fc.tuple(
    fc.constant(['POST']),
    fc.tuple(list, segment('1', '2')).map(([l, id]) => `/lists/${enc(l)}/held/${enc(id)}`),
  ),
  fc.tuple(
    fc.constant(['POST']),
    list.map((l) => `/lists/${enc(l)}/explain`),
  ),
  fc.tuple(
    fc.constant(['DELETE']),
    fc.tuple(list, segment('member', 'owner', 'moderator')).map(([l, r]) => `/lists/${enc(l)}/roster/${enc(r)}`),
  ),
  fc.tuple(
    fc.constant(['DELETE']),
    fc
      .tuple(list, segment('member', 'owner'), segment('anne@example.org'))
      .map(([l, r, e]) => `/lists/${enc(l)}/${enc(r)}/${enc(e)}`),
  ),
];

function enc(s: string): string {
  // Lone surrogates cannot be percent-encoded; a client could not send them either.
  return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'));
}

interface FuzzRequest {
  method: string;
  path: string;
  encoding: 'json' | 'form' | 'broken-json' | 'none' | 'rfc822';
  body: Record<string, unknown>;
}

const request: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.oneof(...PATHS),
    fc.nat(),
    fc.constantFrom('json', 'json', 'form', 'form', 'broken-json', 'none', 'rfc822'),
    body,
    chainSource,
    fc.boolean(),
  )
  .map(([[methods, path], i, encoding, b, source, withSource]) => ({
    method: methods[i % methods.length],
    path,
    encoding: encoding as FuzzRequest['encoding'],
    body: withSource ? { ...b, source, message: source } : b,
  }));

function payload(r: FuzzRequest): { type?: string; data?: string } {
  switch (r.encoding) {
    case 'none':
      return {};
    case 'json':
      return { type: 'application/json', data: JSON.stringify(r.body) };
    case 'broken-json':
      return { type: 'application/json', data: JSON.stringify(r.body).slice(0, -1) };
    case 'rfc822':
      // fast-check's objects may have no prototype: String() of one throws, JSON does not.
      return {
        type: 'message/rfc822',
        data:
          typeof r.body.message === 'string'
            ? r.body.message
            : r.body.message === undefined
              ? 'Subject: x\n\nbody\n'
              : JSON.stringify(r.body.message),
      };
    case 'form': {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(r.body))
        for (const item of Array.isArray(v) ? v : [v])
          params.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
      return { type: 'application/x-www-form-urlencoded', data: params.toString() };
    }
  }
}

async function send(r: FuzzRequest): Promise<{ status: number; text: string }> {
  const { type, data } = payload(r);
  const res = await fetch(`http://127.0.0.1:${server.restPort}/3.1${r.path}`, {
    method: r.method,
    headers: { authorization: auth, ...(type ? { 'content-type': type } : {}) },
    body: data,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text() };
}

test(`${REQUESTS} random write requests: never a 500, and the server keeps answering`, async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const restPid = server.runnerPid('rest');
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  for (const r of fc.sample(request, { numRuns: REQUESTS, seed })) {
    let reply: { status: number; text: string };
    if (process.env.FUZZ_LOG)
      appendFileSync(
        process.env.FUZZ_LOG,
        `${new Date().toISOString()} ${r.method} ${r.path} ${r.encoding} ${JSON.stringify(r.body).slice(0, 300)}\n`,
      );
    try {
      reply = await send(r);
    } catch (err) {
      failures.push(`${r.method} ${r.path} (${r.encoding}) got no answer: ${(err as Error).message}`);
      break;
    }
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    if (reply.status >= 500)
      failures.push(
        `${reply.status} for ${r.method} ${r.path} (${r.encoding}) ${JSON.stringify(r.body).slice(0, 400)}: ${reply.text.slice(0, 200)}`,
      );
    // Every error is Mailman's JSON body.
    else if (reply.status >= 400) {
      const parsed = (() => {
        try {
          return JSON.parse(reply.text) as { title?: unknown; description?: unknown };
        } catch {
          return undefined;
        }
      })();
      // A path nothing answers, or a method it does not take, has a title alone, as Mailman's.
      const titleOnly = (reply.status === 404 || reply.status === 405) && Object.keys(parsed ?? {}).length === 1;
      if (typeof parsed?.title !== 'string' || (typeof parsed?.description !== 'string' && !titleOnly))
        failures.push(`${reply.status} without a JSON reason for ${r.method} ${r.path}: ${reply.text.slice(0, 200)}`);
    }
  }
  t.diagnostic(`seed ${seed}; statuses ${JSON.stringify([...statuses].sort(([a], [b]) => a - b))}`);
  assert.deepEqual(
    failures,
    [],
    `seed ${seed} (rerun with FUZZ_SEED=${seed}); statuses ${JSON.stringify([...statuses])}`,
  );
  const system = await server.rest('GET', '/system');
  assert.equal(system.status, 200);
  assert.equal(server.runnerPid('rest'), restPid, 'the rest runner never restarted');
  // Some requests must have got through, or the fuzz only ever tested the 400 paths.
  assert.ok(
    [...statuses.keys()].some((s) => s < 300),
    `statuses ${JSON.stringify([...statuses])}`,
  );
});
