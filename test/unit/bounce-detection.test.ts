// Bounce recognition on a corpus of reports as real MTAs write them (test/fixtures/bounces/):
// DSNs from Postfix, Exim, Sendmail, Gmail and Office 365, and the plain-text formats of
// qmail, classic Exim, Sendmail, Exchange, Gmail, Yahoo and Domino; then VERP addresses, and
// the bounds that keep a hostile "bounce" from naming members or stalling the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { Message } from '../../src/email/message.js';
import { MAX_BOUNCED_ADDRESSES, scanBounce, VerpFormats } from '../../src/email/bounces/index.js';
import { Config, ConfigError } from '../../src/config/config.js';

const CORPUS = join(PACKAGE_ROOT, 'test', 'fixtures', 'bounces');
const load = (name: string) => new Message(readFileSync(join(CORPUS, `${name}.eml`)));

/** Per sample: the detector that must recognise it and what it must find; null: not a bounce. */
const EXPECTED: Record<string, { detector: string; permanent?: string[]; temporary?: string[] } | null> = {
  'postfix-dsn': { detector: 'dsn', permanent: ['gone@example.net'] },
  'postfix-dsn-delayed': { detector: 'dsn', temporary: ['slow@example.net'] },
  'exim-dsn': { detector: 'dsn', permanent: ['nosuch@example.net'] },
  'sendmail-dsn-two': { detector: 'dsn', permanent: ['first@example.net', 'second@example.net'] },
  'gmail-dsn': { detector: 'dsn', permanent: ['missing@example.net'] },
  'office365-dsn': { detector: 'dsn', permanent: ['left@contoso.example'] },
  // The list sent to the alias; the box it forwards to is not a member.
  'dsn-forwarded': { detector: 'dsn', permanent: ['alias@example.net'] },
  // A report that everything arrived is recognised, and names nobody.
  'dsn-delivered': { detector: 'dsn' },
  qmail: { detector: 'qmail', permanent: ['nobody@example.net', 'quota@example.net'] },
  'exim-classic': { detector: 'exim', permanent: ['absent@example.net', 'second.absent@example.net'] },
  'exim-delayed': { detector: 'exim-delayed', temporary: ['later@example.net'] },
  'sendmail-classic': { detector: 'sendmail', permanent: ['unknown@example.net'] },
  'sendmail-delayed': { detector: 'sendmail-delayed', temporary: ['wait@example.net'] },
  'exchange-classic': { detector: 'exchange', permanent: ['departed@corp.example'] },
  'office365-text': { detector: 'office365', permanent: ['moved.on@fabrikam.example'] },
  'gmail-classic': { detector: 'gmail', permanent: ['lost@example.net'] },
  'gmail-delayed': { detector: 'gmail-delayed', temporary: ['pending@example.net'] },
  yahoo: { detector: 'yahoo', permanent: ['closed@yahoo.example'] },
  domino: { detector: 'domino', permanent: ['someone@notes.example'] },
  courier: { detector: 'courier', permanent: ['gone@example.net', 'retired@example.net'] },
  'courier-delayed': { detector: 'courier-delayed', temporary: ['slowpoke@example.net'] },
  netscape: { detector: 'netscape', permanent: ['disabled@ms.example.net'] },
  // A post that forwards a bounce is not one: the returned message is never read.
  'quoted-bounce-in-post': null,
  'not-a-bounce': null,
};

test('every sample of the corpus is in the table, and every row has its sample', () => {
  const samples = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => f.slice(0, -4))
    .sort();
  assert.deepEqual(samples, Object.keys(EXPECTED).sort());
});

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`bounce corpus: ${name}`, () => {
    const got = scanBounce(load(name));
    if (want === null) return assert.equal(got, undefined);
    assert.deepEqual(got, {
      detector: want.detector,
      permanent: want.permanent ?? [],
      temporary: want.temporary ?? [],
    });
  });
}

test('a plain-text report is read too when the DSN part names nobody it can use', () => {
  const raw = readFileSync(join(CORPUS, 'postfix-dsn.eml'), 'latin1').replace(
    /Final-Recipient: rfc822; gone@example.net\nOriginal-Recipient: rfc822;gone@example.net/,
    'Final-Recipient: x400; c=us;a=;p=example',
  );
  assert.deepEqual(scanBounce(new Message(Buffer.from(raw, 'latin1'))), {
    detector: 'postfix',
    permanent: ['gone@example.net'],
    temporary: [],
  });
});

