// Decoration: the list's header and footer (Mailman's list:member:regular:header and
// :footer templates) added to each copy at delivery, after the pipeline, so archives and
// digests get the post without them. The texts are read once per delivery (decorationTexts)
// and expanded per copy, since a personalised footer differs for each recipient. A single
// text/plain body gets them inline; a multipart/mixed post gets them as inline text/plain
// parts; anything else is wrapped in a multipart/mixed between them.
import { Message } from '../email/message.js';
import { parseContentType, type StructuredValue } from '../email/params.js';
import { decodeTransfer, encodeTransfer, isKnownEncoding, normalizeEncoding } from '../email/transfer-encoding.js';
import { decodeTextStrictly } from '../email/charset.js';
import { MimePart } from '../email/mime-tree.js';
import { multipartBody, newBoundary, textPart } from '../email/new-part.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import { listAddresses } from '../model/list-addresses.js';
import { expandTemplate, listSubstitutions, type TemplateLoader } from '../services/templates.js';

/** What a copy's recipient contributes to a personalised footer. */
export interface MemberData {
  email: string;
  displayName?: string;
  language?: string;
}

/** The placeholders a header or footer may use: the list's, then the member's, then msgdata's. */
export function substitutions(mlist: MailingList, member?: MemberData, msgdata: MsgData = {}): Record<string, string> {
  const a = listAddresses(mlist);
  const subs: Record<string, string> = {
    ...listSubstitutions(mlist),
    mail_host: mlist.mail_host,
    info: String(mlist.info ?? ''),
    request_address: a.request,
  };
  if (member) {
    Object.assign(subs, {
      member: member.email,
      user_email: member.email,
      user_address: member.email,
      user_delivered_to: member.email,
      user_language: member.language ?? String(mlist.preferred_language ?? 'en'),
      user_name: member.displayName ?? '',
      user_name_or_address: member.displayName || member.email,
    });
  }
  const extra = msgdata['decoration-data'];
  if (extra && typeof extra === 'object') for (const [k, v] of Object.entries(extra)) subs[k] = String(v);
  return subs;
}

/** The raw header and footer of one list, read once for a whole delivery. */
export interface DecorationTexts {
  header: string;
  footer: string;
}

/**
 * The list's header and footer texts. A list's own setting (member_regular_header, and
 * member_regular_footer when not null; '' means no footer) comes first, as it did before
 * templates; otherwise the templates, which give the built-in footer when nothing overrides it.
 */
export async function decorationTexts(templates: TemplateLoader, mlist: MailingList): Promise<DecorationTexts> {
  const ownHeader = mlist.member_regular_header;
  const ownFooter = mlist.member_regular_footer;
  return {
    header:
      typeof ownHeader === 'string' && ownHeader !== ''
        ? ownHeader
        : await templates.get('list:member:regular:header', { mlist }),
    footer: typeof ownFooter === 'string' ? ownFooter : await templates.get('list:member:regular:footer', { mlist }),
  };
}

/** Whether a message gets decorated at all (Mailman skips digests, owner mail and notices). */
export function shouldDecorate(msgdata: MsgData, recipients: readonly string[] = []): boolean {
  if (msgdata.isdigest || msgdata.nodecorate) return false;
  // The mail-archive.com service archives the post as the list sent it, undecorated.
  return !(recipients.length === 1 && /@mail-archive\.com$/i.test(recipients[0]));
}

