// The real mailmanclient library (Debian's python3-mailmanclient, which .ci/run installs)
// sets up a list and moderates it against the real server, as Postorius does; what the
// decisions send is read at the SMTP sink.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { TestServer } from '../helpers/server.js';
import { SmtpSink, type Received } from '../helpers/smtp-sink.js';
import { LmtpSession, makePost } from '../helpers/lmtp-client.js';
import { barrierPost } from '../helpers/barrier.js';
import { QUEUE_NAMES } from '../../src/queue/switchboard.js';

const PYTHON = '/usr/bin/python3';
const FLOW = join(PACKAGE_ROOT, 'test', 'e2e', 'python', 'mailmanclient_flow.py');
let sink: SmtpSink;
let server: TestServer;
let lmtp: LmtpSession;

function flow(phase: string, on: TestServer = server): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [FLOW, `http://127.0.0.1:${on.restPort}/3.1`, phase], (err, stdout, stderr) => {
      if (err)
        return reject(
          new Error(
            `mailmanclient ${phase} failed (is python3-mailmanclient installed? .ci/run installs it):\n${stderr}`,
          ),
        );
      resolve(JSON.parse(stdout));
    });
  });
}

before(async () => {
  sink = await new SmtpSink().start();
  server = await TestServer.start({ smtpPort: sink.port });
  lmtp = await LmtpSession.open(server.lmtpPort);
});

after(async () => {
  lmtp?.close();
  await server?.cleanup();
  await sink?.close();
});

const MEMBERS = ['anne@example.org', 'bart@example.org', 'cris@example.org'];
const post = (from: string, tag: string, o: { subject?: string; extra?: string[]; body?: string } = {}) =>
  lmtp.send(
    from,
    ['ant@example.com'],
    makePost({
      from,
      to: 'ant@example.com',
      subject: o.subject ?? `Post ${tag}`,
      messageId: `<${tag}@mmc.example>`,
      extra: o.extra,
      body: o.body,
    }),
  );
const isPost = (tag: string) => (r: Received) => r.msg.messageId === `<${tag}@mmc.example>`;

test('mailmanclient sets up a list; mail is moderated by what it set; its decisions are carried out', async () => {
  const setup = await flow('setup');
  assert.deepEqual(setup.settings, {
    display_name: 'Ant',
    subject_prefix: '[Ant] ',
    default_nonmember_action: 'hold',
    max_message_size: 40,
    posting_chain: 'default-posting-chain',
  });
  assert.equal(setup.bad_setting, 400);
  assert.deepEqual(setup.members, MEMBERS);
  assert.deepEqual(setup.owners, ['boss@example.org']);
  assert.deepEqual(setup.moderators, ['mod@example.org']);
  assert.equal(setup.bart_action, 'hold');
  assert.deepEqual(setup.list_bans, ['spammer@example.net']);
  assert.deepEqual(setup.global_bans, ['^.*@evil\\.example$']);
  assert.deepEqual(setup.header_matches, [
    ['x-spam-flag', 'YES', 'discard', 0],
    ['x-urgent', 'true', 'hold', 1],
  ]);
  assert.equal(setup.user_of_anne, 'anne@example.org');

  await post('anne@example.org', 'plain');
  await post('bart@example.org', 'moderated');
  await post('stranger@example.net', 'stranger');
  await post('spammer@example.net', 'list-banned');
  await post('mallory@evil.example', 'site-banned');
  await post('anne@example.org', 'spam-flag', { extra: ['X-Spam-Flag: YES'] });
  await post('anne@example.org', 'urgent', { extra: ['X-Urgent: true'] });
  await post('cris@example.org', 'big', { subject: 'Big one', body: 'x'.repeat(50 * 1024) });

  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, isPost('plain')).length === 1),
    20_000,
    'the plain post',
  );
  await server.waitUntil(
    async () => (await server.rest('GET', '/lists/ant.example.com/held')).body.total_size === 4,
    20_000,
    'four held posts',
  );

  const moderated = await flow('moderate');
  assert.deepEqual(
    moderated.held.map((h: [string, string, string]) => h.slice(0, 2)),
    [
      ['anne@example.org', 'Post urgent'],
      ['bart@example.org', 'Post moderated'],
      ['cris@example.org', 'Big one'],
      ['stranger@example.net', 'Post stranger'],
    ],
  );
  const reasons = Object.fromEntries(moderated.held.map((h: [string, string, string]) => [h[0], h[2]]));
  assert.match(reasons['stranger@example.net'], /not from a list member/i);
  assert.match(reasons['cris@example.org'], /size/i);
  assert.match(reasons['anne@example.org'], /x-urgent/i);
  assert.deepEqual(moderated.left, ['anne@example.org']);

  // bart's post, accepted, reaches every member; the stranger hears why not.
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, isPost('moderated')).length === 1),
    20_000,
    'the accepted post',
  );
  const refusal = (r: Received) => /rejected/.test(r.msg.get('subject') ?? '');
  await sink.waitFor(() => sink.copiesFor('stranger@example.net', refusal).length === 1, 20_000, 'the refusal');
  assert.match(sink.copiesFor('stranger@example.net', refusal)[0].raw.toString(), /Please subscribe first/);
  await barrierPost(server, sink);
  for (const tag of ['stranger', 'list-banned', 'site-banned', 'spam-flag', 'urgent', 'big']) {
    for (const m of MEMBERS) assert.equal(sink.copiesFor(m, isPost(tag)).length, 0, `${m} got ${tag}`);
  }
});