test('VERP: the member address comes back in the -bounces address, only for this list', () => {
  const formats = new VerpFormats(Config.load());
  const verpAddress = (c: string[], local: string) => formats.memberOf(c, local);
  const envelope = formats.envelope('ant-bounces@example.com', 'Anne.Person@example.org');
  assert.equal(envelope, 'ant-bounces+Anne.Person=example.org@example.com');
  // A member's own $ and a quoted @ stay as they are; the per-list form agrees.
  const forList = formats.envelopes('ant-bounces@example.com');
  assert.equal(forList('Anne.Person@example.org'), envelope);
  assert.equal(forList('$local+x@example.org'), 'ant-bounces+$local+x=example.org@example.com');
  assert.equal(forList('"a@b"@example.org'), 'ant-bounces+"a@b"=example.org@example.com');
  assert.equal(verpAddress([envelope], 'ant-bounces'), 'anne.person@example.org');
  assert.equal(verpAddress(['<ant-bounces+a=b=example.org@example.com>'], 'ant-bounces'), 'a=b@example.org');
  assert.equal(verpAddress(['bee-bounces+anne=example.org@example.com'], 'ant-bounces'), undefined);
  assert.equal(verpAddress(['ant-bounces@example.com'], 'ant-bounces'), undefined);
  assert.equal(verpAddress(['ant-bounces+anne=@example.com', 'ant-bounces+=x@example.com'], 'ant-bounces'), undefined);
  assert.equal(verpAddress(['ant-bounces+anne=localhost@example.com'], 'ant-bounces'), undefined);
  assert.equal(formats.probeSender('ant-bounces@example.com', 'ab12'), 'ant-bounces+ab12@example.com');
  assert.equal(formats.probeToken('ant-bounces+ab12@example.com', 'ant-bounces'), 'ab12');
  assert.equal(formats.probeToken('bee-bounces+ab12@example.com', 'ant-bounces'), undefined);
  assert.equal(formats.confirmAddress('ant-confirm@example.com', 'c0ffee'), 'ant-confirm+c0ffee@example.com');
  assert.equal(formats.confirmToken('Ant <ant-confirm+c0ffee@example.com>'), 'c0ffee');
});

test("VERP: a site's own formats ([mta] verp_*) build and read the addresses, and wrong ones stop the start", () => {
  const mta = (keys: Record<string, string>) => new VerpFormats(Config.load({ overrides: { mta: keys } }));
  const formats = mta({
    verp_delimiter: '-',
    verp_format: '${bounces}-${domain}-at-${local}',
    verp_regexp: '^(?P<bounces>.+?-bounces)-(?P<domain>[^@]+)-at-(?P<local>[^@-]+)@',
    verp_probe_format: '$bounces-probe-$token',
    verp_probe_regexp: '^(?P<bounces>.+?-bounces)-probe-(?P<token>[^@]+)@',
    verp_confirm_format: '$address-$cookie',
    verp_confirm_regexp: '(?P<addr>[^<]+?-confirm)-(?P<cookie>[0-9a-f]+)@',
  });
  const envelope = formats.envelope('ant-bounces@example.com', 'anne@example.org');
  assert.equal(envelope, 'ant-bounces-example.org-at-anne@example.com');
  // The names may come in any order, and the same literal text as a name ('local') stays text.
  assert.equal(formats.envelopes('ant-bounces@example.com')('local@domain'), 'ant-bounces-domain-at-local@example.com');
  assert.equal(formats.memberOf([envelope], 'ant-bounces'), 'anne@example.org');
  assert.equal(formats.probeSender('ant-bounces@example.com', 'ab12'), 'ant-bounces-probe-ab12@example.com');
  assert.equal(formats.probeToken('ant-bounces-probe-ab12@example.com', 'ant-bounces'), 'ab12');
  assert.equal(formats.confirmToken(formats.confirmAddress('ant-confirm@example.com', 'c0ffee')), 'c0ffee');
  const refused = (keys: Record<string, string>, why: RegExp) =>
    assert.throws(
      () => mta(keys),
      (e: Error) => e instanceof ConfigError && why.test(e.message),
    );
  refused({ verp_format: '${local}=${domain}+${bounces}' }, /verp_format: must start with \$bounces/);
  refused({ verp_format: '${bounces}+${user}' }, /verp_format: unknown \$user/);
  refused({ verp_delimiter: '-' }, /verp_format: must start with \$bounces and the verp_delimiter \(-\)/);
  refused({ verp_regexp: '^(?P<bounces>x)(?P<local>y)' }, /verp_regexp: needs the named group \(\?P<domain>/);
  refused({ verp_probe_regexp: '^(a)\\1(?P<bounces>)(?P<token>)' }, /verp_probe_regexp: /);
});

test('hostile reports: addresses are capped, a megabyte line of @ names nobody', () => {
  const blocks = Array.from(
    { length: 1000 },
    (_, i) => `Final-Recipient: rfc822; m${i}@example.net\nAction: failed\nStatus: 5.1.1\n`,
  ).join('\n');
  const many = new Message(
    Buffer.from(
      'Content-Type: multipart/report; report-type=delivery-status; boundary=Z\n\n--Z\n' +
        `Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n${blocks}\n--Z--\n`,
    ),
  );
  const report = scanBounce(many)!;
  assert.equal(report.permanent.length, MAX_BOUNCED_ADDRESSES);
  // A megabyte of '@' on one line under each format's marker: every pattern is tried on it.
  const markers = [
    'Hi. This is the qmail-send program at x.',
    'Delivery has failed to these recipients or groups:',
    'was not delivered to:',
    `Your message wasn't delivered to ${'a@'.repeat(500_000)} because`,
  ];
  const line = `  <${'a@'.repeat(500_000)}>: x`;
  const hostile = new Message(Buffer.from(`Subject: x\n\n${markers.join('\n')}\n${line}\n${line}\n`));
  // Lines are cut to SMTP's 998 before any pattern sees them, and no address pattern can
  // backtrack across '@'; a quadratic pattern here would stall the suite, not fail an assertion.
  assert.equal(scanBounce(hostile), undefined);
});
