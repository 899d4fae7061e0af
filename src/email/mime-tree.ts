// A message as a tree of MIME parts, cut from its bytes: each part keeps the bytes it came
// as, so a part nobody edits is written back byte for byte, and a multipart whose children
// change is rebuilt from its own preamble, delimiter lines and epilogue. Hostile structure is
// bounded: past MAX_DEPTH levels, MAX_PARTS parts or MAX_PART_HEADER bytes of part headers,
// the rest stays one opaque part, as a mail reader shows what it cannot take apart.
import { Message } from './message.js';
import { parseContentType, parseStructured, type StructuredValue } from './params.js';
import { decodeTransfer, encodeTransfer, normalizeEncoding } from './transfer-encoding.js';
import { decodeText } from './charset.js';

export const MAX_DEPTH = 20;
export const MAX_PARTS = 1000;
export const MAX_PART_HEADER = 64 * 1024;

/** The Content-* headers that say what a part is; replaceWith moves exactly these. */
const CONTENT_HEADERS = ['Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition', 'Content-Description'];

/** Counts the parts of one parse, so the bound holds for the whole tree. */
interface Budget {
  parts: number;
}

export class MimePart {
  /** Multipart children, or the one message inside a message/rfc822 part; undefined for a leaf. */
  children: MimePart[] | undefined;
  /** The body up to and including the first delimiter line (the preamble), as received. */
  private head = '';
  /** Per child, the delimiter bytes before it as received; the first child's are in `head`. */
  private leads = new WeakMap<MimePart, string>();
  /** After the last child: its close delimiter and epilogue; undefined when it had none. */
  private tail: string | undefined;
  private nl = '\r\n';
  private changed = false;

  private constructor(
    /** The part's headers and body: get/getAll read its headers decoded. */
    readonly msg: Message,
    /** multipart/digest makes message/rfc822 its children's default type. */
    private readonly parentType: string | undefined,
    /** The part's bytes as received, written back while nothing at or below it changes. */
    private readonly raw: Buffer | undefined,
    depth: number,
    budget: Budget,
  ) {
    budget.parts++;
    // The message's own header block is bounded where it arrives (LMTP); a part's is bounded here.
    const fatHeader = depth > 0 && this.msg.headerBytes().length > MAX_PART_HEADER;
    if (depth >= MAX_DEPTH || budget.parts >= MAX_PARTS || fatHeader) return;
    const { type, params } = this.contentType;
    if (type.startsWith('multipart/') && params.boundary) this.split(params.boundary, depth, budget);
    else if (type === 'message/rfc822' && msg.body.length && !isEncoded(this.transferEncoding)) {
      this.children = [new MimePart(new Message(msg.body), undefined, msg.body, depth + 1, budget)];
    }
  }

  /** The tree of a message; the root is the message itself (see Message.mime()). */
  static root(msg: Message): MimePart {
    return new MimePart(msg, undefined, undefined, 0, { parts: 0 });
  }

  /** A part from its bytes (headers, blank line, body), to insert with setChildren. */
  static fromBytes(raw: Buffer): MimePart {
    return new MimePart(new Message(raw), undefined, raw, 0, { parts: 0 });
  }

  get contentType(): { type: string; params: Record<string, string> } {
    const fallback = this.parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    const { value, params } = parseContentType(this.msg.getEncoded('content-type'), fallback);
    return { type: value, params };
  }

  /** Lower-cased `type/subtype`. */
  get type(): string {
    return this.contentType.type;
  }

  get mainType(): string {
    return this.type.split('/')[0];
  }

  get params(): Record<string, string> {
    return this.contentType.params;
  }

  get disposition(): StructuredValue {
    return parseStructured(this.msg.getEncoded('content-disposition'));
  }

  /** Lower-cased Content-Transfer-Encoding; 7bit when absent. */
  get transferEncoding(): string {
    return normalizeEncoding(this.msg.get('content-transfer-encoding'));
  }

  get isContainer(): boolean {
    return this.children !== undefined;
  }

  /** The attachment's file name: Content-Disposition filename, else Content-Type name. */
  get filename(): string {
    return this.disposition.params.filename ?? this.params.name ?? '';
  }

  /** The file extension, lower case, without the dot; '' when there is none. */
  get extension(): string {
    const name = this.filename.trim();
    const dot = name.lastIndexOf('.');
    return dot > 0 && dot < name.length - 1 && !name.slice(dot).includes('/') ? name.slice(dot + 1).toLowerCase() : '';
  }

  /** This part and every part below it, parents before children (Mailman's msg.walk()). */
  *walk(): Generator<MimePart> {
    yield this;
    for (const c of this.children ?? []) yield* c.walk();
  }

  /** The body with its transfer encoding undone (a container's is its raw body). */
  decodedBytes(): Buffer {
    return decodeTransfer(this.msg.body, this.transferEncoding);
  }

  /** The body as text: transfer encoding undone, then its charset. */
  decodedText(): string {
    return decodeText(this.decodedBytes(), this.params.charset);
  }

