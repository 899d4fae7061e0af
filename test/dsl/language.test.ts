// The language features that reach outside the message: `for` over link sources (the site's
// header checks, rows with actions), `is a ROLE` against the real membership tables,
// `recipients`, `site.SECTION.KEY`, and rules recording under a name of their choosing.
// Chains are real files compiled by the catalog with the real registry; the database is a
// real SQLite file in a temporary directory.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../../src/config/config.js';
import { DslCatalog, formatReport } from '../../src/dsl/index.js';
import { Message } from '../../src/email/message.js';
import type { MailingList } from '../../src/model/entities.js';
import { runChain } from '../../src/moderation/chain-executor.js';
import { parseHeaderChecks } from '../../src/moderation/sources/site-header-checks.js';
import { type MessageContext } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import { Services } from '../../src/services/services.js';
import { CHAINS_DIR, PIPELINES_DIR } from './support.js';
import { freshDatabase } from '../helpers/database.js';

const dir = mkdtempSync(join(tmpdir(), 'dsl-language-'));
const database = freshDatabase();
let services: Services;
let mlist: MailingList;

before(async () => {
  const conf = join(dir, 'mailman.conf');
  writeFileSync(
    conf,
    [
      '[paths]',
      `var_dir: ${join(dir, 'var')}`,
      database.conf,
      '[antispam]',
      'header_checks:',
      '    X-Spam: ^yes',
      '',
      '    Subject: viagra',
      'jump_chain: discard',
      '[mta]',
      'max_recipients: 7',
    ].join('\n'),
  );
  services = await Services.open(Config.load({ file: conf }), { migrate: true });
  await services.domains.create('example.com');
  mlist = await services.lists.create('ant@example.com');
  await services.members.subscribe(mlist, 'anne@example.org', { role: 'member' });
  await services.members.subscribe(mlist, 'owen@example.org', { role: 'owner' });
});
after(async () => {
  await services?.close();
  database.drop();
  rmSync(dir, { recursive: true, force: true });
});

// A link source of this test's own: rows with actions, one per msgdata.rows entry.
registry.linkSources.register({
  name: 'test.rows',
  description: 'The rows in msgdata.test_rows.',
  fields: { tag: 'string', action: 'action' },
  rows: (ctx) => (ctx.msgdata.test_rows as Record<string, unknown>[]) ?? [],
});
registry.effects.register({
  name: 'test-note',
  description: 'Notes its tag.',
  params: [{ name: 'tag', type: 'string', required: true }],
  run: async (ctx, args) => void ((ctx.msgdata.notes ??= []) as unknown[]).push(args.tag),
});

/** A context; a dry run unless the chain under test ends with `stop` before any terminal effect. */
function ctxFor(headers: string, msgdata: Record<string, unknown> = {}, dryRun = true): MessageContext {
  const msg = new Message(Buffer.from(`${headers}\nBody.\n`));
  return { mlist, msg, msgdata: { ...msgdata }, services, dryRun };
}

/** The built-in chains plus these, from a site directory; no file may have an error. */
async function catalogWith(chains: Record<string, string>): Promise<DslCatalog> {
  const site = mkdtempSync(join(dir, 'chains-'));
  for (const [name, text] of Object.entries(chains)) writeFileSync(join(site, `${name}.chain`), text);
  const dirs = { builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR, siteChains: site };
  const catalog = await DslCatalog.load(dirs, { registry });
  const errors = catalog.diagnostics().filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors,
    [],
    formatReport(errors, () => undefined),
  );
  return catalog;
}

test('[antispam] header_checks rows: one per "Header: regex" line, suffix config-N counting blank lines', () => {
  const warnings: string[] = [];
  assert.deepEqual(
    parseHeaderChecks('X-Spam: ^yes\n\nSubject: viagra: cheap\nnot a check\n', (m) => warnings.push(m)),
    [
      { header: 'X-Spam', pattern: '^yes', suffix: 'config-0', action: null },
      { header: 'Subject', pattern: 'viagra: cheap', suffix: 'config-2', action: null },
    ],
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /line 3: "not a check"/);
});

test('header-match.chain: a site check that hits records header-match-config-N, then jumps to [antispam] jump_chain', async () => {
  const catalog = await catalogWith({ start: 'chain start { detour header-match  accept }' });
  const ctx = ctxFor('From: anne@example.org\nTo: ant@example.com\nSubject: hello\nX-Spam: YES please\n');
  const trace = await runChain(catalog, 'start', ctx);
  // The value starts on the line after `header_checks:`, so its first check is line 1.
  assert.deepEqual(ctx.msgdata.rule_hits, ['header-match-config-1']);
  assert.deepEqual(ctx.msgdata.rule_misses, ['header-match-config-2']);
  assert.equal(trace.disposition, 'discard');
  assert.deepEqual(
    trace.links.filter((l) => l.chain === 'header-match').map((l) => [l.action, l.hit, l.row ?? null]),
    [
      ['for c in site.antispam.header_checks', true, null],
      ['defer', true, 0],
      ['defer', false, 1],
      ['jump to site.antispam.jump_chain', true, null],
    ],
  );
});