/** Whether the texts use member placeholders, so each copy needs its own footer. */
export function isPersonal(texts: DecorationTexts): boolean {
  return /\$\{?(member|user_\w+)\b/.test(`${texts.header}\n${texts.footer}`);
}

/** A decorated copy of the message; the original is left untouched. */
export function decorate(
  original: Message,
  mlist: MailingList,
  texts: DecorationTexts,
  msgdata: MsgData = {},
  member?: MemberData,
): Message {
  const subs = substitutions(mlist, member, msgdata);
  const header = expandTemplate(texts.header, subs);
  const footer = expandTemplate(texts.footer, subs);
  const msg = new Message(original.toBuffer());
  if (!header && !footer) return msg;
  const ctype = parseContentType(msg.getEncoded('content-type'));
  if (ctype.value === 'text/plain' && addInline(msg, ctype, header, footer)) return msg;
  if (ctype.value === 'multipart/mixed' && addParts(msg, header, footer)) return msg;
  wrap(msg, header, footer);
  return msg;
}

const ASCII = /^[\x00-\x7f]*$/;
/** Charsets where ASCII text is the same bytes, so an ASCII footer can be appended as is. */
const ASCII_COMPATIBLE = new RegExp(
  '^(us-ascii|ascii|utf-8|utf8|iso-8859-\\d+|latin-?1|windows-125\\d|cp125\\d|koi8-[ru]|' +
    'gb2312|gbk|gb18030|big5|euc-\\w+|shift_jis|tis-620)$',
);

/** The line end the message uses: its body's, else its header block's. */
function newline(msg: Message, body: Buffer | string = msg.body): string {
  if (body.includes('\r\n')) return '\r\n';
  if (body.includes('\n')) return '\n';
  return msg.headerBytes().includes('\r\n') ? '\r\n' : '\n';
}

function withNewlines(text: string, nl: string): string {
  return text.replace(/\r?\n/g, nl);
}

/** Header, body, footer in the part's own charset and transfer encoding; false if it cannot be done faithfully. */
function addInline(msg: Message, ctype: StructuredValue, header: string, footer: string): boolean {
  const charset = (ctype.params.charset ?? 'us-ascii').toLowerCase();
  const cte = normalizeEncoding(msg.get('content-transfer-encoding'));
  if (!isKnownEncoding(cte)) return false;
  const decoded = decodeTransfer(msg.body, cte);
  let text: string;
  let outCharset = charset;
  const added = header + footer;
  if (ASCII.test(added) && ASCII_COMPATIBLE.test(charset)) {
    text = decoded.toString('binary');
  } else {
    // Non-ASCII decoration: the body moves to UTF-8 when its charset is known to us.
    const unicode = decodeTextStrictly(decoded, charset);
    if (unicode === undefined) return false;
    text = Buffer.from(unicode, 'utf8').toString('binary');
    outCharset = 'utf-8';
  }
  const nl = newline(msg, text);
  const binary = (s: string) => Buffer.from(withNewlines(s, nl), 'utf8').toString('binary');
  const front = header ? binary(header) + (header.endsWith('\n') ? '' : nl) : '';
  const end = footer && text.length && !text.endsWith('\n') ? nl : '';
  const result = Buffer.from(front + text + end + (footer ? binary(footer) : ''), 'binary');
  if (outCharset !== charset) setParam(msg, 'charset', outCharset);
  if (cte === 'base64' || cte === 'quoted-printable') msg.body = encodeTransfer(result, cte, nl);
  else {
    msg.body = result;
    if (!ASCII.test(result.toString('binary')) && (cte === '7bit' || !msg.has('content-transfer-encoding')))
      msg.set('Content-Transfer-Encoding', '8bit');
  }
  return true;
}

/**
 * Sets one (ASCII) parameter on the Content-Type line as it is, so its other bytes (a raw UTF-8
 * name=) stay untouched.
 */
function setParam(msg: Message, name: string, value: string): void {
  const line = msg.rawLines('content-type')[0] ?? 'Content-Type: text/plain';
  const re = new RegExp(`(;\\s*${name}\\s*=\\s*)("[^"]*"|[^;\\s]*)`, 'i');
  msg.setRawLine(
    'Content-Type',
    re.test(line) ? line.replace(re, `$1"${value}"`) : `${line.replace(/[\r\n]+$/, '')}; ${name}="${value}"`,
  );
}

/** Header and footer as parts of an existing multipart/mixed; false if it has no parts to go between. */
function addParts(msg: Message, header: string, footer: string): boolean {
  const root = msg.mime();
  if (!root.children?.length) return false;
  const nl = newline(msg);
  const parts = [...root.children];
  if (header) parts.unshift(MimePart.fromBytes(textPart(header, nl)));
  if (footer) parts.push(MimePart.fromBytes(textPart(footer, nl)));
  root.setChildren(parts);
  root.commit();
  return true;
}

const CONTENT_HEADERS = [
  'Content-Type',
  'Content-Transfer-Encoding',
  'Content-Disposition',
  'Content-Description',
  'Content-ID',
  'Content-Language',
];

/** The original becomes the middle part of a new multipart/mixed. */
function wrap(msg: Message, header: string, footer: string): void {
  const nl = newline(msg);
  const inner: string[] = [];
  for (const name of CONTENT_HEADERS) {
    for (const line of msg.rawLines(name)) inner.push(line.replace(/\r?\n/g, nl).replace(/\r?\n$/, ''));
    msg.remove(name);
  }
  if (!inner.length) inner.push('Content-Type: text/plain; charset="us-ascii"');
  const boundary = newBoundary();
  msg.set('MIME-Version', '1.0');
  msg.add('Content-Type', `multipart/mixed; boundary="${boundary}"`);
  // The body's last line break doubles as the delimiter's, as the post came.
  const end = msg.body.at(-1) === 0x0a ? (msg.body.at(-2) === 0x0d ? 2 : 1) : 0;
  const body = msg.body.subarray(0, msg.body.length - end);
  const parts: Buffer[] = [Buffer.concat([Buffer.from(`${inner.join(nl)}${nl}${nl}`, 'latin1'), body])];
  if (header) parts.unshift(textPart(header, nl));
  if (footer) parts.push(textPart(footer, nl));
  msg.body = multipartBody(boundary, parts, nl);
}
