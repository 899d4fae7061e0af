// What addmembers and syncmembers share: the roster file ("Name <address>" or an address per
// line, # comments) and Mailman's --delivery names.
import { readFileSync } from 'node:fs';
import { parseAddresses } from '../email/addresses.js';
import { CliError } from './context.js';

export interface RosterEntry {
  email: string;
  name: string;
  line: string;
}

/** The file's entries, and the lines that hold no address (reported, never fatal). */
export function readRosterFile(file: string): { entries: RosterEntry[]; unparsable: string[] } {
  const entries: RosterEntry[] = [];
  const unparsable: string[] = [];
  for (const raw of readFileSync(file === '-' ? 0 : file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [addr] = parseAddresses(line);
    if (addr) entries.push({ email: addr.email, name: addr.name, line });
    else unparsable.push(line);
  }
  return { entries, unparsable };
}

/** Mailman's --delivery choices as a delivery mode and, for `disabled`, a delivery status. */
const DELIVERY: Record<string, { mode?: string; status?: string }> = {
  regular: { mode: 'regular' },
  mime: { mode: 'mime_digests' },
  plain: { mode: 'plaintext_digests' },
  summary: { mode: 'summary_digests' },
  disabled: { status: 'by_moderator' },
};

/**
 * The delivery a new member is given. Without --delivery nothing is set on the membership,
 * so the preference cascade (the address's, the user's, the site's) decides.
 */
export function deliveryOption(name: string | undefined): { mode?: string; status?: string } {
  if (name === undefined) return {};
  const delivery = Object.hasOwn(DELIVERY, name) ? DELIVERY[name] : undefined;
  if (!delivery) throw new CliError(`Unknown delivery mode: ${name} (use ${Object.keys(DELIVERY).join(', ')})`, 2);
  return delivery;
}