test('mailmanclient: confirm_then_moderate — a pending dict, the confirmation by mail, the moderator accepts', async () => {
  const sub = await flow('subscribe');
  assert.equal(sub.pending.token_owner, 'subscriber');
  assert.match(sub.pending.token, /^[0-9a-f]{40}$/);
  assert.deepEqual(sub.requests, [['dora@example.org', 'subscriber', sub.pending.token]]);
  const confirmFrom = `ant-confirm+${sub.pending.token}@example.com`;
  const asked = (r: Received) => r.msg.get('from') === confirmFrom;
  await sink.waitFor(() => sink.copiesFor('dora@example.org', asked).length === 1, 20_000, 'the confirmation request');
  // Dora replies to the confirmation, as a mail client does: to its From, with "Re:".
  await lmtp.send(
    'dora@example.org',
    [confirmFrom],
    makePost({
      from: 'dora@example.org',
      to: confirmFrom,
      subject: `Re: confirm ${sub.pending.token}`,
      messageId: '<dora-confirms@mmc.example>',
    }),
  );
  await server.waitUntil(
    async () =>
      (await server.rest('GET', '/lists/ant.example.com/requests/count?token_owner=moderator')).body.count === 1,
    20_000,
    'the request to reach the moderator',
  );
  const approved = await flow('approve');
  assert.deepEqual(approved.waiting, [['dora@example.org', 'Dora', 'moderator']]);
  assert.equal(approved.status, 204);
  assert.equal(approved.left, 0);
  assert.ok(approved.members.includes('dora@example.org'));
  const welcome = (r: Received) => /Welcome/.test(r.msg.get('subject') ?? '');
  await sink.waitFor(() => sink.copiesFor('dora@example.org', welcome).length === 1, 20_000, 'the welcome message');
});

test('mailmanclient: domain owners, a list turning an archiver off, the Mailman version', async () => {
  // A server of its own: an enabled site archiver would queue every post of the other tests.
  const archiving = await TestServer.start({ smtpPort: sink.port, config: '[archiver.prototype]\nenable: yes\n' });
  try {
    const seen = await flow('domains', archiving);
    assert.equal(seen.owners.length, 2);
    assert.deepEqual(seen.owners, seen.owner_users);
    assert.equal(seen.owners_left, 0);
    assert.deepEqual(seen.archivers_before, { prototype: true });
    assert.deepEqual(seen.archivers_after, { prototype: false });
    assert.equal(seen.bad_archiver, 400);
    assert.equal(seen.no_domain, 404);
    assert.match(seen.mailman_version, /^GNU Mailman 3\.3\.8 \(compatible; mailman-ts /);
    assert.equal(seen.api_version, '3.1');
  } finally {
    await archiving.cleanup();
  }
});

test('mailmanclient manages a user and their addresses', async () => {
  const seen = await flow('users');
  assert.deepEqual(seen, {
    created: { display_name: 'Zed', is_server_owner: false },
    renamed: 'Zed Z',
    added: 'zed.work@example.org',
    addresses: ['zed.work@example.org', 'zed@example.org'],
    verified: true,
    preferred: 'zed.work@example.org',
    found_by_address: true,
    unverified: false,
    preferred_after_unverify: null,
    prefer_unverified: 400,
    after_delete: 404,
    address_after_delete: 404,
  });
});

// Each resource mailmanclient has, driven by it in turn on the same server (the phases build
// on one another: the lists phase makes bee, which the later phases use).
test('mailmanclient: system, configuration, preferences, chains, styles, queues; injecting a post', async () => {
  const seen = await flow('system');
  assert.deepEqual(seen.versions, ['api_version', 'mailman_version', 'python_version', 'self_link']);
  assert.deepEqual(seen.system_preferences, {
    delivery_mode: 'regular',
    delivery_status: 'enabled',
    hide_address: true,
    receive_own_postings: true,
  });
  assert.deepEqual(seen.sections, [true, true]);
  assert.equal(seen.admin_pass, '********');
  assert.equal(seen.pipelines, true);
  assert.equal(seen.chains, true);
  assert.deepEqual(seen.styles, [['legacy-announce', 'legacy-default', 'private-default'], 'legacy-default']);
  assert.deepEqual(seen.queues, [...QUEUE_NAMES].sort());
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, isPost('injected')).length === 1),
    20_000,
    'the injected post',
  );
});

