// The JSON bodies GNU Mailman 3.3.8 gives, field by field: the real server is booted, the
// objects of test/fixtures/mailman-3.3.8/capture.py are built on it the same way (a held
// message arrives over LMTP), and every body is compared with Mailman's: the same keys, the
// same JSON type of each value, and the same value wherever it does not vary between runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp-sink.js';
import { sendLmtp } from '../helpers/lmtp-client.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'mailman-3.3.8');
/** The root capture.py writes every link with. */
const FIXTURE_ROOT = 'http://localhost:9001';

const fixture = (shape: string): any => JSON.parse(readFileSync(join(FIXTURES, `${shape}.json`), 'utf8'));

/**
 * Values that are ours to differ in, by shape and key: compared by JSON type only. The
 * server's identity. A held post's rules, which our chains name their own way, its size,
 * which counts the headers our LMTP adds, and `version`, the format of our queue metadata.
 * The styles' descriptions, our own words.
 */
const HELD = ['rule_misses', 'rule_hits', 'original_size', 'msg', 'version'];
const OURS: Record<string, readonly string[]> = {
  'system-versions': ['mailman_version', 'python_version'],
  held: HELD,
  'held-collection': HELD,
  styles: ['description'],
};

/**
 * List settings mailman-ts has beyond Mailman's: the chains and pipelines written in our
 * language, and settings Mailman keeps on the list but does not serve. Mailman's clients never
 * send them, so they are extra keys only in GET /config.
 */
const CONFIG_EXTENSIONS = [
  'bounce_matching_headers',
  'member_regular_footer',
  'member_regular_header',
  'nntp_host',
  'owner_chain',
  'owner_pipeline',
  'posting_chain',
  'topics',
  'topics_bodylines_limit',
  'topics_enabled',
];

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Compares one of our bodies with Mailman's, binding each placeholder id to the id we gave. */
class ShapeComparer {
  private readonly bound = new Map<string, string>();
  readonly problems: string[] = [];

  constructor(private readonly root: string) {}

  compare(shape: string, ours: unknown, theirs: unknown, path = shape, extraKeys: readonly string[] = []): void {
    const loose = OURS[shape] ?? [];
    if (jsonType(ours) !== jsonType(theirs)) {
      this.problems.push(`${path}: ${jsonType(ours)} ${JSON.stringify(ours)}, Mailman: ${JSON.stringify(theirs)}`);
      return;
    }
    if (Array.isArray(theirs)) {
      const o = ours as unknown[];
      if (o.length !== theirs.length) this.problems.push(`${path}: ${o.length} items, Mailman: ${theirs.length}`);
      else theirs.forEach((t, i) => this.compare(shape, o[i], t, `${path}[${i}]`));
      return;
    }
    if (theirs && typeof theirs === 'object') {
      const o = ours as Record<string, unknown>;
      const t = theirs as Record<string, unknown>;
      const missing = Object.keys(t).filter((k) => !(k in o));
      const extra = Object.keys(o).filter((k) => !(k in t) && !extraKeys.includes(k));
      if (missing.length) this.problems.push(`${path}: missing ${missing.join(', ')}`);
      if (extra.length) this.problems.push(`${path}: extra ${extra.join(', ')}`);
      for (const k of Object.keys(t)) {
        if (!(k in o)) continue;
        if (loose.includes(k)) {
          if (jsonType(o[k]) !== jsonType(t[k])) this.problems.push(`${path}.${k}: ${jsonType(o[k])}`);
        } else this.compare(shape, o[k], t[k], `${path}.${k}`);
      }
      return;
    }
    if (typeof theirs === 'string') this.compareString(path, ours as string, theirs);
    else if (ours !== theirs)
      this.problems.push(`${path}: ${JSON.stringify(ours)}, Mailman: ${JSON.stringify(theirs)}`);
  }

