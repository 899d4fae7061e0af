// LMTP spoken line by line over a plain socket, for tests that must see every reply as the
// server sent it (counts, codes, the greeting, a close) rather than a client library's view.
import { connect, Socket } from 'node:net';

export interface Reply {
  code: number;
  /** Every line of the reply, code included. */
  lines: string[];
  text: string;
}

export class RawLmtp {
  private buffer = '';
  private replies: Reply[] = [];
  private pending: string[] = [];
  private waiting: (() => void) | undefined;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  greeting!: Reply;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      for (let nl = this.buffer.indexOf('\r\n'); nl >= 0; nl = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 2);
        this.pending.push(line);
        if (/^\d{3}( |$)/.test(line)) {
          this.replies.push({ code: Number(line.slice(0, 3)), lines: this.pending, text: this.pending.join('\n') });
          this.pending = [];
        }
      }
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.waiting?.();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawLmtp> {
    const socket = connect(port, '127.0.0.1');
    const client = new RawLmtp(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    client.greeting = await client.next();
    return client;
  }

  /** The next reply; rejects if the connection closes first. */
  async next(): Promise<Reply> {
    while (!this.replies.length) {
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error('connection closed');
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
    return this.replies.shift()!;
  }

  async command(line: string): Promise<Reply> {
    this.socket.write(line + '\r\n');
    return this.next();
  }

  /** DATA, the dot-stuffed message, then `replies` replies (LMTP: one per accepted RCPT). */
  async data(raw: Buffer, replies: number): Promise<{ go: Reply; replies: Reply[] }> {
    const go = await this.command('DATA');
    if (go.code !== 354) return { go, replies: [] };
    const stuffed = Buffer.from(raw.toString('latin1').replace(/(^|\r\n)\./g, '$1..'), 'latin1');
    this.socket.write(stuffed);
    this.socket.write(stuffed.subarray(-2).toString() === '\r\n' ? '.\r\n' : '\r\n.\r\n');
    const out: Reply[] = [];
    for (let i = 0; i < replies; i++) out.push(await this.next());
    return { go, replies: out };
  }

  close(): void {
    this.socket.destroy();
  }
}
