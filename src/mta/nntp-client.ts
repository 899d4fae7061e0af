// A small NNTP client (RFC 3977, AUTHINFO from RFC 4643) for the Usenet gateway: post an
// article, and read a group's new articles for `mailman gatenews`. One command at a time.
// Everything the server sends is bounded: each line, each multi-line block, and the wait
// for every reply, so a stuck or hostile server costs a timeout, never a hung runner.
import { connect, type Socket } from 'node:net';
import { wireFormat } from './smtp-client.js';

/** RFC 3977 allows 512 octets for a reply line; a generous bound, still far from unbounded. */
const MAX_REPLY_LINE = 4096;
/** Article lines have no limit in the RFC; past this one the server is not speaking news. */
const MAX_DATA_LINE = 1 << 20;

export interface NntpOptions {
  host: string;
  port: number;
  /** How long one command (or the connection, or the greeting) may take. */
  timeoutMs: number;
  user?: string;
  password?: string;
  /** The largest multi-line block (an article) read back; larger fails the command. */
  maxBlockBytes?: number;
}

/** The server answered, but not with the reply the command needs. */
export class NntpReplyError extends Error {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly text: string,
  ) {
    super(`${command}: ${code} ${text}`);
  }
}

/** The server could not be reached, went away, said something that is not NNTP, or was too slow. */
export class NntpUnreachable extends Error {}

export interface GroupInfo {
  count: number;
  low: number;
  high: number;
}

