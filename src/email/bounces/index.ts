// Recognising a bounce: first a DSN's delivery-status part, then the plain-text formats of
// formats.ts over the report's own text. The returned original message (message/rfc822,
// text/rfc822-headers) is never read: a post quoting a bounce must not make its author's
// words name members as failed.
import type { Message } from '../message.js';
import type { MimePart } from '../mime-tree.js';
import { dsnFailures } from './dsn.js';
import { MAX_LINE_LENGTH, PLAIN_BOUNCE_FORMATS, plainFailures } from './formats.js';
import { normalizeFailures, type BounceReport } from './report.js';

export { VERP_HEADERS } from './verp.js';
export { VerpFormats, verpFormats } from './verp-formats.js';
export { MAX_BOUNCED_ADDRESSES, type BounceFailures, type BounceReport } from './report.js';

/** Only this much of the report's text is read: real reports are a few KB. */
const MAX_REPORT_TEXT = 64 * 1024;

/** What the bounce says failed, or undefined when it is not a bounce this server recognises. */
export function scanBounce(msg: Message): BounceReport | undefined {
  const root = msg.mime();
  const dsn = dsnFailures(root);
  if (dsn && (dsn.permanent.length || dsn.temporary.length)) return { detector: 'dsn', ...normalizeFailures(dsn) };
  const lines = reportText(root)
    .split(/\r?\n/)
    .map((l) => l.slice(0, MAX_LINE_LENGTH));
  for (const format of PLAIN_BOUNCE_FORMATS) {
    const found = plainFailures(format, lines);
    if (found) return { detector: format.name, ...normalizeFailures(found) };
  }
  return dsn ? { detector: 'dsn', permanent: [], temporary: [] } : undefined;
}

/** The text/plain parts written by the reporting MTA, outside any returned message, bounded. */
function reportText(root: MimePart): string {
  let text = '';
  const visit = (part: MimePart): void => {
    if (text.length >= MAX_REPORT_TEXT) return;
    if (part.type === 'message/rfc822' || part.type === 'text/rfc822-headers') return;
    if (part.children) return part.children.forEach(visit);
    if (part.type === 'text/plain') text += part.decodedText().slice(0, MAX_REPORT_TEXT - text.length) + '\n';
  };
  visit(root);
  return text;
}
