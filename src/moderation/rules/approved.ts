// Pre-approval by the list's moderator password, in an Approved: (Approve:, X-Approved:,
// X-Approve:) header, or as such a line opening the first text/plain part. The password
// never reaches the members: the headers are removed, or the body line is, along with the
// same pseudo-header wherever it appears in the other text parts (HTML included). Not under
// `explain` (dryRun). A password found, valid or not, sets msgdata.has_approved.
import { defineRule, type MessageContext } from '../../registry.js';
import { verifyPassword } from '../../services/passwords.js';
import { timingSafeEqual } from 'node:crypto';
import { firstTextPlain } from '../../email/mime-tree.js';
import { decodeText } from '../../email/charset.js';

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
  const root = ctx.msg.mime();
  const part = firstTextPlain(root);
  if (!part) return undefined;
  // Lines are found on the bytes (read as latin1, one char per byte), so removing one
  // leaves every other byte as it was, whatever the charset.
  const bytes = part.decodedBytes().toString('latin1');
  const lines = bytes.split(/(?<=\n)/);
  const index = lines.findIndex((l) => l.trim() !== '');
  if (index < 0) return undefined;
  const line = lines[index];
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  const header = line.slice(0, colon);
  if (!APPROVED_HEADERS.includes(header.toLowerCase())) return undefined;
  const raw = line.slice(colon + 1).trim();
  const password = decodeText(Buffer.from(raw, 'latin1'), part.params.charset);
  return {
    password,
    header,
    strip: () => {
      lines.splice(index, 1);
      part.setDecodedBytes(Buffer.from(lines.join(''), 'latin1'));
      // The same pseudo-header in the other text parts (an HTML alternative, say).
      const pattern = new RegExp(`${escapeRegex(header)}:(\\s|&nbsp;)*${escapeRegex(raw)}`, 'g');
      for (const other of root.walk()) {
        if (other === part || other.isContainer || !other.type.startsWith('text/')) continue;
        const text = other.decodedBytes().toString('latin1');
        if (!pattern.test(text)) continue;
        pattern.lastIndex = 0;
        other.setDecodedBytes(Buffer.from(text.replace(pattern, ''), 'latin1'));
      }
      root.commit();
    },
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