  private compareString(path: string, ours: string, theirs: string): void {
    const differ = (what: string): void =>
      void this.problems.push(`${path}: ${JSON.stringify(ours)}, Mailman: ${what}`);
    if (theirs === '"<etag>"') {
      if (!/^"[0-9a-f]{40}"$/.test(ours)) differ('a quoted sha1');
      return;
    }
    if (theirs === '<password hash>' || theirs === '<the held message as stored>') return;
    if (theirs === '2000-01-01T00:00:00.000000') {
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/.test(ours)) differ('ISO with microseconds');
      return;
    }
    if (theirs === '2000-01-01T00:00:00') {
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(ours)) differ('ISO to the second');
      return;
    }
    // Ids and tokens: a placeholder stands for the same value wherever it appears.
    const parts = theirs.replaceAll(FIXTURE_ROOT, this.root).split(/(\b0{20,}[1-9]\d*\b)/);
    let pattern = '';
    const names: string[] = [];
    for (const [i, part] of parts.entries()) {
      if (i % 2) {
        names.push(part);
        pattern += '([0-9a-f]+)';
      } else pattern += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    const m = new RegExp(`^${pattern}$`).exec(ours);
    if (!m) {
      differ(JSON.stringify(theirs));
      return;
    }
    names.forEach((name, i) => {
      const value = m[i + 1];
      const seen = this.bound.get(name);
      if (seen === undefined) this.bound.set(name, value);
      else if (seen !== value) differ(`the id first seen as ${seen}`);
    });
  }
}

let sink: SmtpSink;
let server: TestServer;
const bodies = new Map<string, unknown>();
const errors: Record<string, { status: number; body: unknown }> = {};

/** A form-encoded call, as mailmanclient and capture.py make them. */
async function call(
  method: string,
  path: string,
  data?: Record<string, string>,
): Promise<{ status: number; body: any; location: string | null }> {
  const headers: Record<string, string> = {
    authorization: 'Basic ' + Buffer.from('restadmin:restpass').toString('base64'),
  };
  if (data) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`http://127.0.0.1:${server.restPort}/3.1${path}`, {
    method,
    headers,
    body: data ? new URLSearchParams(data).toString() : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, location: res.headers.get('location') };
}

