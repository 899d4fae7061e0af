// Address parsing for header values, on nodemailer's well-kept parser.
import addressparser from 'nodemailer/lib/addressparser';

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
