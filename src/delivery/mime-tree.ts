// A message as a tree of MIME parts, for the handlers that drop or replace parts (content
// filtering). Parts that are not changed are written back byte for byte; a multipart whose
// children changed is rebuilt from them with its own boundary, preamble and epilogue.
import { Message } from '../email/message.js';

export interface ContentType {
  type: string;
  params: Record<string, string>;
}

/** `type/subtype; name=value; ...`, lower-cased type and parameter names, quotes removed. */
export function parseContentType(value: string | undefined, fallback = 'text/plain'): ContentType {
  if (!value) return { type: fallback, params: {} };
  const [head, ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim().replace(/^"(.*)"$/s, '$1').replace(/\\(.)/g, '$1');
    // RFC 2231 (filename*=utf-8''x.pdf): the value without its charset and language.
    if (name.endsWith('*')) {
      name = name.slice(0, -1);
      const m = /^[^']*'[^']*'(.*)$/.exec(v);
      if (m) {
        try {
          v = decodeURIComponent(m[1]);
        } catch {
          v = m[1];
        }
      }
    }
    params[name] = v;
  }
  const type = head.trim().toLowerCase();
  return { type: /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : fallback, params };
}

/** Splits at semicolons outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) {
      cur += c + (value[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export class MimePart {
  /** Multipart children, or the one message inside a message/rfc822 part. */
  children: MimePart[] | undefined;
  private preamble = '';
  private epilogue = '';
  private nl = '\r\n';
  private changed = false;

  constructor(
    /** Headers and, for a leaf, the body; a container's body is rebuilt from its children when changed. */
    readonly msg: Message,
    private readonly parentType?: string,
    /** The part's bytes as received, written back while the part is unchanged. */
    private readonly raw?: Buffer,
  ) {
    const ct = this.contentType;
    if (ct.type.startsWith('multipart/') && ct.params.boundary) this.splitMultipart(ct.params.boundary);
    else if (ct.type === 'message/rfc822' && msg.body.length) this.children = [new MimePart(new Message(msg.body), undefined, msg.body)];
  }

  static parse(raw: Buffer): MimePart {
    return new MimePart(new Message(raw));
  }

  get contentType(): ContentType {
    // Inside multipart/digest a part without Content-Type is a message.
    return parseContentType(this.msg.get('content-type'), this.parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain');
  }

  get type(): string {
    return this.contentType.type;
  }

  get mainType(): string {
    return this.type.split('/')[0];
  }

  get isContainer(): boolean {
    return this.children !== undefined;
  }

  /** The attachment's file name: Content-Disposition filename, else Content-Type name. */
  get filename(): string {
    const disposition = parseContentType(`x/x; ${splitParams(this.msg.get('content-disposition') ?? '').slice(1).join(';')}`);
    return disposition.params.filename ?? this.contentType.params.name ?? '';
  }

  /** The file extension, lower case, without the dot; '' when there is none. */
  get extension(): string {
    const name = this.filename.trim();
    const dot = name.lastIndexOf('.');
    return dot > 0 && dot < name.length - 1 && !name.slice(dot).includes('/') ? name.slice(dot + 1).toLowerCase() : '';
  }

  /** This part and every part below it, depth first. */
  *walk(): Generator<MimePart> {
    yield this;
    for (const c of this.children ?? []) yield* c.walk();
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
   * This part takes the content of one of its parts (Mailman's reset_payload): its
   * children or body, and its Content-* headers.
   */
  replaceWith(sub: MimePart): void {
    for (const h of ['content-type', 'content-transfer-encoding', 'content-disposition', 'content-description']) this.msg.remove(h);
    // Copied as the lines are: a filename or description is never decoded and re-encoded.
    const type = sub.msg.rawLines('content-type');
    if (type.length) this.msg.addRawLines('Content-Type', type);
    else this.msg.add('Content-Type', 'text/plain');
    for (const h of ['Content-Transfer-Encoding', 'Content-Disposition', 'Content-Description']) this.msg.addRawLines(h, sub.msg.rawLines(h));
    this.children = sub.children;
    this.preamble = sub.preamble;
    this.epilogue = sub.epilogue;
    this.nl = sub.nl;
    this.msg.body = sub.isContainer ? sub.bodyBuffer() : sub.msg.body;
    this.changed = true;
  }

  private splitMultipart(boundary: string): void {
    const s = this.msg.body.toString('binary');
    const esc = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(^|\\r?\\n)--${esc}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
    const delims: { start: number; tokenEnd: number; end: number; close: boolean }[] = [];
    this.nl = s.includes('\r\n') ? '\r\n' : '\n';
    for (let m = re.exec(s); m; m = re.exec(s)) {
      const tokenEnd = m.index + m[0].length;
      let end = tokenEnd;
      if (s.startsWith('\r\n', end)) end += 2;
      else if (s[end] === '\n') end += 1;
      delims.push({ start: m.index, tokenEnd, end, close: !!m[2] });
      if (m[2]) break;
      re.lastIndex = end;
    }
    // Not a well-formed multipart: left as one opaque leaf.
    if (delims.length === 0 || delims[0].close) return;
    this.preamble = s.slice(0, delims[0].start);
    const children: MimePart[] = [];
    for (let i = 0; i < delims.length; i++) {
      if (delims[i].close) break;
      const stop = i + 1 < delims.length ? delims[i + 1].start : s.length;
      const bytes = Buffer.from(s.slice(delims[i].end, stop), 'binary');
      children.push(new MimePart(new Message(bytes), this.type, bytes));
    }
    const last = delims[delims.length - 1];
    // Everything after the closing delimiter, its line end included; a missing close gets one.
    this.epilogue = last.close ? s.slice(last.tokenEnd) : this.nl;
    this.children = children;
  }

  private bodyBuffer(): Buffer {
    if (!this.children) return this.msg.body;
    if (this.type === 'message/rfc822') return this.children[0]?.toBuffer() ?? Buffer.alloc(0);
    const b = this.contentType.params.boundary;
    const nl = this.nl;
    const chunks: Buffer[] = [];
    chunks.push(Buffer.from(this.preamble ? `${this.preamble}${nl}--${b}${nl}` : `--${b}${nl}`, 'binary'));
    this.children.forEach((c, i) => {
      if (i > 0) chunks.push(Buffer.from(`${nl}--${b}${nl}`, 'binary'));
      chunks.push(c.toBuffer());
    });
    chunks.push(Buffer.from(`${nl}--${b}--${this.epilogue}`, 'binary'));
    return Buffer.concat(chunks);
  }

  toBuffer(): Buffer {
    if (this.raw && !this.dirty) return this.raw;
    if (this.dirty) this.msg.body = this.bodyBuffer();
    return this.msg.toBuffer();
  }
}
