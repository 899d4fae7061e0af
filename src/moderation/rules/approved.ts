// Pre-approval by the list's moderator password, in an Approved: (Approve:, X-Approved:,
// X-Approve:) header, or as such a line opening the first text/plain part. The password
// never reaches the members: the headers are removed, or the body line is, along with the
// same pseudo-header wherever it appears in the other text parts (HTML included). Not under
// `explain` (dryRun). A password found, valid or not, sets msgdata.has_approved.
import { defineRule, type MessageContext } from '../../registry.js';
import { verifyPassword } from '../../rest/passwords.js';
import { timingSafeEqual } from 'node:crypto';
import { decodeCharset, decodedBytes, encodeLike, escapeRegex, firstTextPlain, partsOf, spliceBody, type MimePart } from '../mime-parts.js';

export const APPROVED_HEADERS = ['approve', 'approved', 'x-approve', 'x-approved'];

/** Checks a cleartext password against the list's stored one (a hash; a bare value is compared as is). */
export function moderatorPasswordMatches(password: string, stored: string): boolean {
  if (stored.startsWith('$')) return verifyPassword(password, stored);
  const a = Buffer.from(password);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The password from the headers; undefined when none of them is present. */
function fromHeaders(ctx: MessageContext): string | undefined {
  for (const h of APPROVED_HEADERS) {
    const v = ctx.msg.get(h);
    if (v !== undefined) return v.trim();
  }
  return undefined;
}

/** The password from the first non-blank line of the first text/plain part, and the line's removal. */
function fromBody(ctx: MessageContext): { password: string; header: string; strip(): void } | undefined {
  const part = firstTextPlain(ctx.msg);
  if (!part) return undefined;
  // Lines are found on the bytes (read as latin1, one char per byte), so removing one
  // leaves every other byte as it was, whatever the charset.
  const bytes = decodedBytes(part).toString('latin1');
  const lines = bytes.split(/(?<=\n)/);
  const index = lines.findIndex((l) => l.trim() !== '');
  if (index < 0) return undefined;
  const line = lines[index];
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  const header = line.slice(0, colon);
  if (!APPROVED_HEADERS.includes(header.toLowerCase())) return undefined;
  const raw = line.slice(colon + 1).trim();
  const password = decodeCharset(Buffer.from(raw, 'latin1'), part.params.charset);
  return {
    password,
    header,
    strip: () => {
      const edits: { part: MimePart; body: Buffer }[] = [];
      lines.splice(index, 1);
      edits.push({ part, body: encodeLike(part, Buffer.from(lines.join(''), 'latin1')) });
      // The same pseudo-header in the other text parts (an HTML alternative, say).
      const pattern = new RegExp(`${escapeRegex(header)}:(\\s|&nbsp;)*${escapeRegex(raw)}`, 'g');
      for (const other of partsOf(ctx.msg)) {
        if (other === part || other.children.length > 0 || !other.type.startsWith('text/')) continue;
        const text = decodedBytes(other).toString('latin1');
        if (!pattern.test(text)) continue;
        pattern.lastIndex = 0;
        edits.push({ part: other, body: encodeLike(other, Buffer.from(text.replace(pattern, ''), 'latin1')) });
      }
      // Last part first, so the earlier offsets stay valid.
      edits.sort((a, b) => b.part.start - a.part.start);
      for (const e of edits) spliceBody(ctx.msg, e.part, e.body);
    },
  };
}

export default defineRule({
  name: 'approved',
  description: "The message carries the list's moderator password in an Approved: header or first body line.",
  record: true,
  check(ctx) {
    const stored = ctx.mlist.moderator_password;
    if (typeof stored !== 'string' || stored === '') return { hit: false };
    let password = fromHeaders(ctx);
    if (password !== undefined) {
      if (!ctx.dryRun) for (const h of APPROVED_HEADERS) ctx.msg.remove(h);
    } else {
      const body = fromBody(ctx);
      if (!body) return { hit: false };
      password = body.password;
      if (!ctx.dryRun) body.strip();
    }
    ctx.msgdata.has_approved = true;
    return { hit: moderatorPasswordMatches(password, stored) };
  },
});
