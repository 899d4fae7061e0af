// DKIM, DMARC and ARC through mailauth, for the [ARC] section as Mailman has it: incoming posts
// are verified (validate-authenticity records an Authentication-Results header under our
// authserv-id and the chain's verdict), and each copy leaving is ARC-sealed after decoration,
// so the members' servers can trust what we saw even though the list changed the message.
// SPF is not checked: the list is not the first hop, as Mailman says too. DNS goes through the
// process's resolver (services.dns: [dns] nameservers, or a test's stand-in), so tests run
// offline.
import { readFileSync } from 'node:fs';
import { arc, dkimVerify, dmarc, sealMessage } from 'mailauth';
import type { Config } from '../config/config.js';
import type { DnsResolver } from '../services/dns.js';

export interface Verdict {
  /** The Authentication-Results value: `authserv-id; dkim=…; arc=…; dmarc=…`. */
  results: string;
  /** The ARC chain's validation, the cv= of the seal we add: none, pass or fail. */
  cv: string;
}

export interface ArcSettings {
  authservId: string;
  dkim: boolean;
  dmarc: boolean;
  signingDomain: string;
  selector: string;
  privateKey: string;
  headerList: string[];
}

/** [ARC] as configured; throws what is missing when it is enabled without a key to seal with. */
export function arcSettings(config: Config): ArcSettings | undefined {
  if (!config.bool('ARC', 'enabled')) return undefined;
  const missing = ['authserv_id', 'privkey', 'selector', 'domain'].filter((k) => !config.get('ARC', k).trim());
  if (missing.length) throw new Error(`[ARC] enabled needs ${missing.join(', ')} set`);
  const headerList = config
    .get('ARC', 'sig_headers')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (!headerList.some((h) => h.toLowerCase() === 'from')) throw new Error('[ARC] sig_headers must include From');
  return {
    authservId: config.get('ARC', 'authserv_id').trim(),
    dkim: config.bool('ARC', 'dkim'),
    dmarc: config.bool('ARC', 'dmarc'),
    signingDomain: config.get('ARC', 'domain').trim(),
    selector: config.get('ARC', 'selector').trim(),
    privateKey: readFileSync(config.path('ARC', 'privkey'), 'utf8'),
    headerList,
  };
}

/** What mailauth found: the DKIM signatures, the ARC chain and (when asked) the DMARC policy. */
interface Examination {
  signed: Awaited<ReturnType<typeof dkimVerify>>;
  chain: Awaited<ReturnType<typeof arc>>;
  policy: Awaited<ReturnType<typeof dmarc>> | undefined;
}

async function examine(raw: Buffer, resolve: DnsResolver, withDmarc: boolean): Promise<Examination> {
  const signed = await dkimVerify(raw, { resolver: resolve });
  const chain = await arc(signed.arc as Parameters<typeof arc>[0], { resolver: resolve });
  let policy;
  if (withDmarc && signed.headerFrom) {
    policy = await dmarc({
      headerFrom: signed.headerFrom,
      spfDomains: [],
      dkimDomains: (signed.results ?? [])
        .filter((r) => r.status.result === 'pass')
        .map((r) => ({
          id: r.id,
          domain: r.signingDomain,
          aligned: r.status.aligned,
          underSized: r.status.underSized,
        })),
      arcResult: chain,
      resolver: resolve,
    } as Parameters<typeof dmarc>[0]);
  }
  return { signed, chain, policy };
}

/** The results a chain can test (the `authenticated` rule): each is pass, fail, none, … as mailauth says. */
export interface Authenticity {
  /** One per DKIM signature: its d= domain, result, and whether it aligns with From. */
  dkim: { domain: string; result: string; aligned: boolean }[];
  arc: string;
  dmarc: string;
}

/** DKIM, ARC and DMARC of a message as received, for moderation (no SPF: the list is not the first hop). */
export async function authenticityOf(raw: Buffer, resolve: DnsResolver): Promise<Authenticity> {
  const { signed, chain, policy } = await examine(raw, resolve, true);
  const result = (x: unknown) => String((x as { status?: { result?: unknown } } | undefined)?.status?.result ?? 'none');
  return {
    dkim: (signed.results ?? []).map((r) => ({
      domain: String(r.signingDomain ?? ''),
      result: result(r),
      aligned: Boolean(r.status.aligned),
    })),
    arc: result(chain),
    dmarc: policy ? result(policy) : 'none',
  };
}

/** DKIM (when [ARC] dkim), the ARC chain and DMARC (when [ARC] dmarc) of a message as received. */
export async function verify(raw: Buffer, s: ArcSettings, resolve: DnsResolver): Promise<Verdict> {
  const { signed, chain, policy } = await examine(raw, resolve, s.dmarc);
  const parts: string[] = [];
  if (s.dkim) for (const row of signed.results ?? []) parts.push(row.info);
  if (chain?.info) parts.push(chain.info);
  if (policy && 'info' in policy && policy.info) parts.push(policy.info);
  const cv = String(chain?.status?.result ?? 'none');
  return {
    results: [s.authservId, ...(parts.length ? parts : ['none'])].join(';\r\n '),
    cv: cv === 'pass' ? 'pass' : cv === 'none' ? 'none' : 'fail',
  };
}

/** The ARC set (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results) to put on top of a copy. */
export async function seal(raw: Buffer, s: ArcSettings, verdict: Verdict): Promise<Buffer> {
  return sealMessage(raw, {
    signingDomain: s.signingDomain,
    selector: s.selector,
    privateKey: s.privateKey,
    headerList: s.headerList,
    cv: verdict.cv,
    authResults: verdict.results,
  } as Parameters<typeof sealMessage>[1]);
}