test('mailmanclient: lists, a page of them, advertised ones, found by subscriber and role, deleted', async () => {
  const seen = await flow('lists');
  const three = ['ant.example.com', 'bee.example.com', 'cow.example.com'];
  assert.deepEqual(seen.lists, three);
  assert.deepEqual(seen.list_page, [3, ['cow.example.com']]);
  // Every domain's advertised lists (the barrier test's too): all but cow, which is gone now.
  assert.deepEqual(seen.advertised_page, [(await server.rest('GET', '/lists')).body.total_size, 1]);
  assert.deepEqual(seen.domain_lists, three);
  assert.deepEqual(seen.advertised, ['ant.example.com', 'bee.example.com']);
  assert.deepEqual(seen.anne_lists, ['ant.example.com']);
  assert.deepEqual(seen.boss_owns, ['ant.example.com']);
  assert.deepEqual(seen.after_delete, ['ant.example.com', 'bee.example.com']);
});

test('mailmanclient: subscriptions with and without the pre-flags, requests, roles, member preferences', async () => {
  const seen = await flow('members');
  assert.deepEqual(seen.member, ['anne@example.org', 'member', 'bee.example.com']);
  // Without pre_verified the address confirms first; with it, the moderator is next.
  assert.deepEqual(seen.pending, ['subscriber', 'moderator']);
  assert.deepEqual(seen.requests_count, [2, 1]);
  assert.deepEqual(seen.request, ['gina@example.org', 'moderator', 'subscription']);
  assert.equal(seen.requests_left, 0);
  assert.deepEqual(seen.roles, [['boss@example.org'], ['mod@example.org'], ['nemo@example.org']]);
  assert.deepEqual(seen.is, [true, true, true, false]);
  assert.equal(seen.nemo, 'discard');
  assert.equal(seen.moderators_after, 0);
  assert.deepEqual(seen.member_page, [3, ['cris@example.org']]);
  assert.deepEqual(seen.found, ['cris@example.org']);
  assert.deepEqual(seen.found_page, [3, 1]);
  assert.deepEqual(seen.member_prefs, { delivery_mode: 'plaintext_digests', receive_own_postings: false });
  assert.equal(seen.member_delivery, 'plaintext_digests');
  assert.deepEqual(seen.member_prefs_reset, []);
  assert.deepEqual(seen.mass, { 'bart@example.org': true, 'nobody@example.org': false });
  assert.equal(seen.unsubscribe, null);
  assert.deepEqual(seen.members_left, ['anne@example.org']);
  assert.equal(seen.all_members_page, (await server.rest('GET', '/members')).body.total_size);
  // The moderator's refusal reaches gina with the reason given.
  const refused = (r: Received) => r.raw.toString().includes('Not this time');
  await sink.waitFor(() => sink.copiesFor('gina@example.org', refused).length === 1, 20_000, 'the refusal');
});

test('mailmanclient: users, addresses and their preferences, pages and searches', async () => {
  const seen = await flow('people');
  assert.deepEqual(seen, {
    user_prefs: { hide_address: false, acknowledge_posts: true },
    address_prefs: { preferred_language: 'fr' },
    subscriptions: ['bee.example.com'],
    address_user: true,
    user_page: [true, 1, true],
    find: ['Hugo'],
    find_page: 1,
    addresses: ['hugo.alt@example.org', 'hugo@example.org'],
  });
});

test("mailmanclient: a list's bans and the site's, paged; a banned address cannot subscribe", async () => {
  const seen = await flow('bans');
  assert.deepEqual(seen, {
    list_bans: ['b1@example.net', 'b2@example.net'],
    // By email, as Mailman lists them; a list shows its own only.
    global_bans: ['^.*@evil\\.example$', 'g1@example.net'],
    ban_page: [2, ['b2@example.net']],
    global_page: 2,
    // Asked one at a time, an address is banned on the list by the site's ban too, as in Mailman.
    contains: [true, true, false],
    after_remove: ['b2@example.net'],
    banned_subscribe: 400,
  });
});

test('mailmanclient: header matches added, found by tag, changed and deleted', async () => {
  const seen = await flow('header_matches');
  assert.deepEqual(seen, {
    all: [
      ['x-one', 'hold', 't', 0],
      ['x-two', 'discard', 't', 1],
      ['x-three', null, null, 2],
    ],
    found: ['x-one', 'x-two'],
    none_found: [],
    after: [
      ['x-two', 'discard', 0],
      ['x-three', 'reject', 1],
    ],
  });
});

test('mailmanclient: the held count and a page of held posts; one accepted reaches the members', async () => {
  const seen = await flow('held');
  assert.deepEqual(seen, {
    count: 1,
    page: [1, 1],
    one: ['anne@example.org', 'Post urgent'],
    count_after: 0,
    gone: 404,
  });
  await sink.waitFor(
    () => MEMBERS.every((m) => sink.copiesFor(m, isPost('urgent')).length === 1),
    20_000,
    'the accepted post',
  );
});

test('mailmanclient raises the HTTP errors Mailman gives: 400, 404 and 409', async () => {
  const seen = await flow('errors');
  assert.deepEqual(seen, {
    duplicate_list: 400,
    duplicate_domain: 400,
    duplicate_user: 400,
    no_list: 404,
    no_user: 404,
    no_address: 404,
    no_request: 404,
    already_member: 409,
    already_pending: 409,
    bad_setting: 400,
    bad_preference: 400,
    bad_role: 400,
  });
});
