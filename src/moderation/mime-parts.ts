// The MIME structure of a message, as the moderation rules need it: every part in walk order
// (Mailman's msg.walk(), attached messages included), each with its headers and where its
// body lies in the message's body buffer, so a rule can read a text part decoded and the
// approved rule can splice an edited part back without re-serialising the rest.
import libmime from 'libmime';
import { Message } from '../email/message.js';

export interface MimePart {
  /** Lower-cased `type/subtype`; text/plain when the part has no Content-Type. */
  type: string;
  params: Record<string, string>;
  /** The part as a message: its headers (decoded by get/getAll) and its body. */
  part: Message;
  /** Where the part's body starts and ends in the top-level message's body. */
  start: number;
  end: number;
  children: MimePart[];
}

/** The part tree of a message; the root is the message itself. */
export function mimeTree(msg: Message): MimePart {
  return build(msg, msg.body, 0, 0);
}

/** Every part, depth first, parents before children (Mailman's walk order). */
export function walk(msg: Message): MimePart[] {
  const out: MimePart[] = [];
  const visit = (p: MimePart) => {
    out.push(p);
    p.children.forEach(visit);
  };
  visit(mimeTree(msg));
  return out;
}

const MAX_DEPTH = 20;

function build(part: Message, rootBody: Buffer, bodyOffset: number, depth: number): MimePart {
  const { type, params } = contentType(part);
  const node: MimePart = { type, params, part, start: bodyOffset, end: bodyOffset + part.body.length, children: [] };
  if (depth >= MAX_DEPTH) return node;
  if (type.startsWith('multipart/') && params.boundary) {
    for (const [s, e] of splitMultipart(part.body, params.boundary)) {
      const raw = part.body.subarray(s, e);
      const child = new Message(raw);
      node.children.push(build(child, rootBody, bodyOffset + s + offsetOf(child.body, raw), depth + 1));
    }
  } else if (type === 'message/rfc822' && transferEncoding(part) !== 'base64' && transferEncoding(part) !== 'quoted-printable') {
    const inner = new Message(part.body);
    node.children.push(build(inner, rootBody, bodyOffset + offsetOf(inner.body, part.body), depth + 1));
  }
  return node;
}

/** Where `body` starts inside `whole` (it is a view of it unless the part has no body). */
function offsetOf(body: Buffer, whole: Buffer): number {
  if (body.length === 0) return whole.length;
  return body.byteOffset - whole.byteOffset;
}

export function contentType(part: Message): { type: string; params: Record<string, string> } {
  const raw = part.get('content-type');
  if (!raw) return { type: 'text/plain', params: {} };
  const parsed = libmime.parseHeaderValue(raw);
  const type = String(parsed.value ?? '').trim().toLowerCase();
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params ?? {})) params[k.toLowerCase()] = String(v);
  return { type: /^[^/\s]+\/[^/\s]+$/.test(type) ? type : 'text/plain', params };
}

export function transferEncoding(part: Message): string {
  return (part.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
}

/** The [start, end) byte ranges of the body parts between the boundary delimiter lines. */
function splitMultipart(body: Buffer, boundary: string): [number, number][] {
  const text = body.toString('latin1');
  const delim = new RegExp(`(^|\\r?\\n)--${escapeRegex(boundary)}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const ranges: [number, number][] = [];
  let open: number | undefined;
  for (let m = delim.exec(text); m; m = delim.exec(text)) {
    if (open !== undefined) ranges.push([open, m.index]);
    if (m[2]) return ranges; // the close delimiter
    let after = m.index + m[0].length;
    if (text.startsWith('\r\n', after)) after += 2;
    else if (text[after] === '\n') after += 1;
    open = after;
  }
  if (open !== undefined && open < text.length) ranges.push([open, text.length]); // no close delimiter
  return ranges;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The body with its transfer encoding undone. */
export function decodedBytes(p: MimePart): Buffer {
  const cte = transferEncoding(p.part);
  if (cte === 'base64') return Buffer.from(p.part.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQp(p.part.body.toString('latin1'));
  return p.part.body;
}

/** The body as text: transfer encoding undone, then its charset (UTF-8 when unknown). */
export function decodedText(p: MimePart): string {
  return decodeCharset(decodedBytes(p), p.params.charset);
}

export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').trim().toLowerCase() || 'utf-8';
  try {
    return new TextDecoder(cs === 'us-ascii' ? 'utf-8' : cs).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Encodes decoded bytes back in the part's transfer encoding. */
export function encodeLike(p: MimePart, bytes: Buffer): Buffer {
  const cte = transferEncoding(p.part);
  const eol = p.part.body.includes('\r\n') ? '\r\n' : '\n';
  if (cte === 'base64') {
    const b64 = bytes.toString('base64').replace(/.{76}/g, `$&${eol}`);
    return Buffer.from(b64.endsWith(eol) || b64 === '' ? b64 : b64 + eol, 'latin1');
  }
  if (cte === 'quoted-printable') return Buffer.from(encodeQp(bytes, eol), 'latin1');
  return bytes;
}

function decodeQp(s: string): Buffer {
  const text = s.replace(/=[ \t]*\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function encodeQp(bytes: Buffer, eol: string): string {
  const lines = bytes.toString('latin1').split(/\r?\n/);
  return lines
    .map((line) => {
      let enc = '';
      for (let i = 0; i < line.length; i++) {
        const c = line.charCodeAt(i);
        const last = i === line.length - 1;
        const safe = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last);
        enc += safe ? line[i] : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      const soft: string[] = [];
      while (enc.length > 76) {
        let cut = 75;
        const eq = enc.lastIndexOf('=', cut - 1);
        if (eq >= cut - 2) cut = eq; // never split an =XX escape
        soft.push(enc.slice(0, cut) + '=');
        enc = enc.slice(cut);
      }
      soft.push(enc);
      return soft.join(eol);
    })
    .join(eol);
}

/** Replaces a part's body inside the top-level message's body. */
export function spliceBody(msg: Message, p: MimePart, newBody: Buffer): void {
  msg.body = Buffer.concat([msg.body.subarray(0, p.start), newBody, msg.body.subarray(p.end)]);
}

const cache = new WeakMap<Message, { body: Buffer; parts: MimePart[] }>();

/** walk(msg), parsed once per message body: many header-match links read the same parts. */
export function partsOf(msg: Message): MimePart[] {
  const hit = cache.get(msg);
  if (hit && hit.body === msg.body) return hit.parts;
  const parts = walk(msg);
  cache.set(msg, { body: msg.body, parts });
  return parts;
}

/** The first text/plain part in walk order (the message itself when it is one). */
export function firstTextPlain(msg: Message): MimePart | undefined {
  return partsOf(msg).find((p) => p.type === 'text/plain' && p.children.length === 0);
}
