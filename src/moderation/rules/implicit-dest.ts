// The list must be named explicitly in To, Cc, Resent-To or Resent-Cc (a Bcc'd list is a
// spam sign): its posting address, or one of its acceptable_aliases. An alias starting with
// `^` is a regex matched from the start of the address, ignoring case; one that does not
// compile is taken literally. Mail gated from Usenet always passes.
import { defineRule } from '../../registry.js';
import { listAddresses } from '../../model/list-addresses.js';
import { senders } from '../senders.js';
import { tryPattern, type Pattern } from '../../patterns/patterns.js';
import { ADDRESS_PATTERN } from '../../patterns/setting-patterns.js';

const DESTINATION_HEADERS = ['to', 'cc', 'resent-to', 'resent-cc'];

function aliasPattern(alias: string): Pick<Pattern, 'source' | 'flags' | 'test'> {
  const literal = alias.toLowerCase();
  return (
    tryPattern(alias, ADDRESS_PATTERN) ?? {
      source: alias,
      flags: 'i',
      test: (r) => r.toLowerCase().startsWith(literal),
    }
  );
}

export default defineRule({
  name: 'implicit-dest',
  description: 'The list (or an acceptable alias) is not among the To, Cc, Resent-To and Resent-Cc addresses.',
  record: true,
  check(ctx) {
    const { mlist, msg, msgdata } = ctx;
    if (!mlist.require_explicit_destination || msgdata.fromusenet) return { hit: false };
    const recipients = new Set<string>();
    for (const h of DESTINATION_HEADERS) for (const a of msg.addresses(h)) recipients.add(a.email);
    const aliases = Array.isArray(mlist.acceptable_aliases) ? (mlist.acceptable_aliases as unknown[]).map(String) : [];
    const exact = new Set([
      listAddresses(mlist).posting,
      ...aliases.filter((a) => !a.startsWith('^')).map((a) => a.trim().toLowerCase()),
    ]);
    for (const r of recipients) if (exact.has(r)) return { hit: false };
    for (const alias of aliases.filter((a) => a.startsWith('^'))) {
      const re = aliasPattern(alias);
      for (const r of recipients) if (re.test(r)) return { hit: false };
    }
    return {
      hit: true,
      reasons: ['Message has implicit destination'],
      msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
    };
  },
});
