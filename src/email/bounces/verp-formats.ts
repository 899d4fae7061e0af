// The shapes of the addresses the list sends from so that what comes back names what it is
// about, as Mailman's [mta] keys describe them: a member's VERP envelope (verp_format,
// verp_regexp), a bounce probe's (verp_probe_format, verp_probe_regexp) and a confirmation
// request's (verp_confirm_format, verp_confirm_regexp). A format is a template over $names;
// a regexp reads the names back with (?P<name>…) groups, on RE2 like every admin pattern.
//
// Each format must start with its list address ($bounces, $address) and verp_delimiter: the
// LMTP server routes LIST-bounces+… and LIST-confirm+… by that delimiter, so a format that
// put anything else there would send the answers nowhere. Checked at start.
import { ConfigError, type Config } from '../../config/config.js';
import { compilePattern, PatternError, type Pattern } from '../../patterns/patterns.js';
import { splitEmail } from '../addresses.js';

interface Shape {
  key: string;
  format: string;
  /** The names the format may use; the first is the list address it must start with. */
  names: readonly string[];
  regexpKey: string;
  regexp: Pattern;
  /** The groups the regexp must name. */
  groups: readonly string[];
}

const PLACEHOLDER = /\$(?:\{(\w+)\}|(\w+))/g;

function fill(format: string, values: Record<string, string>): string {
  return format.replace(PLACEHOLDER, (whole, braced?: string, bare?: string) => values[braced ?? bare ?? ''] ?? whole);
}

/** A plausible mailbox: no spaces, one @, a dot in the domain, nothing a header would split on. */
const MAILBOX = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"=]+\.[^\s@<>()[\],;:"=]+$/;

export class VerpFormats {
  private readonly member: Shape;
  private readonly probe: Shape;
  private readonly confirm: Shape;

  constructor(config: Config) {
    const delimiter = config.get('mta', 'verp_delimiter') || '+';
    const shape = (key: string, names: string[], regexpKey: string, groups: string[]): Shape => {
      const format = config.get('mta', key);
      const used = [...format.matchAll(PLACEHOLDER)].map((m) => m[1] ?? m[2]!);
      const unknown = used.filter((n) => !names.includes(n));
      if (unknown.length)
        throw new ConfigError(
          `[mta] ${key}: unknown $${unknown[0]}; it may use ${names.map((n) => `$${n}`).join(', ')}`,
        );
      const leads = [`\${${names[0]}}${delimiter}`, `$${names[0]}${delimiter}`];
      if (!leads.some((lead) => format.startsWith(lead)) || names.some((n) => !used.includes(n)))
        throw new ConfigError(
          `[mta] ${key}: must start with $${names[0]} and the verp_delimiter (${delimiter}), ` +
            `and use ${names.map((n) => `$${n}`).join(', ')}, so the answer comes back to the list`,
        );
      let regexp: Pattern;
      try {
        // Python's (?P<name>…) is RE2's own syntax; case is ignored as the LMTP server lowers addresses.
        regexp = compilePattern(config.get('mta', regexpKey), { ignoreCase: true });
      } catch (err) {
        if (err instanceof PatternError) throw new ConfigError(`[mta] ${regexpKey}: ${err.reason}`);
        throw err;
      }
      const missing = groups.filter((g) => !regexp.groupNames.includes(g));
      if (missing.length) throw new ConfigError(`[mta] ${regexpKey}: needs the named group (?P<${missing[0]}>…)`);
      return { key, format, names, regexpKey, regexp, groups };
    };
    this.member = shape('verp_format', ['bounces', 'local', 'domain'], 'verp_regexp', ['bounces', 'local', 'domain']);
    this.probe = shape('verp_probe_format', ['bounces', 'token'], 'verp_probe_regexp', ['bounces', 'token']);
    this.confirm = shape('verp_confirm_format', ['address', 'cookie'], 'verp_confirm_regexp', ['cookie']);
  }

  /** The envelope a member's copy leaves from: LIST-bounces+anne=example.org@host by default. */
  envelope(bouncesAddress: string, recipient: string): string {
    return this.envelopes(bouncesAddress)(recipient);
  }

  /**
   * envelope() for one list's copies: the format is filled with the list's part once, so each
   * of a thousand copies costs two slices and a join, not a template pass.
   */
  envelopes(bouncesAddress: string): (recipient: string) => string {
    const bounces = splitEmail(bouncesAddress);
    // Split on names no address can hold, so a member's own `$` or `@` stays as it is.
    const LOCAL = '\0local\0';
    const DOMAIN = '\0domain\0';
    const parts = fill(this.member.format, { bounces: bounces.local, local: LOCAL, domain: DOMAIN }).split('\0');
    const tail = `@${bounces.domain}`;
    return (recipient) => {
      const member = splitEmail(recipient);
      let local = '';
      // Odd places hold the names the split left between the NULs; even ones the format's text.
      for (let i = 0; i < parts.length; i++)
        local += i % 2 === 0 ? parts[i] : parts[i] === 'local' ? member.local : member.domain;
      return local + tail;
    };
  }

  /**
   * The member address a bounce was sent back to, from the first candidate (the envelope
   * recipient, then the headers MTAs copy it into) the regexp reads as this list's. Undefined
   * when none does.
   */
  memberOf(candidates: readonly string[], bouncesLocal: string): string | undefined {
    for (const candidate of candidates) {
      const g = this.member.regexp.namedGroups(candidate.trim().replace(/^<(.*)>$/, '$1'));
      if (!g || g.bounces!.toLowerCase() !== bouncesLocal.toLowerCase()) continue;
      const address = `${g.local}@${g.domain}`;
      if (g.local && g.domain && MAILBOX.test(address)) return address.toLowerCase();
    }
    return undefined;
  }

  /** The sender of a bounce probe: LIST-bounces+TOKEN@host by default. */
  probeSender(bouncesAddress: string, token: string): string {
    const bounces = splitEmail(bouncesAddress);
    return `${fill(this.probe.format, { bounces: bounces.local, token })}@${bounces.domain}`;
  }

  /** The token of a probe's bounce address, when the probe regexp reads one for this list. */
  probeToken(address: string, bouncesLocal: string): string | undefined {
    const g = this.probe.regexp.namedGroups(address.trim());
    return g && g.bounces!.toLowerCase() === bouncesLocal.toLowerCase() && g.token ? g.token : undefined;
  }

  /** The address a confirmation request comes from (replies go there): LIST-confirm+TOKEN@host. */
  confirmAddress(confirmAddress: string, token: string): string {
    const confirm = splitEmail(confirmAddress);
    return `${fill(this.confirm.format, { address: confirm.local, cookie: token })}@${confirm.domain}`;
  }

  /** The token in a reply's confirmation address (or a To: header naming it), if the regexp finds one. */
  confirmToken(address: string): string | undefined {
    return this.confirm.regexp.namedGroups(address.trim())?.cookie || undefined;
  }
}

const made = new WeakMap<Config, VerpFormats>();

/** The formats of a configuration, read and checked once; throws ConfigError when a key is wrong. */
export function verpFormats(config: Config): VerpFormats {
  let formats = made.get(config);
  if (!formats) made.set(config, (formats = new VerpFormats(config)));
  return formats;
}
