// VERP: a copy sent from `list-bounces+anne=example.org@host` comes back to that address, so
// the bounce names its member whatever the remote MTA writes in its body. The address is
// read from the recipient (the LMTP envelope) or the headers MTAs copy it into.
import { splitEmail } from '../addresses.js';

/** Where MTAs leave the address a bounce was delivered to. */
export const VERP_HEADERS = ['To', 'Delivered-To', 'Envelope-To', 'Apparently-To', 'X-Original-To'];

/**
 * The member address of a VERP'd bounce: `bounces+local=domain@…` with `bounces` the list's
 * own -bounces local part (anything else is not ours to decode). Undefined when none matches.
 */
export function verpAddress(candidates: readonly string[], bouncesLocal: string, delimiter = '+'): string | undefined {
  const prefix = `${bouncesLocal.toLowerCase()}${delimiter}`;
  for (const candidate of candidates) {
    const { local } = splitEmail(candidate.trim().replace(/^<(.*)>$/, '$1'));
    if (!local.toLowerCase().startsWith(prefix)) continue;
    const rest = local.slice(prefix.length);
    const eq = rest.lastIndexOf('=');
    if (eq <= 0 || eq === rest.length - 1) continue;
    const address = `${rest.slice(0, eq)}@${rest.slice(eq + 1)}`;
    if (/^[^\s@<>()\[\],;:"]+@[^\s@<>()\[\],;:"]+\.[^\s@<>()\[\],;:"]+$/.test(address)) return address.toLowerCase();
  }
  return undefined;
}

/** The VERP address in `local+…` form for a recipient, as the outgoing side builds it. */
export function verpEnvelope(bouncesAddress: string, recipient: string, delimiter = '+'): string {
  const bounces = splitEmail(bouncesAddress);
  const member = splitEmail(recipient);
  return `${bounces.local}${delimiter}${member.local}=${member.domain}@${bounces.domain}`;
}
