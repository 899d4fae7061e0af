// Decoration: the list's header and footer (Mailman's list:member:regular:header and
// :footer templates) added to each copy at delivery, after the pipeline, so archives and
// digests get the post without them. A single text/plain body gets them inline; a
// multipart/mixed post gets them as inline text/plain parts; anything else is wrapped in a
// multipart/mixed between them.
import { randomBytes } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { Message } from '../email/message.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import { listAddresses } from '../model/list-addresses.js';
import { parseContentType, type ContentType } from './mime-tree.js';

/**
 * The built-in list:member:regular:footer: a separator, the list's name and address, and
 * how to leave. `$name` and `${name}` are filled from the substitutions below.
 */
export const DEFAULT_FOOTER = [
  '_______________________________________________',
  '$display_name mailing list -- $listname',
  'To unsubscribe send an email to ${short_listname}-leave@${domain}',
  '',
].join('\n');

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
    listname: a.posting,
    fqdn_listname: a.posting,
    list_name: mlist.list_name,
    short_listname: mlist.list_name,
    list_id: mlist.list_id,
    mail_host: mlist.mail_host,
    domain: mlist.mail_host,
    display_name: mlist.display_name,
    description: mlist.description ?? '',
    info: String(mlist.info ?? ''),
    request_address: a.request,
    request_email: a.request,
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

/** `$name` / `${name}` substitution; unknown names stay as written, `$$` is a dollar. */
export function expand(template: string, subs: Record<string, string>): string {
  return template.replace(/\$(?:\$|(\w+)|\{(\w+)\})/g, (whole, a?: string, b?: string) => {
    if (whole === '$$') return '$';
    const key = (a ?? b)!;
    return key in subs ? subs[key] : whole;
  });
}

/** The list's footer template: its own, none when set to '', else the built-in one. */
export function footerTemplate(mlist: MailingList): string {
  const own = mlist.member_regular_footer;
  return typeof own === 'string' ? own : DEFAULT_FOOTER;
}

export function headerTemplate(mlist: MailingList): string {
  return typeof mlist.member_regular_header === 'string' ? mlist.member_regular_header : '';
}

/** Whether a message gets decorated at all (Mailman skips digests, owner mail and notices). */
export function shouldDecorate(msgdata: MsgData, recipients: readonly string[] = []): boolean {
  if (msgdata.isdigest || msgdata.nodecorate) return false;
  // The mail-archive.com service archives the post as the list sent it, undecorated.
  return !(recipients.length === 1 && /@mail-archive\.com$/i.test(recipients[0]));
}

/** Whether the templates use member placeholders, so each copy needs its own footer. */
export function isPersonal(mlist: MailingList): boolean {
  return /\$\{?(member|user_\w+)\b/.test(`${headerTemplate(mlist)}\n${footerTemplate(mlist)}`);
}

/** A decorated copy of the message; the original is left untouched. */
export function decorate(original: Message, mlist: MailingList, msgdata: MsgData = {}, member?: MemberData): Message {
  const subs = substitutions(mlist, member, msgdata);
  const header = expand(headerTemplate(mlist), subs);
  const footer = expand(footerTemplate(mlist), subs);
  const msg = new Message(original.toBuffer());
  if (!header && !footer) return msg;
  const ctype = parseContentType(msg.get('content-type'));
  if (ctype.type === 'text/plain' && addInline(msg, ctype, header, footer)) return msg;
  if (ctype.type === 'multipart/mixed' && ctype.params.boundary && addParts(msg, ctype.params.boundary, header, footer)) return msg;
  wrap(msg, header, footer);
  return msg;
}

const ASCII = /^[\x00-\x7f]*$/;
/** Charsets where ASCII text is the same bytes, so an ASCII footer can be appended as is. */
const ASCII_COMPATIBLE = /^(us-ascii|ascii|utf-8|utf8|iso-8859-\d+|latin-?1|windows-125\d|cp125\d|koi8-[ru]|gb2312|gbk|gb18030|big5|euc-\w+|shift_jis|tis-620)$/;

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
function addInline(msg: Message, ctype: ContentType, header: string, footer: string): boolean {
  const charset = (ctype.params.charset ?? 'us-ascii').toLowerCase();
  const cte = (msg.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  const decoded = decodeBody(msg.body, cte);
  if (decoded === undefined) return false;
  let text: string;
  let outCharset = charset;
  const added = header + footer;
  if (ASCII.test(added) && ASCII_COMPATIBLE.test(charset)) {
    text = decoded.toString('binary');
  } else {
    // Non-ASCII decoration: the body moves to UTF-8 when its charset is known to us.
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset, { fatal: true });
    } catch {
      return false;
    }
    try {
      text = Buffer.from(decoder.decode(decoded), 'utf8').toString('binary');
    } catch {
      return false;
    }
    outCharset = 'utf-8';
  }
  const nl = newline(msg, text);
  const binary = (s: string) => Buffer.from(withNewlines(s, nl), 'utf8').toString('binary');
  const front = header ? binary(header) + (header.endsWith('\n') ? '' : nl) : '';
  const end = footer && text.length && !text.endsWith('\n') ? nl : '';
  const result = Buffer.from(front + text + end + (footer ? binary(footer) : ''), 'binary');
  if (outCharset !== charset) setParam(msg, 'charset', outCharset);
  if (cte === 'base64' || cte === 'quoted-printable') msg.body = encodeBody(result, cte, nl);
  else {
    msg.body = result;
    if (!ASCII.test(result.toString('binary')) && (cte === '7bit' || !msg.has('content-transfer-encoding'))) msg.set('Content-Transfer-Encoding', '8bit');
  }
  return true;
}

