// DMARC: a post From: a domain whose policy is reject or quarantine would be refused by the
// members' mail servers once the list resends it. When the list mitigates, the rule sets
// msgdata.dmarc for the pipeline's dmarc handler (munge_from, wrap_message: the rule
// misses), or hits with msgdata.dmarc_action (reject, discard) for the dmarc chain.
//
// The policy is looked up by mailauth, through the process's resolver (services.dns, so
// [dns] nameservers and tests reach it): TXT `_dmarc.<From domain>`, then
// `_dmarc.<organizational domain>`, where `sp=` wins over `p=`. The organizational domain is
// the registrable domain by the Public Suffix List (tldts, which mailauth and we bundle):
// `a.b.example.co.uk` asks `example.co.uk`, not `co.uk`. A name publishing several DMARC
// records has no policy, as RFC 7489 6.6.3 says and the members' servers read it (Mailman
// tested each record). As Mailman does, a DNS failure other than "no such name / no record"
// is logged and the post is mitigated: a policy the list could not see may still be seen by
// the members' servers.
import getDmarcRecord from 'mailauth/lib/dmarc/get-dmarc-record.js';
import { getDomain } from 'tldts';
import { defineRule } from '../../registry.js';
import { logger } from '../../logging.js';
import { listAddresses } from '../../model/list-addresses.js';
import type { DnsResolver } from '../../services/dns.js';

/** The organizational domain (RFC 7489 3.2): one label below the longest public suffix. */
export function organizationalDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: true }) ?? domain;
}

/** Whether mail From: this address needs mitigating (policy reject or quarantine). */
export async function dmarcProhibits(email: string, resolve: DnsResolver): Promise<boolean> {
  const at = email.lastIndexOf('@');
  if (at < 1) return false;
  const domain = email.slice(at + 1).toLowerCase();
  let record;
  try {
    record = await getDmarcRecord(domain, resolve);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    logger('error').error(
      { email, domain, code, err: (err as Error).message },
      `DNS error: unable to query the DMARC policy of ${email}; mitigating`,
    );
    return true;
  }
  if (!record) return false;
  // `sp=` (subdomain policy) only counts at the organizational domain.
  const policy = String((record.isOrgRecord && record.sp) || record.p || '').toLowerCase();
  if (policy !== 'reject' && policy !== 'quarantine') return false;
  const name = `_dmarc.${record.isOrgRecord ? organizationalDomain(domain) : domain}`;
  logger('vette').info({ email, name, policy }, `${email}: DMARC lookup for ${name} found p=${policy} in ${record.rr}`);
  return true;
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
    if (!from || !(await dmarcProhibits(from, ctx.services.dns.resolve))) return { hit: false };
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
