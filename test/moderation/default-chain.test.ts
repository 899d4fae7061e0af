// The built-in default-posting-chain with the real rules and effects on a real list: the
// order consequences Mailman users rely on (inventory §2.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RulesHarness, post } from './support.js';
import { DslCatalog } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { runChain } from '../../src/moderation/chain-executor.js';
import { hashPassword } from '../../src/services/passwords.js';
import { setDnsResolver } from '../../src/services/dns.js';
import { CHAINS_DIR, PIPELINES_DIR } from '../dsl/support.js';
import type { MsgData } from '../../src/queue/qfile.js';

let h: RulesHarness;
let catalog: DslCatalog;
before(async () => {
  h = await RulesHarness.start();
  catalog = await DslCatalog.load({ builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR }, { registry });
  assert.equal(catalog.diagnostics().filter((d) => d.severity === 'error').length, 0, catalog.report());
  await h.services.members.subscribe(h.mlist, 'anne@example.org');
  await h.set({ moderator_password: hashPassword('s3cret') });
  setDnsResolver(async (name) => {
    if (name === '_dmarc.strict.example') return [['v=DMARC1; p=reject']];
    throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
  });
});
after(async () => {
  setDnsResolver(undefined);
  await h?.close();
});

async function run(raw: string, msgdata: MsgData = {}) {
  const ctx = h.ctx(raw, { msgdata });
  const trace = await runChain(catalog, 'default-posting-chain', ctx);
  return {
    disposition: trace.disposition,
    hits: ctx.msgdata.rule_hits,
    misses: ctx.msgdata.rule_misses,
    reasons: ctx.msgdata.moderation_reasons,
    ctx,
  };
}

const ORDER = [
  'dmarc-mitigation',
  'no-senders',
  'approved',
  'emergency',
  'loop',
  'banned-address',
  'member-moderation',
  'nonmember-moderation',
  'administrivia',
  'implicit-dest',
  'max-recipients',
  'max-size',
  'news-moderation',
  'no-subject',
  'digests',
  'suspicious-header',
];

test('a member post with nothing wrong is accepted after every check, in Mailman order', async () => {
  const r = await run(post());
  assert.equal(r.disposition, 'accept');
  assert.deepEqual(r.hits, []);
  assert.deepEqual(r.misses, ORDER);
});

test('the deferred checks are collected and held together, with every reason', async () => {
  const r = await run(post({ to: 'someone@example.net', subject: null }));
  assert.equal(r.disposition, 'hold');
  assert.deepEqual(r.hits, ['implicit-dest', 'no-subject']);
  assert.deepEqual(r.reasons, ['Message has implicit destination', 'Message has no subject']);
  const [held] = (await h.services.requests.heldMessages('ant.example.com')).slice(-1);
  assert.equal(held.data._mod_reason, 'Message has implicit destination; Message has no subject');
});

test('a valid Approved: password beats emergency moderation, a loop and a ban, and is not delivered', async () => {
  await h.set({ emergency: true });
  await h.services.bans.ban('anne@example.org', 'ant.example.com');
  try {
    const r = await run(post({ extra: ['Approved: s3cret', 'List-Post: <mailto:ant@example.com>'] }));
    assert.equal(r.disposition, 'accept');
    assert.deepEqual(r.hits, ['approved']);
    assert.equal(r.ctx.msg.has('approved'), false);
    // A wrong password: emergency holds it.
    const wrong = await run(post({ extra: ['Approved: guess'] }));
    assert.equal(wrong.disposition, 'hold');
    assert.deepEqual(wrong.hits, ['emergency']);
  } finally {
    await h.set({ emergency: false });
    await h.services.bans.unban('anne@example.org', 'ant.example.com');
  }
});