async function ok(method: string, path: string, data?: Record<string, string>) {
  const r = await call(method, path, data);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

async function save(shape: string, path: string): Promise<any> {
  const body = (await ok('GET', path)).body;
  bodies.set(shape, body);
  return body;
}

async function error(name: string, method: string, path: string, data?: Record<string, string>): Promise<void> {
  const { status, body } = await call(method, path, data);
  errors[name] = { status, body };
}

const PRE = { pre_verified: 'true', pre_confirmed: 'true', pre_approved: 'true' };

/** The steps of capture.py, in its order. */
async function build(): Promise<void> {
  await ok('POST', '/domains', { mail_host: 'example.com', description: 'An example domain' });
  await save('system-versions', '/system/versions');
  await save('domain', '/domains/example.com');
  await save('domains', '/domains');
  await error('domain-exists', 'POST', '/domains', { mail_host: 'example.com' });
  await error('domain-missing', 'GET', '/domains/nowhere.example.org');

  await ok('POST', '/lists', { fqdn_listname: 'ant@example.com' });
  await save('list', '/lists/ant.example.com');
  await save('lists', '/lists');
  await save('config', '/lists/ant.example.com/config');
  await save('config-attribute', '/lists/ant.example.com/config/display_name');
  await save('styles', '/lists/styles');
  const config = '/lists/ant.example.com/config';
  await error('list-exists', 'POST', '/lists', { fqdn_listname: 'ant@example.com' });
  await error('list-missing', 'GET', '/lists/nobody.example.com');
  await error('config-unknown-attribute', 'PATCH', config, { no_such_thing: 'x' });
  await error('config-not-an-attribute', 'PATCH', config, { list_id: 'x.example.com' });
  await error('config-read-only', 'PATCH', config, { mail_host: 'example.org' });
  await error('config-attribute-read-only', 'PUT', `${config}/created_at`, { created_at: 'x' });
  await error('config-bad-boolean', 'PATCH', config, { advertised: 'maybe' });
  await error('config-bad-timedelta', 'PATCH', config, { bounce_info_stale_after: 'soon' });
  await error('config-bad-value', 'PATCH', config, { max_message_size: 'big' });
  await error('config-bad-enum', 'PATCH', config, { subscription_policy: 'whim' });
  await error('config-get-unknown', 'GET', `${config}/no_such_thing`);
  await error('config-put-missing', 'PUT', config, { display_name: 'Ant' });

  const user = await ok('POST', '/users', {
    email: 'anne@example.com',
    display_name: 'Anne Person',
    password: 'secret',
  });
  const uid = user.location!.split('/').pop()!;
  await ok('POST', `/users/${uid}/addresses`, { email: 'anne.other@example.com', display_name: 'Anne Other' });
  await ok('POST', '/addresses/anne@example.com/verify');
  await ok('POST', `/users/${uid}/preferred_address`, { email: 'anne@example.com' });
  await save('user', `/users/${uid}`);
  await save('users', '/users');
  await save('address-verified', '/addresses/anne@example.com');
  await save('address-unverified', '/addresses/anne.other@example.com');
  await save('user-addresses', `/users/${uid}/addresses`);
  await error('user-exists', 'POST', '/users', { email: 'anne@example.com' });
  await error('user-missing', 'GET', '/users/nobody@example.com');
  await error('address-missing', 'GET', '/addresses/nobody@example.com');
  await error('user-bad-email', 'POST', '/users', { email: 'not an address' });

  const ant = 'ant.example.com';
  await ok('POST', '/members', { list_id: ant, subscriber: uid, ...PRE });
  await ok('POST', '/members', {
    list_id: ant,
    subscriber: 'bart@example.com',
    display_name: 'Bart Person',
    delivery_mode: 'mime_digests',
    ...PRE,
  });
  await ok('POST', '/members', { list_id: ant, subscriber: 'cris@example.com', role: 'owner' });
  await ok('POST', '/members', { list_id: ant, subscriber: 'dave@example.com', role: 'moderator' });
  await ok('POST', '/members', { list_id: ant, subscriber: 'elly@example.com', role: 'nonmember' });
  const roster = await save('roster-member', `/lists/${ant}/roster/member`);
  const byEmail = new Map<string, any>((roster.entries ?? []).map((m: any) => [m.email, m]));
  bodies.set('member-by-user', byEmail.get('anne@example.com'));
  bodies.set('member-by-address', byEmail.get('bart@example.com'));
  await save('member-owner', `/lists/${ant}/owner/cris@example.com`);
  await save('member-moderator', `/lists/${ant}/moderator/dave@example.com`);
  await save('member-nonmember', `/lists/${ant}/nonmember/elly@example.com`);
  const bart = byEmail.get('bart@example.com').member_id;
  await ok('PATCH', `/members/${bart}`, { moderation_action: 'hold' });
  await save('member-moderated', `/members/${bart}`);
  await save('members', '/members');
  await save('addresses', '/addresses');
  await error('member-exists', 'POST', '/members', { list_id: ant, subscriber: 'bart@example.com', ...PRE });
  await error('member-missing', 'GET', `/members/${'0'.repeat(32)}`);
  await error('member-bad-role', 'POST', '/members', { list_id: ant, subscriber: 'f@example.com', role: 'boss' });
  await error('member-no-list', 'POST', '/members', { list_id: 'nope.example.com', subscriber: 'f@example.com' });
  bodies.set('member-find', (await ok('POST', '/members/find', { list_id: ant, role: 'owner' })).body);

  await save('preferences-system', '/system/preferences');
  await save('preferences-empty', `/users/${uid}/preferences`);
  await ok('PATCH', `/users/${uid}/preferences`, { receive_own_postings: 'false', preferred_language: 'fr' });
  await ok('PATCH', '/addresses/anne.other@example.com/preferences', {
    delivery_status: 'by_user',
    acknowledge_posts: 'true',
  });
  await ok('PATCH', `/members/${bart}/preferences`, { hide_address: 'false', delivery_mode: 'plaintext_digests' });
  await save('preferences-user', `/users/${uid}/preferences`);
  await save('preferences-address', '/addresses/anne.other@example.com/preferences');
  await save('preferences-member', `/members/${bart}/preferences`);
  await save('preferences-member-all', `/members/${bart}/all/preferences`);
  await error('preferences-unknown', 'PATCH', `/users/${uid}/preferences`, { favourite_colour: 'blue' });
  await error('preferences-bad-value', 'PATCH', `/users/${uid}/preferences`, { delivery_mode: 'carrier_pigeon' });

  await ok('POST', `/lists/${ant}/bans`, { email: 'spam@example.com' });
  await ok('POST', '/bans', { email: '^.*@spam.example.org' });
  await save('ban', `/lists/${ant}/bans/spam@example.com`);
  await save('bans', `/lists/${ant}/bans`);
  await save('bans-global', '/bans');
  await error('ban-exists', 'POST', `/lists/${ant}/bans`, { email: 'spam@example.com' });
  await error('ban-missing', 'GET', `/lists/${ant}/bans/nobody@example.com`);
  await ok('POST', `/lists/${ant}/header-matches`, { header: 'X-Spam', pattern: 'yes', action: 'discard' });
  await ok('POST', `/lists/${ant}/header-matches`, { header: 'Subject', pattern: 'buy' });
  await save('header-match', `/lists/${ant}/header-matches/0`);
  await save('header-match-no-action', `/lists/${ant}/header-matches/1`);
  await save('header-matches', `/lists/${ant}/header-matches`);
  await error('header-match-exists', 'POST', `/lists/${ant}/header-matches`, { header: 'X-Spam', pattern: 'yes' });
  await error('header-match-missing', 'GET', `/lists/${ant}/header-matches/9`);

  const post = [
    'From: Stranger <stranger@example.net>',
    'To: ant@example.com',
    'Subject: Hello there',
    'Message-ID: <shapes-held-1@example.net>',
    'Date: Mon, 07 Dec 2026 03:00:00 +0000',
    '',
    'Anyone here?',
    '',
  ].join('\r\n');
  await sendLmtp(server.lmtpPort, 'stranger@example.net', ['ant@example.com'], post);
  await waitFor(async () => (await call('GET', `/lists/${ant}/held/count`)).body?.count === 1, 'the post is held');
  const held = await save('held-collection', `/lists/${ant}/held`);
  const heldId = held.entries[0].request_id;
  await save('held', `/lists/${ant}/held/${heldId}`);
  await save('held-count', `/lists/${ant}/held/count`);
  await error('held-missing', 'GET', `/lists/${ant}/held/999`);
  await error('held-bad-action', 'POST', `/lists/${ant}/held/${heldId}`, { action: 'shred' });

  await ok('POST', '/lists', { fqdn_listname: 'bee@example.com' });
  await ok('PATCH', '/lists/bee.example.com/config', { subscription_policy: 'moderate' });
  await ok('POST', '/members', {
    list_id: 'bee.example.com',
    subscriber: 'gus@example.com',
    display_name: 'Gus',
    pre_verified: 'true',
    pre_confirmed: 'true',
  });
  const requests = await save('requests', '/lists/bee.example.com/requests');
  await save('request', `/lists/bee.example.com/requests/${requests.entries?.[0]?.token}`);
  await save('requests-count', '/lists/bee.example.com/requests/count');
  await error('request-missing', 'GET', '/lists/bee.example.com/requests/0000');
  await error('not-found-path', 'GET', '/no/such/resource');
  await error('method-not-allowed', 'PUT', '/domains');
}

let comparer: ShapeComparer;
before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  comparer = new ShapeComparer(`http://127.0.0.1:${server.restPort}`);
  await build();
});
after(async () => {
  await server?.cleanup();
  await sink?.close();
});

