// HTTP Basic with the one site credential pair, as Mailman: the REST API has no per-user
// permissions, its clients (Postorius, HyperKitty) authorise their own users.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { RestError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function basicAuth(user: string, pass: string) {
  // Compared as fixed-length digests in constant time, so timing tells nothing of the secret.
  const expected = digest(`${user}:${pass}`);
  return async (ctx: Context, next: Next): Promise<void> => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ctx.get('authorization'));
    const given = m ? Buffer.from(m[1], 'base64').toString('utf8') : undefined;
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new RestError(401, 'REST API authorization failed', { 'WWW-Authenticate': 'Basic realm="mailman3-rest"' });
    }
    await next();
  };
}