test('but not DMARC reject, nor a message without senders', async () => {
  await h.set({ dmarc_mitigate_action: 'reject' });
  try {
    const r = await run(post({ from: 'boss@strict.example', extra: ['Approved: s3cret'] }));
    assert.equal(r.disposition, 'reject');
    assert.deepEqual(r.hits, ['dmarc-mitigation']);
  } finally {
    await h.set({ dmarc_mitigate_action: 'no_mitigation' });
  }
  const nobody = await run('To: ant@example.com\nSubject: s\nApproved: s3cret\n\nbody\n');
  assert.equal(nobody.disposition, 'discard');
  assert.deepEqual(nobody.hits, ['no-senders']);
});

test('loops and banned senders are discarded; a moderated member goes to the moderation chain', async () => {
  assert.equal((await run(post({ extra: ['List-Post: <mailto:ant@example.com>'] }))).disposition, 'discard');
  await h.services.bans.ban('^.*@banned\\.example$');
  assert.deepEqual((await run(post({ from: 'x@banned.example' }))).hits, ['banned-address']);
  const m = await h.services.members.findMember('ant.example.com', 'anne@example.org', 'member');
  await h.services.members.setModerationAction(m!, 'reject');
  try {
    const r = await run(post());
    assert.equal(r.disposition, 'reject');
    assert.deepEqual(r.hits, ['member-moderation']);
    // A member whose action is accept skips the size and recipient checks.
    await h.services.members.setModerationAction(m!, 'accept');
    const big = await run(post({ subject: null, to: 'x@example.net', body: 'x'.repeat(50 * 1024) }));
    assert.equal(big.disposition, 'accept');
    assert.deepEqual(big.hits, ['member-moderation']);
  } finally {
    await h.services.members.setModerationAction(m!, null);
  }
});

test('a non-member post is held by default; an accept_these_nonmembers sender goes through the checks', async () => {
  const r = await run(post({ from: 'stranger@example.net' }));
  assert.equal(r.disposition, 'hold');
  assert.deepEqual(r.hits, ['nonmember-moderation']);
  await h.set({ accept_these_nonmembers: ['friend@example.net'] });
  try {
    assert.equal((await run(post({ from: 'friend@example.net' }))).disposition, 'accept');
    const big = await run(post({ from: 'friend@example.net', body: 'x'.repeat(50 * 1024) }));
    assert.equal(big.disposition, 'hold');
    assert.deepEqual(big.hits, ['max-size']);
  } finally {
    await h.set({ accept_these_nonmembers: [] });
  }
});

test('a site chain can give the rules their own limits and test the list-of-strings settings', async () => {
  const { compile } = await import('../../src/dsl/compile.js');
  const { buildChain } = await import('../../src/dsl/executable.js');
  const text = [
    'chain strict "Tighter limits" {',
    '    if sender in list.hold_these_nonmembers then hold "listed"',
    '    if max-size(limit: 1KB)                 then defer',
    '    if max-recipients(limit: 2)             then defer',
    '    if any                                  then hold',
    '    accept',
    '}',
  ].join('\n');
  const result = compile(text, 'strict.chain', { registry });
  assert.deepEqual(result.diagnostics, []);
  const strict = buildChain(result.ir as never, registry);
  const local = { chain: (name: string) => (name === 'strict' ? strict : catalog.chain(name)) };
  const go = async (raw: string) => {
    const ctx = h.ctx(raw);
    const trace = await runChain(local, 'strict', ctx);
    return { disposition: trace.disposition, hits: ctx.msgdata.rule_hits, reasons: ctx.msgdata.moderation_reasons };
  };
  assert.deepEqual(await go(post()), { disposition: 'accept', hits: [], reasons: undefined });
  const both = await go(post({ to: 'ant@example.com, b@example.net', body: 'x'.repeat(2048) }));
  assert.equal(both.disposition, 'hold');
  assert.deepEqual(both.hits, ['max-size', 'max-recipients']);
  await h.set({ hold_these_nonmembers: ['anne@example.org'] });
  try {
    assert.deepEqual(await go(post()), { disposition: 'hold', hits: [], reasons: ['listed'] });
  } finally {
    await h.set({ hold_these_nonmembers: [] });
  }
});
