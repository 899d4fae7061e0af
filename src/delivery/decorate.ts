// Decoration: the list's header and footer (Mailman's list:member:regular:header and
// :footer templates) added to each copy at delivery, after the pipeline, so archives and
// digests get the post without them. The texts are read once per delivery (decorationTexts)
// and expanded per copy, since a personalised footer differs for each recipient. A single
// text/plain body gets them inline; a multipart/mixed post gets them as inline text/plain
// parts; anything else is wrapped in a multipart/mixed between them.
import { isAscii } from 'node:buffer';
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
  const subs = listPlaceholders(mlist);
  if (member) Object.assign(subs, memberPlaceholders(mlist, member));
  return withDecorationData(subs, msgdata);
}

/** The list's share of the placeholders, the same for every copy. */
export function listPlaceholders(mlist: MailingList): Record<string, string> {
  return {
    ...listSubstitutions(mlist),
    mail_host: mlist.mail_host,
    info: String(mlist.info ?? ''),
    request_address: listAddresses(mlist).request,
  };
}

/** The member's share, by Mailman's names. */
export function memberPlaceholders(mlist: MailingList, member: MemberData): Record<string, string> {
  return {
    member: member.email,
    user_email: member.email,
    user_address: member.email,
    user_delivered_to: member.email,
    user_language: member.language ?? String(mlist.preferred_language ?? 'en'),
    user_name: member.displayName ?? '',
    user_name_or_address: member.displayName || member.email,
  };
}

/** msgdata's decoration-data, over everything else. */
export function withDecorationData(subs: Record<string, string>, msgdata: MsgData): Record<string, string> {
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
  return decorateWith(original, expandTemplate(texts.header, subs), expandTemplate(texts.footer, subs));
}

/** A copy of the message with these (expanded) header and footer texts. */
export function decorateWith(original: Message, header: string, footer: string): Message {
  const msg = new Message(original.toBuffer());
  if (!header && !footer) return msg;
  const ctype = parseContentType(msg.getEncoded('content-type'));
  if (ctype.value === 'text/plain') {
    const plain = plainBody(msg, ctype);
    if (plain && addInline(msg, plain, header, footer)) return msg;
  }
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

/**
 * A single text/plain body, decoded once however many copies get their own header and
 * footer around it. What each copy derives from it (the text as UTF-8, its line end) is
 * kept here the first time it is needed.
 */
export interface PlainBody {
  charset: string;
  cte: string;
  hasCte: boolean;
  decoded: Buffer;
  /** The line end of the header block, for a body that has none of its own. */
  headerNl: string;
  /** The body in UTF-8; null when its charset is unknown to us. */
  utf8?: Buffer | null;
  /** Line end and ASCII-ness of `decoded` and of `utf8`, by which of the two. */
  shape: Map<Buffer, { nl: string; ascii: boolean; endsWithNl: boolean }>;
}

/** The body of a text/plain message decoded, or undefined when its transfer encoding is unknown. */
export function plainBody(msg: Message, ctype: StructuredValue): PlainBody | undefined {
  const cte = normalizeEncoding(msg.get('content-transfer-encoding'));
  if (!isKnownEncoding(cte)) return undefined;
  return {
    charset: (ctype.params.charset ?? 'us-ascii').toLowerCase(),
    cte,
    hasCte: msg.has('content-transfer-encoding'),
    decoded: decodeTransfer(msg.body, cte),
    headerNl: msg.headerBytes().includes('\r\n') ? '\r\n' : '\n',
    shape: new Map(),
  };
}

/** The new bytes of a text/plain part with header and footer, and the header edits they need. */
export interface Inlined {
  /** The new body, in pieces: a copy is spliced from its head and these in one allocation. */
  parts: Buffer[];
  /** The charset the body is now in (utf-8 when the decoration was not ASCII). */
  charset: string;
  /** Whether Content-Transfer-Encoding must now say 8bit. */
  eightBit: boolean;
}

/** Header, body, footer in the part's own charset and transfer encoding; undefined if it cannot be done faithfully. */
export function inline(plain: PlainBody, header: string, footer: string): Inlined | undefined {
  let text: Buffer;
  let charset = plain.charset;
  if (ASCII.test(header + footer) && ASCII_COMPATIBLE.test(charset)) {
    text = plain.decoded;
  } else {
    // Non-ASCII decoration: the body moves to UTF-8 when its charset is known to us.
    if (plain.utf8 === undefined) {
      const unicode = decodeTextStrictly(plain.decoded, charset);
      plain.utf8 = unicode === undefined ? null : Buffer.from(unicode, 'utf8');
    }
    if (plain.utf8 === null) return undefined;
    text = plain.utf8;
    charset = 'utf-8';
  }
  let shape = plain.shape.get(text);
  if (!shape) {
    const nl = text.includes('\r\n') ? '\r\n' : text.includes('\n') ? '\n' : plain.headerNl;
    shape = { nl, ascii: isAscii(text), endsWithNl: text.at(-1) === 0x0a };
    plain.shape.set(text, shape);
  }
  const { nl } = shape;
  const bytes = (s: string) => Buffer.from(withNewlines(s, nl), 'utf8');
  const front = header ? bytes(header) : EMPTY;
  const afterHeader = header && !header.endsWith('\n') ? nl : '';
  const beforeFooter = footer && text.length && !shape.endsWithNl ? nl : '';
  const end = footer ? bytes(footer) : EMPTY;
  const parts = [front, lineEnd(afterHeader), text, lineEnd(beforeFooter), end];
  const { cte } = plain;
  if (cte === 'base64' || cte === 'quoted-printable')
    return { parts: [encodeTransfer(Buffer.concat(parts), cte, nl)], charset, eightBit: false };
  const ascii = shape.ascii && isAscii(front) && isAscii(end);
  return { parts, charset, eightBit: !ascii && (cte === '7bit' || !plain.hasCte) };
}

const LINE_ENDS: Record<string, Buffer> = { '': Buffer.alloc(0), '\n': Buffer.from('\n'), '\r\n': Buffer.from('\r\n') };
const lineEnd = (nl: string) => LINE_ENDS[nl] ?? Buffer.from(nl, 'latin1');

const EMPTY = Buffer.alloc(0);

/** The header edits inline() asks for, on a message or on a header block alone. */
export function editHeaders(msg: Message, plain: PlainBody, done: Inlined): void {
  if (done.charset !== plain.charset) setParam(msg, 'charset', done.charset);
  if (done.eightBit) msg.set('Content-Transfer-Encoding', '8bit');
}

/** Header, body, footer in the part's own charset and transfer encoding; false if it cannot be done faithfully. */
function addInline(msg: Message, plain: PlainBody, header: string, footer: string): boolean {
  const done = inline(plain, header, footer);
  if (!done) return false;
  editHeaders(msg, plain, done);
  msg.body = Buffer.concat(done.parts);
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

/** What marks a personalised copy as its member's: X-Mailman-Copy (avoid-duplicates), and To for `full`. */
export function personalHeaders(msg: Message, dup: boolean, to?: string): void {
  if (dup) msg.set('X-Mailman-Copy', 'yes');
  if (to !== undefined) msg.set('To', to);
}