  /** Replaces a leaf's content, encoded in the part's own transfer encoding and line ends. */
  setDecodedBytes(bytes: Buffer): void {
    const nl = this.msg.body.includes('\r\n') || !this.msg.body.includes('\n') ? '\r\n' : '\n';
    this.msg.body = encodeTransfer(bytes, this.transferEncoding, nl);
    this.changed = true;
  }

  setChildren(children: MimePart[]): void {
    this.children = children;
    this.changed = true;
  }

  /** Whether anything at or below this part was changed. */
  get dirty(): boolean {
    return this.changed || (this.children ?? []).some((c) => c.dirty);
  }

  /**
   * This part takes the content of one of its parts (Mailman's reset_payload): its children
   * or body, and its Content-* headers, copied as the lines are so a filename is never
   * decoded and re-encoded.
   */
  replaceWith(sub: MimePart): void {
    for (const h of CONTENT_HEADERS) this.msg.remove(h);
    const type = sub.msg.rawLines('content-type');
    if (type.length) this.msg.addRawLines('Content-Type', type);
    else this.msg.add('Content-Type', 'text/plain');
    for (const h of CONTENT_HEADERS.slice(1)) this.msg.addRawLines(h, sub.msg.rawLines(h));
    this.children = sub.children;
    this.head = sub.head;
    this.leads = sub.leads;
    this.tail = sub.tail;
    this.nl = sub.nl;
    this.msg.body = sub.isContainer ? sub.bodyBuffer() : sub.msg.body;
    this.changed = true;
  }

  /** Writes the changes below this part into its message's body (for the root: the message's). */
  commit(): void {
    if (this.dirty) this.msg.body = this.bodyBuffer();
  }

  /** The part as it would be sent: its bytes as received while it is unchanged. */
  toBuffer(): Buffer {
    if (this.raw && !this.dirty) return this.raw;
    this.commit();
    return this.msg.toBuffer();
  }

  private split(boundary: string, depth: number, budget: Budget): void {
    const s = this.msg.body.toString('latin1');
    const esc = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(^|\\r?\\n)--${esc}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
    const delims: { start: number; end: number; close: boolean }[] = [];
    let capped = false;
    this.nl = s.includes('\r\n') ? '\r\n' : '\n';
    for (let m = re.exec(s); m; m = re.exec(s)) {
      let end = m.index + m[0].length;
      if (s.startsWith('\r\n', end)) end += 2;
      else if (s[end] === '\n') end += 1;
      delims.push({ start: m.index, end, close: !!m[2] });
      if (m[2]) break;
      if (delims.length > MAX_PARTS) {
        capped = true;
        break;
      }
      re.lastIndex = end;
    }
    // Not a well-formed multipart: left as one opaque leaf.
    if (delims.length === 0 || delims[0].close) return;
    this.head = s.slice(0, delims[0].end);
    const children: MimePart[] = [];
    for (let i = 0; i < delims.length && !delims[i].close; i++) {
      const next = delims[i + 1];
      // Without a close delimiter, or past the part budget, the last part runs to the end.
      const rest = !next || budget.parts >= MAX_PARTS - 1;
      const stop = rest ? s.length : next.start;
      const raw = Buffer.from(s.slice(delims[i].end, stop), 'latin1');
      const child = new MimePart(new Message(raw), this.type, raw, depth + 1, budget);
      if (i > 0) this.leads.set(child, s.slice(delims[i].start, delims[i].end));
      children.push(child);
      if (rest) {
        // Only a truly unclosed multipart gets a close delimiter when it is rebuilt.
        this.tail = next || capped ? '' : undefined;
        break;
      }
      if (next.close) this.tail = s.slice(next.start);
    }
    this.children = children;
  }

  private bodyBuffer(): Buffer {
    if (!this.children) return this.msg.body;
    if (this.type === 'message/rfc822') return this.children[0]?.toBuffer() ?? Buffer.alloc(0);
    const b = this.params.boundary;
    const nl = this.nl;
    const delimiter = `${nl}--${b}${nl}`;
    const chunks: Buffer[] = [Buffer.from(this.head || `--${b}${nl}`, 'latin1')];
    this.children.forEach((c, i) => {
      if (i > 0) chunks.push(Buffer.from(this.leads.get(c) ?? delimiter, 'latin1'));
      chunks.push(c.toBuffer());
    });
    chunks.push(Buffer.from(this.tail ?? `${nl}--${b}--${nl}`, 'latin1'));
    return Buffer.concat(chunks);
  }
}

function isEncoded(cte: string): boolean {
  return cte === 'base64' || cte === 'quoted-printable';
}

/** Message.mime()'s parser. */
export function parseMime(msg: Message): MimePart {
  return MimePart.root(msg);
}

/** The first text/plain leaf in walk order (the message itself when it is one). */
export function firstTextPlain(root: MimePart): MimePart | undefined {
  for (const p of root.walk()) if (p.type === 'text/plain' && !p.isContainer) return p;
  return undefined;
}
