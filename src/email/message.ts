// A message as Mailman handles it: the original bytes, with header edits on a structure
// that re-serialises untouched header lines and the whole body byte for byte. Header values
// are read through one decoder and written through one encoder, both at the end of the file.
import { Headers } from 'mailsplit';
import libmime from 'libmime';
import { createHash, randomBytes } from 'node:crypto';
import { encodeAddressList, parseAddresses, type ParsedAddress } from './addresses.js';
import { decodeBytes } from './charset.js';
import { decodeWords } from './params.js';
import { parseMime, type MimePart } from './mime-tree.js';

export { decodeBytes };

export class MalformedMessageError extends Error {}

const HEADER_LINE = /^[!-9;-~]+:/; // a field name is printable ASCII except ':'

export class Message {
  /**
   * mailsplit's header block: lines as binary strings, exactly as they arrived. Private so that
   * nothing reads a value undecoded; every read goes through decodeHeaderValue, every write
   * through encodeHeaderValue.
   */
  private readonly headers: Headers;
  /** The blank line a headerless message starts with, which mailsplit's block drops; gone once headers are edited. */
  private bareHead: Buffer | undefined;
  private content: Buffer;
  /**
   * addresses() by header name, parsed once: a chain asks for the senders in rule after rule.
   * Emptied by every header edit, all of which go through this class.
   */
  private readonly parsedAddresses = new Map<string, readonly ParsedAddress[]>();
  /**
   * The MIME part tree, parsed on first use: rule after rule walks the same parts. Dropped by
   * every edit of the body or the headers (a new Content-Type may make it another tree).
   */
  private tree: MimePart | undefined;

  constructor(raw: Buffer) {
    const split = splitHeaderBody(raw);
    this.headers = new Headers(split.header);
    if (split.header.length === 0) this.bareHead = raw.subarray(0, raw.length - split.body.length);
    this.content = split.body;
  }

  get body(): Buffer {
    return this.content;
  }

  set body(body: Buffer) {
    this.content = body;
    this.tree = undefined;
  }

  /** The message's MIME part tree; the root is this message. */
  mime(): MimePart {
    return (this.tree ??= parseMime(this));
  }

  private edited(): void {
    this.bareHead = undefined;
    this.parsedAddresses.clear();
    this.tree = undefined;
  }

  /** Refuses what cannot be treated as a message, so it is shunted instead of mangled. */
  static parseStrict(raw: Buffer): Message {
    const { header } = splitHeaderBody(raw);
    if (raw.length === 0) throw new MalformedMessageError('the message is empty');
    if (raw.includes(0)) throw new MalformedMessageError('the message contains a NUL byte');
    const lines = header
      .toString('binary')
      .replace(/[\r\n]+$/, '')
      .split(/\r?\n/);
    lines.forEach((line, i) => {
      if (i > 0 && /^[ \t]/.test(line)) return;
      if (!HEADER_LINE.test(line))
        throw new MalformedMessageError(
          `header line ${i + 1} is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`,
        );
    });
    return new Message(raw);
  }

  /** The first value of a header, decoded (see decodeHeaderValue); undefined when absent. */
  get(name: string): string | undefined {
    return this.getAll(name)[0];
  }

  /** Every value of a header, decoded. */
  getAll(name: string): string[] {
    return this.headers.get(name).map((line) => decodeHeaderValue(rawValue(line)));
  }

  /**
   * The addresses in every occurrence of an address header. The list is parsed before RFC 2047
   * words are decoded, as RFC 2047 section 6.2 requires: a display name that decodes to
   * "boss@example.org <boss@example.org>," must stay a name and never become an address.
   */
  addresses(name: string): ParsedAddress[] {
    const key = name.toLowerCase();
    let parsed = this.parsedAddresses.get(key);
    if (!parsed) {
      parsed = this.headers
        .get(name)
        .flatMap((line) => parseAddresses(undecodedWords(line)))
        .map((a) =>
          Object.freeze({
            email: a.email,
            name: decodeWords(a.name)
              .replace(/[\r\n]+/g, ' ')
              .trim(),
          }),
        );
      this.parsedAddresses.set(key, parsed);
    }
    return parsed.slice();
  }

  /** The first value with its bytes decoded but RFC 2047 words as written (Mailman's original_subject). */
  getEncoded(name: string): string | undefined {
    const line = this.headers.get(name)[0];
    return line === undefined ? undefined : undecodedWords(line).trim();
  }

  has(name: string): boolean {
    return this.headers.hasHeader(name);
  }

