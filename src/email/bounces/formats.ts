// Bounces that are not DSNs: the plain-text reports MTAs wrote before RFC 3464 and some still
// write. Each format is a row of this table, not code: the line that identifies it, the line
// after which its failed addresses are listed, the line that ends the list, and how an address
// line looks. A new MTA's format is a new row and a sample in test/fixtures/bounces/.
import type { BounceFailures } from './report.js';

export interface PlainBounceFormat {
  /** Names the detector in logs and in the bounce event. */
  name: string;
  /** A line that only this MTA's reports carry; the format is not tried without it. */
  marker: RegExp;
  /** The list of addresses starts at this line (inclusive); the marker line when absent. */
  start?: RegExp;
  /** The list ends before this line; else after MAX_SECTION_LINES lines. */
  end?: RegExp;
  /** An address line: capture group 1 is the address. */
  address: RegExp;
  /** Whether the addresses failed for good; `temporaryIf` anywhere in the text makes them delayed. */
  verdict: keyof BounceFailures;
  temporaryIf?: RegExp;
}

/** SMTP's own limit on a line (RFC 5321): longer lines are cut to it before any format is tried. */
export const MAX_LINE_LENGTH = 998;

/** How far past its start a format's address list is read, when no end line comes. */
export const MAX_SECTION_LINES = 60;

// '@' is outside both classes, so no address pattern can backtrack over a long line.
const ADDR = '[^\\s@<>()\\[\\],;:"\']+@[^\\s@<>()\\[\\],;:"\']+';

export const PLAIN_BOUNCE_FORMATS: readonly PlainBounceFormat[] = [
  {
    name: 'qmail',
    marker: /^Hi\. This is the qmail(-send)? program/i,
    end: /^--- (Below this line|Enclosed are)/,
    address: new RegExp(`^<(${ADDR})>:`),
    verdict: 'permanent',
  },
  {
    name: 'postfix',
    marker: /^This is the (mail system|Postfix program) at host /i,
    start: /^\s*The (mail system|Postfix program)\s*$/i,
    end: /^(--|Reporting-MTA:|Content-Type:)/i,
    address: new RegExp(`^<(${ADDR})>(?::| \\()`),
    verdict: 'permanent',
    temporaryIf: /THIS IS A WARNING ONLY/,
  },
  {
    name: 'exim',
    marker: /^This message was created automatically by mail delivery software/i,
    start: /following address\(es\) failed:/i,
    end: /^-{3,} (This is a copy|The header of the original)/i,
    address: new RegExp(`^ {1,2}<?(${ADDR})>?(?::|\\s|$)`),
    verdict: 'permanent',
  },
  {
    name: 'exim-delayed',
    marker: /^This message was created automatically by mail delivery software/i,
    start: /(address|addresses) to which the message has not yet been delivered (is|are):/i,
    end: /^(No action is required|-{3,})/i,
    address: new RegExp(`^ {1,2}<?(${ADDR})>?(?::|\\s|$)`),
    verdict: 'temporary',
  },
  {
    name: 'sendmail',
    marker: /-{5} The following addresses had permanent fatal errors -{5}/i,
    end: /-{5} (Transcript of session follows|Original message follows)/i,
    address: new RegExp(`^<?(${ADDR})>?\\s*(?:\\(|$)`),
    verdict: 'permanent',
  },
  {
    name: 'sendmail-delayed',
    marker: /-{5} The following addresses had transient non-fatal errors -{5}/i,
    end: /-{5} (Transcript of session follows|Original message follows)/i,
    address: new RegExp(`^<?(${ADDR})>?\\s*(?:\\(|$)`),
    verdict: 'temporary',
  },
  {
    name: 'exchange',
    marker: /did not reach some or all of the intended recipients/i,
    start: /following recipient\(s\) could not be reached:/i,
    address: new RegExp(`^\\s+'?(${ADDR})'? on `),
    verdict: 'permanent',
  },
  {
    name: 'office365',
    marker: /^Delivery has failed to these recipients or groups:/i,
    end: /^Diagnostic information for administrators:/i,
    address: new RegExp(`^'?(${ADDR}?)'?\\s*(?:\\(|<mailto:|$)`),
    verdict: 'permanent',
  },
  {
    name: 'gmail',
    marker: /^Delivery to the following recipients? failed permanently:/i,
    end: /^Technical details of permanent failure/i,
    address: new RegExp(`^\\s+(${ADDR})\\s*$`),
    verdict: 'permanent',
  },
  {
    name: 'gmail-delayed',
    marker: /^Delivery to the following recipients? has been delayed:/i,
    end: /^(Technical details of temporary failure|Message will be retried)/i,
    address: new RegExp(`^\\s+(${ADDR})\\s*$`),
    verdict: 'temporary',
  },
  {
    name: 'gmail-sentence',
    marker: /^\s*Your message wasn't delivered to [^\s@]+@\S+ because/i,
    address: new RegExp(`^\\s*Your message wasn't delivered to <?(${ADDR}?)>? because`, 'i'),
    verdict: 'permanent',
  },
  {
    name: 'yahoo',
    marker: /^Sorry, we were unable to deliver your message to the following address/i,
    end: /^--- Below this line is a copy/i,
    address: new RegExp(`^<(${ADDR})>:`),
    verdict: 'permanent',
  },
  {
    name: 'courier',
    marker: /running the Courier mail server/i,
    start: /^Your message to the following recipients? cannot be delivered:/i,
    end: /^-{20,}\s*$/,
    address: new RegExp(`^<(${ADDR})>:\\s*$`),
    verdict: 'permanent',
  },
  {
    name: 'courier-delayed',
    marker: /running the Courier mail server/i,
    start: /^Your message to the following recipients? has been delayed/i,
    end: /^-{20,}\s*$/,
    address: new RegExp(`^<(${ADDR})>:\\s*$`),
    verdict: 'temporary',
  },
  {
    // Netscape Messaging Server, later iPlanet and Sun Java System Messaging Server.
    name: 'netscape',
    marker: /^This Message was undeliverable due to the following reason:/i,
    start: /^The following recipients? did not receive this message:/i,
    end: /^Please reply to /i,
    address: new RegExp(`^\\s+<(${ADDR})>\\s*$`),
    verdict: 'permanent',
  },
  {
    name: 'domino',
    marker: /^\s*was not delivered to:\s*$/i,
    end: /^\s*because:\s*$/i,
    address: new RegExp(`^\\s+<?(${ADDR}?)>?\\s*$`),
    verdict: 'permanent',
  },
];

/** The failures one format finds in the report's lines, or undefined when it is not that format. */
export function plainFailures(format: PlainBounceFormat, lines: readonly string[]): BounceFailures | undefined {
  // Callers pass lines cut to MAX_LINE_LENGTH, so every test here is over a short string.
  const at = lines.findIndex((l) => format.marker.test(l));
  if (at < 0) return undefined;
  const from = format.start ? lines.findIndex((l, i) => i >= at && format.start!.test(l)) : at;
  if (from < 0) return undefined;
  const found: string[] = [];
  for (let i = from; i < lines.length && i < from + MAX_SECTION_LINES; i++) {
    if (i > from && format.end?.test(lines[i])) break;
    const m = format.address.exec(lines[i]);
    if (m) found.push(m[1].replace(/\.$/, ''));
  }
  if (!found.length) return undefined;
  const verdict = format.temporaryIf && lines.some((l) => format.temporaryIf!.test(l)) ? 'temporary' : format.verdict;
  return verdict === 'permanent' ? { permanent: found, temporary: [] } : { permanent: [], temporary: found };
}
