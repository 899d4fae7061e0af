// The one DNS resolver of a process: DMARC policy lookups (the dmarc-mitigation rule) and the
// DKIM/ARC/DMARC verification of incoming posts ask it, never the system resolver directly,
// so a site can point them at its own nameservers ([dns] nameservers) and a test can answer
// them from a stand-in server on a loopback port, with no network. In-process tests may also
// replace it outright (setDnsResolver).
import { Resolver } from 'node:dns/promises';
import type { Config } from '../config/config.js';

/**
 * A lookup as mailauth calls it: TXT answers are arrays of strings, other types arrays of
 * strings or records. Errors carry node's codes (ENOTFOUND, ENODATA, ESERVFAIL, ETIMEOUT…).
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

let replacement: DnsResolver | undefined;

/** Replaces every process resolver (in-process tests); undefined restores the configured one. */
export function setDnsResolver(r: DnsResolver | undefined): void {
  replacement = r;
}

/** `host`, `host:port`, `[v6]:port` entries, separated by commas or spaces. */
export function parseNameservers(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export class Dns {
  private readonly system: DnsResolver;

  constructor(config: Config) {
    // [dmarc] resolver_timeout bounds one try, resolver_lifetime all of them, as Mailman's.
    const timeout = Math.max(1, config.durationMs('dmarc', 'resolver_timeout'));
    const lifetime = Math.max(timeout, config.durationMs('dmarc', 'resolver_lifetime'));
    const r = new Resolver({ timeout, tries: Math.max(1, Math.floor(lifetime / timeout)) });
    const servers = parseNameservers(config.get('dns', 'nameservers'));
    if (servers.length) r.setServers(servers);
    this.system = (name, rrtype) => r.resolve(name, rrtype) as Promise<string[][] | string[]>;
  }

  /** The resolver to hand to mailauth and the DMARC lookup; bound, so it can be passed around. */
  readonly resolve: DnsResolver = (name, rrtype) => (replacement ?? this.system)(name, rrtype);
}