export class NntpConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: NntpOptions,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.waiter?.();
    });
    const lost = (err?: Error) => {
      this.failure ??= new NntpUnreachable(err ? err.message : 'the news server closed the connection');
      this.waiter?.();
    };
    socket.on('error', lost);
    socket.on('close', () => lost());
  }

  /** Connects, reads the greeting, asks for reader mode and logs in when a user is given. */
  static async open(opts: NntpOptions): Promise<NntpConnection> {
    const socket = connect({ host: opts.host, port: opts.port });
    const conn = new NntpConnection(socket, opts);
    try {
      await conn.within(
        'connect',
        () =>
          new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('error', (err) => reject(new NntpUnreachable(err.message)));
          }),
      );
      await conn.expect('greeting', [200, 201]);
      // A server that is a reader only may refuse MODE READER (502 is not an error then, RFC 3977
      // 5.3): the POST that follows says whether posting is allowed.
      const mode = await conn.command('MODE READER');
      if (mode.code >= 400 && mode.code !== 502) throw new NntpReplyError('MODE READER', mode.code, mode.text);
      if (opts.user) {
        const user = await conn.command(`AUTHINFO USER ${oneLine(opts.user)}`);
        if (user.code === 381) {
          const pass = await conn.command(`AUTHINFO PASS ${oneLine(opts.password ?? '')}`);
          if (pass.code !== 281) throw new NntpReplyError('AUTHINFO PASS', pass.code, pass.text);
        } else if (user.code !== 281) throw new NntpReplyError('AUTHINFO USER', user.code, user.text);
      }
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** Posts an article (the whole message, headers and body); resolves with the server's 240 text. */
  async post(article: Buffer): Promise<string> {
    const go = await this.command('POST');
    if (go.code !== 340) throw new NntpReplyError('POST', go.code, go.text);
    this.socket.write(wireFormat(article));
    const done = await this.expect('POST article', [240]);
    return done.text;
  }

  /** The headers of the article with this Message-ID, or undefined when the server has none. */
  async head(messageId: string): Promise<Buffer | undefined> {
    const reply = await this.command(`HEAD ${oneLine(messageId)}`);
    if (reply.code === 430) return undefined;
    if (reply.code !== 221) throw new NntpReplyError('HEAD', reply.code, reply.text);
    return this.block();
  }

  /** Selects a group: its estimated count and its lowest and highest article numbers. */
  async group(name: string): Promise<GroupInfo> {
    const reply = await this.command(`GROUP ${oneLine(name)}`);
    if (reply.code !== 211) throw new NntpReplyError('GROUP', reply.code, reply.text);
    const [count, low, high] = reply.text.split(/\s+/).map(Number);
    if (![count, low, high].every((n) => Number.isSafeInteger(n) && n >= 0))
      throw new NntpUnreachable(`GROUP: a reply that is not NNTP: 211 ${reply.text.slice(0, 80)}`);
    return { count, low, high };
  }

  /** Article `number` of the selected group, or undefined when it is gone (423: expired or cancelled). */
  async article(number: number): Promise<Buffer | undefined> {
    const reply = await this.command(`ARTICLE ${number}`);
    if (reply.code === 423 || reply.code === 430) return undefined;
    if (reply.code !== 220) throw new NntpReplyError('ARTICLE', reply.code, reply.text);
    return this.block();
  }

  /** Says goodbye without waiting long for the answer, and closes. */
  async quit(): Promise<void> {
    if (!this.failure) {
      this.socket.write('QUIT\r\n');
      await this.within('QUIT', () => this.line(MAX_REPLY_LINE)).catch(() => undefined);
    }
    this.close();
  }

  close(): void {
    this.socket.destroy();
  }

  private async command(line: string): Promise<{ code: number; text: string }> {
    if (this.failure) throw this.failure;
    this.socket.write(`${line}\r\n`);
    return this.reply(line.startsWith('AUTHINFO PASS') ? 'AUTHINFO PASS' : line);
  }

  private async expect(what: string, codes: number[]): Promise<{ code: number; text: string }> {
    const reply = await this.reply(what);
    if (!codes.includes(reply.code)) throw new NntpReplyError(what, reply.code, reply.text);
    return reply;
  }

  private async reply(what: string): Promise<{ code: number; text: string }> {
    const line = (await this.within(what, () => this.line(MAX_REPLY_LINE))).toString('latin1');
    const m = /^([1-5]\d\d)(?: (.*))?$/.exec(line);
    if (!m) throw new NntpUnreachable(`${what}: a reply that is not NNTP: ${line.slice(0, 80)}`);
    return { code: Number(m[1]), text: m[2] ?? '' };
  }

  /** A multi-line block after its status line: lines up to ".", dots undoubled, CRLF kept. */
  private async block(): Promise<Buffer> {
    const max = this.opts.maxBlockBytes ?? 32 << 20;
    const parts: Buffer[] = [];
    let size = 0;
    return this.within('reading an article', async () => {
      for (;;) {
        const line = await this.line(MAX_DATA_LINE);
        if (line.length === 1 && line[0] === 0x2e) return Buffer.concat(parts);
        const data = line[0] === 0x2e ? line.subarray(1) : line;
        size += data.length + 2;
        if (size > max) throw new NntpUnreachable(`an article larger than ${max} bytes`);
        parts.push(data, CRLF);
      }
    });
  }

  /** The next line without its CRLF; fails past `max` bytes. */
  private async line(max: number): Promise<Buffer> {
    for (;;) {
      const nl = this.buffer.indexOf(CRLF);
      if (nl >= 0) {
        if (nl > max) break;
        const line = this.buffer.subarray(0, nl);
        this.buffer = this.buffer.subarray(nl + 2);
        return line;
      }
      if (this.buffer.length > max) break;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
    this.failure = new NntpUnreachable(`a line longer than ${max} bytes from the news server`);
    this.close();
    throw this.failure;
  }

  /** Runs one step under the command timeout; a step that overruns closes the connection. */
  private async within<T>(what: string, step: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.failure ??= new NntpUnreachable(`${what}: no answer from the news server in ${this.opts.timeoutMs} ms`);
        this.close();
        this.waiter?.();
        reject(this.failure);
      }, this.opts.timeoutMs);
    });
    try {
      return await Promise.race([step(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const CRLF = Buffer.from('\r\n');

/** A value for a command line: no CR or LF can smuggle in a second command. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]/g, '');
}