test('header-match.chain: nothing hits, the list has no filters, the detour comes back', async () => {
  const catalog = await catalogWith({ start: 'chain start { detour header-match  accept }' });
  const ctx = ctxFor('From: anne@example.org\nTo: ant@example.com\nSubject: hello\n');
  const trace = await runChain(catalog, 'start', ctx);
  assert.deepEqual(ctx.msgdata.rule_hits, []);
  assert.deepEqual(ctx.msgdata.rule_misses, ['header-match-config-1', 'header-match-config-2']);
  assert.equal(trace.disposition, 'accept');
});

test('for over rows: jump to a row action, defer rows go on, null takes otherwise; a detour inside a loop resumes at its row', async () => {
  const catalog = await catalogWith({
    rows: `chain rows {
      for r in test.rows {
        run test-note(tag: r.tag)
        if r.tag is "side" then detour side
        if r.tag starts with "go" then jump to r.action otherwise site.antispam.jump_chain
      }
      run test-note(tag: "after the loop")
      accept
    }`,
    side: 'chain side { run test-note(tag: "in side") }',
  });
  const notes = async (rows: Record<string, unknown>[]) => {
    const ctx = ctxFor('From: anne@example.org\n', { test_rows: rows }, false);
    const trace = await runChain(
      {
        chain: (n) =>
          ['accept', 'hold', 'reject', 'discard'].includes(n)
            ? { kind: 'chain', name: n, file: n, links: [], ir: undefined as never }
            : catalog.chain(n),
      },
      'rows',
      ctx,
    );
    return { notes: ctx.msgdata.notes, last: trace.links[trace.links.length - 1] };
  };
  const a = await notes([
    { tag: 'one' },
    { tag: 'side' },
    { tag: 'go-defer', action: 'defer' },
    { tag: 'go-hold', action: 'hold' },
    { tag: 'never' },
  ]);
  assert.deepEqual(a.notes, ['one', 'side', 'in side', 'go-defer', 'go-hold']);
  assert.equal(a.last.target, 'hold');
  const b = await notes([{ tag: 'go-null', action: null }]);
  assert.deepEqual(b.notes, ['go-null']);
  assert.equal(b.last.target, 'discard'); // [antispam] jump_chain in this test's configuration
  const c = await notes([]);
  assert.deepEqual(c.notes, ['after the loop']);
});

test('is a ROLE: membership through the real tables, any sender address, negation', async () => {
  const catalog = await catalogWith({
    roles: `chain roles {
      if sender is a member then run test-note(tag: "member")
      if sender is not a member then run test-note(tag: "not member")
      if senders is an owner then run test-note(tag: "owner")
      if recipients is a member then run test-note(tag: "recipient member")
      if sender is a moderator or sender is a nonmember then run test-note(tag: "never")
      stop
    }`,
  });
  const notes = async (headers: string) => {
    const ctx = ctxFor(headers, {}, false);
    await runChain(catalog, 'roles', ctx);
    return ctx.msgdata.notes;
  };
  assert.deepEqual(await notes('From: Anne <ANNE@example.org>\nTo: ant@example.com\n'), ['member']);
  assert.deepEqual(await notes('From: owen@example.org\nTo: ant@example.com, anne@example.org\n'), [
    'not member',
    'owner',
    'recipient member',
  ]);
});

test('recipients (To and Cc, each once), recipients.count, site values typed by the configuration schema', async () => {
  const catalog = await catalogWith({
    values: `chain values {
      if recipients.count is 3 then run test-note(tag: "three")
      if recipients contains "bob@" then run test-note(tag: "bob")
      if recipients.count < site.mta.max_recipients then run test-note(tag: "under the site limit")
      if site.webservice.use_https then run test-note(tag: "never")
      if site.antispam.jump_chain is "discard" then run test-note(tag: "jump chain")
      stop
    }`,
  });
  const ctx = ctxFor(
    'From: anne@example.org\nTo: ant@example.com, Bob <bob@example.org>\nCc: ANT@example.com, carol@example.org\n',
    {},
    false,
  );
  await runChain(catalog, 'values', ctx);
  assert.deepEqual(ctx.msgdata.notes, ['three', 'bob', 'under the site limit', 'jump chain']);
});

test('a rule records under the name its result gives (header-match-SUFFIX), hit or miss', async () => {
  const catalog = await catalogWith({
    named: `chain named {
      if header-match(header: "Subject", pattern: "^re:", suffix: "one") then defer
      if header-match(header: "Subject", pattern: "hello", suffix: "two") then defer
      stop
    }`,
  });
  const ctx = ctxFor('Subject: Hello there\n');
  await runChain(catalog, 'named', ctx);
  assert.deepEqual(ctx.msgdata.rule_hits, ['header-match-two']);
  assert.deepEqual(ctx.msgdata.rule_misses, ['header-match-one']);
});
