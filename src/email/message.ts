// A message as Mailman handles it: the original bytes, with header edits on a structure
// that re-serialises untouched header lines and the whole body byte for byte.
import { Headers } from 'mailsplit';
import libmime from 'libmime';
import { createHash, randomBytes } from 'node:crypto';
import { parseAddresses } from './addresses.js';

export class MalformedMessageError extends Error {}

const HEADER_LINE = /^[!-9;-~]+:/; // a field name is printable ASCII except ':'

export class Message {
  readonly headers: Headers;
  body: Buffer;

  constructor(raw: Buffer) {
    const split = splitHeaderBody(raw);
    this.headers = new Headers(split.header);
    this.body = split.body;
  }

  /** Refuses what cannot be treated as a message, so it is shunted instead of mangled. */
  static parseStrict(raw: Buffer): Message {
    const { header } = splitHeaderBody(raw);
    if (raw.length === 0) throw new MalformedMessageError('the message is empty');
    if (raw.includes(0)) throw new MalformedMessageError('the message contains a NUL byte');
    const lines = header.toString('binary').replace(/[\r\n]+$/, '').split(/\r?\n/);
    lines.forEach((line, i) => {
      if (i > 0 && /^[ \t]/.test(line)) return;
      if (!HEADER_LINE.test(line)) throw new MalformedMessageError(`header line ${i + 1} is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`);
    });
    return new Message(raw);
  }

  /** The first value of a header, RFC 2047-decoded and unfolded; undefined when absent. */
  get(name: string): string | undefined {
    if (!this.headers.hasHeader(name)) return undefined;
    return this.headers.getFirst(name);
  }

  /** Every value of a header, decoded. */
  getAll(name: string): string[] {
    return this.headers.get(name).map((line) => decodeHeaderValue(line));
  }

  has(name: string): boolean {
    return this.headers.hasHeader(name);
  }

  /** Appends a header at the end of the header block (Mailman's msg[name] = value). */
  add(name: string, value: string): void {
    this.headers.add(name, encodeHeaderValue(value), this.headers.getList().length);
  }

  /** Replaces every occurrence of a header with one value, in place of the first. */
  set(name: string, value: string): void {
    const list = this.headers.getList();
    const key = name.toLowerCase();
    const at = list.findIndex((l) => l.key === key);
    this.headers.remove(name);
    this.headers.add(name, encodeHeaderValue(value), at < 0 ? list.length : at);
  }

  remove(name: string): void {
    this.headers.remove(name);
  }

  get messageId(): string | undefined {
    return this.get('message-id')?.trim();
  }

  /** Sender candidates in the order of [mailman] sender_headers ("from_" is the envelope). */
  senders(senderHeaders: readonly string[], envelopeSender?: string): string[] {
    const out: string[] = [];
    for (const h of senderHeaders) {
      if (h === 'from_') {
        const env = envelopeSender ?? this.get('x-mailfrom');
        if (env) for (const a of parseAddresses(env)) out.push(a.email);
        continue;
      }
      for (const v of this.getAll(h)) for (const a of parseAddresses(v)) out.push(a.email);
    }
    return [...new Set(out)];
  }

  toBuffer(): Buffer {
    return Buffer.concat([this.headers.build(), this.body]);
  }
}

function splitHeaderBody(raw: Buffer): { header: Buffer; body: Buffer } {
  // A message that starts with a blank line has no headers at all.
  if (raw[0] === 0x0a) return { header: Buffer.alloc(0), body: raw.subarray(1) };
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { header: Buffer.alloc(0), body: raw.subarray(2) };
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  // The blank line stays with the header block: an unedited block is re-emitted as it came.
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { header: raw.subarray(0, crlf + 4), body: raw.subarray(crlf + 4) };
  if (lf >= 0) return { header: raw.subarray(0, lf + 2), body: raw.subarray(lf + 2) };
  // Headers only: give the block its terminating blank line.
  return { header: Buffer.concat([raw, Buffer.from(raw.at(-1) === 0x0a ? '\r\n' : '\r\n\r\n')]), body: Buffer.alloc(0) };
}

function decodeHeaderValue(line: string): string {
  const colon = line.indexOf(':');
  const value = line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ');
  const bin = Buffer.from(value, 'binary').toString('utf8');
  try {
    return libmime.decodeWords(bin).trim();
  } catch {
    return bin.trim();
  }
}

/** Header values are kept as binary strings by mailsplit: non-ASCII goes out as RFC 2047. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  return libmime.encodeWords(value, 'Q', 52);
}

/** Mailman's Message-ID-Hash: base32 of the sha1 of the id without angle brackets. */
export function messageIdHash(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return base32(createHash('sha1').update(bare, 'utf8').digest());
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function makeMessageId(domain: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(8).toString('hex')}@${domain}>`;
}