  /** The header names in order (lower-cased, repeated when a header repeats). */
  names(): string[] {
    return this.headers.getList().map((l) => l.key);
  }

  /** A header's lines exactly as they arrived, folds included: for copying one unchanged. */
  rawLines(name: string): string[] {
    return this.headers.get(name);
  }

  /** Appends whole lines from rawLines(), byte for byte (no decoding, no re-encoding). */
  addRawLines(name: string, lines: string[]): void {
    this.edited();
    for (const line of lines) this.headers.addFormatted(name, line, this.headers.getList().length);
  }

  /** The header block as it would be sent. */
  headerBytes(): Buffer {
    return this.bareHead ?? this.headers.build();
  }

  /** Puts a whole line already in wire form at the top of the header block (trace headers: ARC, results). */
  prependRawLine(name: string, line: string): void {
    this.edited();
    this.headers.addFormatted(name, line, 0);
  }

  /** Appends a header at the end of the header block (Mailman's msg[name] = value). */
  add(name: string, value: string): void {
    this.edited();
    this.headers.add(name, encodeHeaderValue(name, value), this.headers.getList().length);
  }

  /** Replaces every occurrence of a header with one value, in place of the first. */
  set(name: string, value: string): void {
    this.replace(name, (at) => this.headers.add(name, encodeHeaderValue(name, value), at));
  }

  /** As set(), with a whole line already in wire form (from rawLines(), edited in ASCII). */
  setRawLine(name: string, line: string): void {
    this.replace(name, (at) => this.headers.addFormatted(name, line, at));
  }

  private replace(name: string, put: (at: number) => void): void {
    this.edited();
    const list = this.headers.getList();
    const key = name.toLowerCase();
    const at = list.findIndex((l) => l.key === key);
    this.headers.remove(name);
    put(at < 0 ? this.headers.getList().length : at);
  }

  remove(name: string): void {
    this.edited();
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
      for (const a of this.addresses(h)) out.push(a.email);
    }
    return [...new Set(out)];
  }

  toBuffer(): Buffer {
    return Buffer.concat([this.headerBytes(), this.content]);
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
  return {
    header: Buffer.concat([raw, Buffer.from(raw.at(-1) === 0x0a ? '\r\n' : '\r\n\r\n')]),
    body: Buffer.alloc(0),
  };
}

/** What follows the colon of a header line (binary string, folds kept). */
function rawValue(line: string): string {
  return line.slice(line.indexOf(':') + 1);
}

function undecodedWords(line: string): string {
  return unfold(decodeBytes(rawValue(line)));
}

/** RFC 5322 unfolding: a line break followed by white space is removed, the space kept. */
function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

/**
 * The one way a header value is read: unfolded, 8-bit bytes decoded (decodeBytes), RFC 2047
 * words decoded, trimmed. A line break a decoded word smuggled in becomes a space: a header
 * value is one line wherever it is quoted (notices, `mailman held`, a rewritten header).
 */
function decodeHeaderValue(raw: string): string {
  return decodeWords(unfold(decodeBytes(raw)))
    .replace(/[\r\n]+/g, ' ')
    .trim();
}

/** Headers whose values are address lists (or, for List-Id, a phrase and an angle-addr). */
const ADDRESS_HEADERS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'mail-followup-to',
  'mail-reply-to',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'list-id',
]);

/**
 * The one way a header value is written: values are text (what get() returns) and leave as
 * 7-bit RFC 2047. Unstructured text (Subject, X-*) is encoded word by word in UTF-8 Q, in
 * words short enough that mailsplit folds the line under 78 columns, each word split on a
 * character boundary. In address headers only display names may be encoded, so the list
 * is parsed and each name written as an atom, a quoted string, or encoded words. Line
 * breaks become spaces: a value can never start a new header.
 */
export function encodeHeaderValue(name: string, value: string): string {
  const text = value.replace(/[\r\n]+/g, ' ');
  const address = ADDRESS_HEADERS.has(name.toLowerCase());
  // Text that itself reads "=?charset?Q?...?=" (it came encoded twice) is encoded again, or
  // every reader would decode it once more than its sender meant.
  if (!address && ENCODED_WORD.test(text)) return libmime.encodeWord(text, 'Q', 52);
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  if (address) return encodeAddressList(text);
  return libmime.encodeWords(text, 'Q', 52);
}

const ENCODED_WORD = /=\?[^?\s]+\?[bq]\?[^?\s]*\?=/i;

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