const shapes = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json') && f !== 'errors.json')
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

test('every shape capture.py saved is built here', () => {
  assert.deepEqual([...bodies.keys()].sort(), shapes);
  assert.ok(shapes.length >= 40, `only ${shapes.length} shapes`);
});

for (const shape of shapes) {
  test(`${shape}: the same keys, types and deterministic values as Mailman 3.3.8`, () => {
    const before = comparer.problems.length;
    comparer.compare(shape, bodies.get(shape), fixture(shape), shape, shape === 'config' ? CONFIG_EXTENSIONS : []);
    assert.deepEqual(comparer.problems.slice(before), []);
  });
}

test('errors: the same status, title and description as Mailman 3.3.8', () => {
  const theirs = fixture('errors') as Record<string, { status: number; body: unknown }>;
  assert.deepEqual(Object.keys(errors).sort(), Object.keys(theirs).sort());
  const differ: string[] = [];
  for (const [name, { status, body }] of Object.entries(theirs)) {
    const ours = errors[name];
    if (ours.status !== status || !isDeepStrictEqual(ours.body, body))
      differ.push(`${name}: ${ours.status} ${JSON.stringify(ours.body)}, Mailman: ${status} ${JSON.stringify(body)}`);
  }
  assert.deepEqual(differ, []);
});
