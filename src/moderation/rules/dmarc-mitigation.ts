// DMARC: a post From: a domain whose policy is reject or quarantine would be refused by the
// members' mail servers once the list resends it. When the list mitigates, the rule sets
// msgdata.dmarc for the pipeline's dmarc handler (munge_from, wrap_message: the rule
// misses), or hits with msgdata.dmarc_action (reject, discard) for the dmarc chain.
//
// The policy is read from TXT `_dmarc.<From domain>`, then `_dmarc.<organizational domain>`
// (where `sp=` wins over `p=`). The organizational domain is the registrable domain by the
// Public Suffix List (tldts, which bundles it): `a.b.example.co.uk` asks `example.co.uk`,
// not `co.uk`. Several DMARC records are
// all tried, any reject/quarantine counting. As Mailman 3.3 does, a DNS failure other than
// "no such name / no record" is logged and the post is mitigated: a policy the list could
// not see may still be seen by the members' servers.
import { Resolver } from 'node:dns/promises';
import { getDomain } from 'tldts';
import { defineRule } from '../../registry.js';
import { logger } from '../../logging.js';
import { listAddresses } from '../../model/list-addresses.js';

/** TXT lookup: each record is its strings, as node's resolveTxt returns them. */
export type TxtResolver = (name: string) => Promise<string[][]>;

function systemResolver(): TxtResolver {
  // [dmarc] resolver_timeout 3 s; one try keeps the lifetime near Mailman's 5 s.
  const r = new Resolver({ timeout: 3000, tries: 1 });
  return (name) => r.resolveTxt(name);
}

let resolver: TxtResolver | undefined;

/** Replaces the DNS lookup (tests; a site resolver); undefined restores the system one. */
export function setDmarcResolver(r: TxtResolver | undefined): void {
  resolver = r;
}

/** Errors that mean "there is no record here", as opposed to "the lookup failed". */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NODATA']);

/** The organizational domain (RFC 7489 3.2): one label below the longest public suffix. */
export function organizationalDomain(domain: string): string {
  return getDomain(domain) ?? domain;
}

type Lookup = 'mitigate' | 'none' | 'keep-looking';

async function policyAt(name: string, org: boolean, email: string): Promise<Lookup> {
  let records: string[][];
  try {
    records = await (resolver ?? (resolver = systemResolver()))(name);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (NO_RECORD.has(code)) return 'keep-looking';
    logger('error').error(
      { email, name, code, err: (err as Error).message },
      `DNS error: unable to query the DMARC policy of ${email} at ${name}; mitigating`,
    );
    return 'mitigate';
  }
  const dmarc = records.map((r) => r.join('')).filter((t) => /^v=DMARC1;/i.test(t.trim()));
  if (dmarc.length === 0) return 'keep-looking';
  if (dmarc.length > 1)
    logger('error').warn(
      { email, name, records: dmarc },
      `${name} has ${dmarc.length} DMARC records; testing them all`,
    );
  for (const record of dmarc) {
    // `sp=` (subdomain policy) only counts at the organizational domain.
    const policy = ((org && /(?:^|[;\s])sp=(\w*)/i.exec(record)) ||
      /(?:^|[;\s])p=(\w*)/i.exec(record))?.[1]?.toLowerCase();
    if (policy === 'reject' || policy === 'quarantine') {
      logger('vette').info(
        { email, name, policy },
        `${email}: DMARC lookup for ${name} found p=${policy} in ${record}`,
      );
      return 'mitigate';
    }
  }
  return 'none';
}

/** Whether mail From: this address needs mitigating (policy reject or quarantine). */
export async function dmarcProhibits(email: string): Promise<boolean> {
  const at = email.lastIndexOf('@');
  if (at < 1) return false;
  const domain = email.slice(at + 1).toLowerCase();
  const own = await policyAt(`_dmarc.${domain}`, false, email);
  if (own !== 'keep-looking') return own === 'mitigate';
  const org = organizationalDomain(domain);
  if (org === domain) return false;
  return (await policyAt(`_dmarc.${org}`, true, email)) === 'mitigate';
}

export default defineRule({
  name: 'dmarc-mitigation',
  description:
    "The From: domain publishes a DMARC reject/quarantine policy and the list's dmarc_mitigate_action is reject " +
    'or discard (munge_from and wrap_message only flag the post).',
  record: true,
  async check(ctx) {
    const { mlist, msg, msgdata } = ctx;
    const action = mlist.dmarc_mitigate_action;
    if (!action || action === 'no_mitigation') return { hit: false };
    const from = msg.addresses('from')[0]?.email;
    if (!from || !(await dmarcProhibits(from))) return { hit: false };
    // The flag is for the dmarc handler whatever the rule decides.
    msgdata.dmarc = true;
    if (action === 'discard')
      return {
        hit: true,
        reasons: ['DMARC moderation'],
        msgdata: { dmarc_action: 'discard', moderation_sender: from },
      };
    if (action === 'reject') {
      const notice =
        typeof mlist.dmarc_moderation_notice === 'string' && mlist.dmarc_moderation_notice.trim() !== ''
          ? mlist.dmarc_moderation_notice
          : `You are not allowed to post to this list From: a domain whose DMARC policy is reject or quarantine, ` +
            `so your message was rejected. If you think this is a mistake, contact the list owner at ` +
            `${listAddresses(mlist).owner}.`;
      return { hit: true, reasons: [notice], msgdata: { dmarc_action: 'reject', moderation_sender: from } };
    }
    return { hit: false };
  },
});
