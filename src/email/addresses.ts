// Address parsing for header values, on nodemailer's well-kept parser.
import addressparser from 'nodemailer/lib/addressparser';
import libmime from 'libmime';

export interface ParsedAddress {
  name: string;
  email: string;
}

const SIMPLE_EMAIL = /^[^\s@<>()\[\],;:"]+@[^\s@<>()\[\],;:"]+$/;

export function isValidEmail(email: string): boolean {
  return SIMPLE_EMAIL.test(email);
}

/** Every well-formed address in a header value, groups flattened, emails lower-cased. */
export function parseAddresses(value: string): ParsedAddress[] {
  const out: ParsedAddress[] = [];
  for (const a of addressparser(value, { flatten: true })) {
    const email = (a.address ?? '').trim();
    if (email && isValidEmail(email)) out.push({ name: a.name ?? '', email: email.toLowerCase() });
  }
  return out;
}

export function splitEmail(email: string): { local: string; domain: string } {
  const at = email.lastIndexOf('@');
  return at < 0 ? { local: email, domain: '' } : { local: email.slice(0, at), domain: email.slice(at + 1) };
}

/** `"Name" <email>` when there is a name, for headers we write. */
export function formatAddress(email: string, name?: string): string {
  if (!name) return email;
  const safe = /^[\w .!#$%&'*+\-/=?^`{|}~]*$/.test(name) && !/^\s|\s$/.test(name) ? name : JSON.stringify(name);
  return `${safe} <${email}>`;
}

/**
 * A display name as a header carries it: an atom run when it is one, a quoted string when it
 * is other printable ASCII, else RFC 2047 words (UTF-8 Q, which libmime limits to the
 * characters RFC 2047 section 5 allows in a phrase).
 */
export function encodePhrase(name: string): string {
  if (/^[\w .!#$%&'*+\-/=?^`{|}~]*$/.test(name) && !/^\s|\s$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}"`;
  return libmime.encodeWord(name, 'Q', 52);
}

/** An address list written for a header: each display name through encodePhrase, groups kept. */
export function encodeAddressList(value: string): string {
  const one = (a: { name?: string; address?: string; group?: unknown[] }): string => {
    if (Array.isArray(a.group))
      return `${encodePhrase(a.name ?? '')}: ${(a.group as (typeof a)[]).map(one).join(', ')};`;
    return a.name ? `${encodePhrase(a.name)} <${a.address ?? ''}>` : (a.address ?? '');
  };
  const list = addressparser(value).map(one).join(', ');
  // Nothing parseable as addresses: still never write raw 8-bit, encode it as text.
  return list || libmime.encodeWords(value, 'Q', 52);
}