/** Sets one (ASCII) parameter on the Content-Type line as it is, so its other bytes (a raw UTF-8 name=) stay untouched. */
function setParam(msg: Message, name: string, value: string): void {
  const line = msg.rawLines('content-type')[0] ?? 'Content-Type: text/plain';
  const re = new RegExp(`(;\\s*${name}\\s*=\\s*)("[^"]*"|[^;\\s]*)`, 'i');
  msg.setRawLine('Content-Type', re.test(line) ? line.replace(re, `$1"${value}"`) : `${line.replace(/[\r\n]+$/, '')}; ${name}="${value}"`);
}

function decodeBody(body: Buffer, cte: string): Buffer | undefined {
  switch (cte) {
    case '7bit':
    case '8bit':
    case 'binary':
      return body;
    case 'base64':
      return Buffer.from(body.toString('ascii').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body.toString('binary'));
    default:
      return undefined;
  }
}

function decodeQuotedPrintable(s: string): Buffer {
  const text = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

function encodeBody(data: Buffer, cte: string, nl: string): Buffer {
  if (cte === 'base64') return Buffer.from(data.toString('base64').replace(/.{76}/g, `$&${nl}`).replace(new RegExp(`${nl}$`), '') + nl);
  // quoted-printable, line by line, soft breaks at 76.
  const lines = data.toString('binary').split(/\r?\n/);
  const encoded = lines.map((line) => {
    let out = '';
    let width = 0;
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      const last = i === line.length - 1;
      let piece: string;
      if (code === 0x3d || code > 0x7e || (code < 0x20 && code !== 0x09) || (last && (code === 0x20 || code === 0x09))) piece = `=${code.toString(16).toUpperCase().padStart(2, '0')}`;
      else piece = line[i];
      if (width + piece.length > 75) {
        out += `=${nl}`;
        width = 0;
      }
      out += piece;
      width += piece.length;
    }
    return out;
  });
  return Buffer.from(encoded.join(nl), 'binary');
}

function textPart(text: string, nl: string): string {
  const ascii = ASCII.test(text);
  return [
    `Content-Type: text/plain; charset="${ascii ? 'us-ascii' : 'utf-8'}"`,
    `Content-Transfer-Encoding: ${ascii ? '7bit' : 'base64'}`,
    'Content-Disposition: inline',
    '',
    ascii ? withNewlines(text, nl).replace(new RegExp(`${nl}$`), '') : Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, `$&${nl}`),
  ].join(nl);
}

/** Header and footer as parts of an existing multipart/mixed; false if its structure is not found. */
function addParts(msg: Message, boundary: string, header: string, footer: string): boolean {
  const body = msg.body.toString('binary');
  const nl = newline(msg, body);
  const esc = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const first = new RegExp(`(^|\\r?\\n)--${esc}[ \\t]*\\r?\\n`).exec(body);
  const close = new RegExp(`(^|\\r?\\n)--${esc}--`).exec(body);
  if (!first || !close || close.index < first.index) return false;
  const firstAt = first.index + first[1].length;
  const closeAt = close.index + close[1].length;
  let out = body.slice(0, firstAt);
  if (header) out += `--${boundary}${nl}${textPart(header, nl)}${nl}`;
  out += body.slice(firstAt, closeAt);
  if (footer) out += `--${boundary}${nl}${textPart(footer, nl)}${nl}`;
  out += body.slice(closeAt);
  msg.body = Buffer.from(out, 'binary');
  return true;
}

const CONTENT_HEADERS = ['Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition', 'Content-Description', 'Content-ID', 'Content-Language'];

/** The original becomes the middle part of a new multipart/mixed. */
function wrap(msg: Message, header: string, footer: string): void {
  const nl = newline(msg);
  const inner: string[] = [];
  for (const name of CONTENT_HEADERS) {
    for (const line of msg.rawLines(name)) inner.push(line.replace(/\r?\n/g, nl).replace(/\r?\n$/, ''));
    msg.remove(name);
  }
  if (!inner.length) inner.push('Content-Type: text/plain; charset="us-ascii"');
  const boundary = `===============${randomBytes(12).toString('hex')}==`;
  msg.set('MIME-Version', '1.0');
  msg.add('Content-Type', `multipart/mixed; boundary="${boundary}"`);
  const parts: Buffer[] = [];
  if (header) parts.push(Buffer.from(`--${boundary}${nl}${textPart(header, nl)}${nl}`, 'binary'));
  parts.push(Buffer.from(`--${boundary}${nl}${inner.join(nl)}${nl}${nl}`, 'binary'), msg.body);
  const endsNl = msg.body.length === 0 || msg.body.subarray(-1)[0] === 0x0a;
  if (footer) parts.push(Buffer.from(`${endsNl ? '' : nl}--${boundary}${nl}${textPart(footer, nl)}${nl}`, 'binary'));
  parts.push(Buffer.from(`${!footer && !endsNl ? nl : ''}--${boundary}--${nl}`, 'binary'));
  msg.body = Buffer.concat(parts);
}
