// Password hashes for users and for list moderator/poster passwords (the Approved: rule checks
// them). Mailman stores passlib hashes; here scrypt from node:crypto, self-describing so the parameters can change.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;

export function hashPassword(cleartext: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(cleartext, salt, 32, { N, r: R, p: P });
  return `$scrypt$ln=${Math.log2(N)},r=${R},p=${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(cleartext: string, stored: string): boolean {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[5], 'base64');
  const hash = scryptSync(cleartext, Buffer.from(m[4], 'base64'), expected.length, {
    N: 2 ** Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
  });
  return timingSafeEqual(hash, expected);
}

/** Mailman gives a user created without a password a random one nobody knows. */
export function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}
