// A real SMTP server standing in for the MTA: it records every transaction it accepts.
import { SMTPServer } from 'smtp-server';
import { performance } from 'node:perf_hooks';
import { Message } from '../../src/email/message.js';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  msg: Message;
  /** performance.now() when the transaction was accepted (bench latency). */
  at: number;
  /** The MAIL FROM BODY= parameter (RFC 6152), upper-cased; undefined when the client gave none. */
  body?: string;
}

export class SmtpSink {
  readonly received: Received[] = [];
  /** Delay before accepting DATA, to keep messages in flight (crash tests). */
  delayMs = 0;
  /** When set, every RCPT gets this reply (e.g. 451 to force retries). */
  rcptReply: { code: number; message: string } | undefined;
  /** A reply per recipient (undefined: accept), for refusals of some recipients only. */
  rcptReplyFor: ((address: string) => { code: number; message: string } | undefined) | undefined;
  /** This many of the next messages are read whole, then the connection is cut without a reply. */
  dropNext = 0;
  /** Connections cut by dropNext so far. */
  dropped = 0;
  /** Messages being received at once, now and at most so far. */
  inFlight = 0;
  maxInFlight = 0;
  private server: SMTPServer;
  port = 0;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disableReverseLookup: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 0,
      onRcptTo: (_addr, _session, cb) => {
        const reply = this.rcptReply ?? this.rcptReplyFor?.(_addr.address.toLowerCase());
        if (reply) return cb(Object.assign(new Error(reply.message), { responseCode: reply.code }));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          if (this.dropNext > 0) {
            this.inFlight--;
            // The outcome a client cannot know: the message was sent, no reply ever comes.
            this.dropNext--;
            this.dropped++;
            for (const c of (
              this.server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }
            ).connections)
              if (c.id === session.id) c._socket.destroy();
            return;
          }
          const finish = () => {
            this.inFlight--;
            this.received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              raw,
              msg: new Message(raw),
              at: performance.now(),
              body: (session.envelope.mailFrom && session.envelope.mailFrom.args
                ? (session.envelope.mailFrom.args as Record<string, string>).BODY
                : undefined
              )?.toUpperCase(),
            });
            cb();
            this.check();
          };
          if (this.delayMs) setTimeout(finish, this.delayMs);
          else finish();
        });
      },
    });
  }

  async start(): Promise<this> {
    // A client that dies mid-session (the crash tests kill it) resets its connection: not ours to fail on.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server as unknown as { server: { address(): { port: number } } }).server.address().port;
    return this;
  }

  /** Copies delivered to one address. */
  copiesFor(email: string, pred: (r: Received) => boolean = () => true): Received[] {
    return this.received.filter((r) => r.to.includes(email.toLowerCase()) && pred(r));
  }

  /** Deliveries counted per recipient. */
  get deliveries(): number {
    return this.received.reduce((n, r) => n + r.to.length, 0);
  }

  waitFor(pred: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting for ${what}; sink has ${this.received.length} messages`),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
