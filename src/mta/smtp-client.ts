// A small SMTP client for the hot path: plain SMTP to the local MTA, where nodemailer's
// per-recipient address parsing (punycode, tokenising, per-RCPT callbacks) was the out
// runner's floor. With PIPELINING (RFC 2920) the whole envelope and DATA go in one write and
// the replies are read back in order; with CHUNKING too (RFC 3030) several whole
// transactions go in one write (sendBatch). The message is serialised for the wire
// (wire-format.ts) once and shared by every batch and connection. TLS and AUTH stay with
// nodemailer (smtp-delivery.ts).
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';

export interface Reply {
  code: number;
  text: string;
}

/** The outcome of one transaction: who was accepted, and every refusal with its reply. */
export interface TransactionOutcome {
  accepted: string[];
  refused: { recipient: string; code: number; response: string }[];
}

/** One transaction of a batch: its envelope and message. */
export interface Transaction {
  from: string;
  recipients: readonly string[];
  msg: OutgoingMessage;
}

/** The outcomes of a batch's first transactions, in order; `lost` when the rest are undecided. */
export interface BatchOutcome {
  outcomes: TransactionOutcome[];
  lost?: ConnectionLost;
}

/** The connection failed or closed before the transaction was decided. */
export class ConnectionLost extends Error {}

export { wireFormat, chunkFormat } from './wire-format.js';

/** What is sent of a message: the two forms, each made only if that command is used. */
export interface OutgoingMessage {
  readonly wire: Buffer;
  readonly chunk: Buffer;
  readonly eightBit: boolean;
}

/** The value of the decimal digit at `at`; NaN for anything else, which fails every check after. */
function digit(text: string, at: number): number {
  const c = text.charCodeAt(at) - 0x30;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** A RCPT reply that takes the recipient: 250, or 251 (not local, will be forwarded). */
const rcptTaken = (code: number) => code === 250 || code === 251;

/** An address for MAIL FROM / RCPT TO: no CR, LF or angle brackets can get through. */
const UNSAFE_IN_PATH = /[\r\n<>]/;
const pathOf = (addr: string) => `<${UNSAFE_IN_PATH.test(addr) ? addr.replace(/[\r\n<>]/g, '') : addr}>`;

/**
 * The name we greet with: [mta] smtp_ehlo_name when set, else the host's name if it is fully
 * qualified, else the address literal of our end of the connection (RFC 5321 4.1.4), which
 * is what a host without a dotted name can honestly say.
 */
export function ehloName(configured: string, localAddress: string | undefined, host = hostname()): string {
  if (configured.trim()) return configured.trim();
  if (host.includes('.')) return host;
  if (!localAddress) return 'localhost';
  const v4 = localAddress.replace(/^::ffff:(?=\d+\.)/, '');
  return v4.includes(':') ? `[IPv6:${v4}]` : `[${v4}]`;
}

export interface ClientOptions {
  host: string;
  port: number;
  connectionTimeoutMs: number;
  socketTimeoutMs: number;
  /** [mta] smtp_ehlo_name; '' for ehloName()'s choice. */
  ehloName?: string;
}

export class SmtpConnection {
  private socket!: Socket;
  private buffer = '';
  /** Lines of the reply being read (multi-line replies end with "NNN "). */
  private lines: string[] = [];
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private replies: Reply[] = [];
  /** A batch's reader: woken once `count` replies are in, or at a 421 or a failure. */
  private batchReader: { count: number; wake: () => void } | undefined;
  private failure: Error | undefined;
  pipelining = false;
  /** The server takes BODY=8BITMIME (RFC 6152). */
  eightBitMime = false;
  /** The server takes BDAT (RFC 3030): with PIPELINING a whole transaction is one write. */
  chunking = false;
  transactions = 0;
  /** The current transaction has had at least one reply. */
  answered = false;

  private constructor(private readonly opts: ClientOptions) {}

  get alive(): boolean {
    return !this.failure;
  }

  static async open(opts: ClientOptions): Promise<SmtpConnection> {
    const c = new SmtpConnection(opts);
    await c.connect();
    return c;
  }

  private async connect(): Promise<void> {
    this.socket = connect({ host: this.opts.host, port: this.opts.port });
    this.socket.setNoDelay(true);
    this.socket.setEncoding('latin1');
    const timer = setTimeout(
      () => this.fail(new ConnectionLost(`connection to ${this.opts.host}:${this.opts.port} timed out`)),
      this.opts.connectionTimeoutMs,
    );
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(new ConnectionLost(err.message)));
    this.socket.on('close', () => this.fail(new ConnectionLost('connection closed by the server')));
    this.socket.setTimeout(this.opts.socketTimeoutMs, () =>
      this.fail(new ConnectionLost('the server stopped answering')),
    );
    try {
      const greeting = await this.read();
      if (greeting.code !== 220) throw new ConnectionLost(`greeting refused: ${greeting.code} ${greeting.text}`);
      const name = ehloName(this.opts.ehloName ?? '', this.socket.localAddress);
      let ehlo = await this.command(`EHLO ${name}`);
      if (ehlo.code !== 250) {
        ehlo = await this.command(`HELO ${name}`);
        if (ehlo.code !== 250) throw new ConnectionLost(`HELO refused: ${ehlo.code} ${ehlo.text}`);
      }
      this.pipelining = /^PIPELINING\b/im.test(ehlo.text);
      this.eightBitMime = /^8BITMIME\b/im.test(ehlo.text);
      this.chunking = /^CHUNKING\b/im.test(ehlo.text);
    } catch (err) {
      this.close();
      throw err instanceof ConnectionLost ? err : new ConnectionLost((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  private onData(chunk: string): void {
    const text = this.buffer ? this.buffer + chunk : chunk;
    // A reply per recipient: walk the lines in place, one slice each, no per-line regex.
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
      const at = start;
      start = nl + 1;
      if (end - at >= 4 && text.charCodeAt(at + 3) === 0x2d /* - */) {
        this.lines.push(text.slice(at, end));
        continue;
      }
      // The code from its three digits, without a string for it: several replies per copy.
      const code = digit(text, at) * 100 + digit(text, at + 1) * 10 + digit(text, at + 2);
      let body = end - at > 4 ? text.slice(at + 4, end) : '';
      if (this.lines.length) {
        this.lines.push(text.slice(at, end));
        body = this.lines.map((l) => l.slice(4)).join('\n');
        this.lines = [];
      }
      const reply = { code: end - at >= 3 && code >= 200 && code < 1000 ? code : 0, text: body };
      const w = this.waiting.shift();
      if (w) w.resolve(reply);
      else this.replies.push(reply);
    }
    const batch = this.batchReader;
    // A 421 ends the batch early: the server is closing, and may not say more before it does.
    if (batch && (this.replies.length >= batch.count || this.replies.at(-1)?.code === 421)) {
      this.batchReader = undefined;
      batch.wake();
    }
    this.buffer = start < text.length ? text.slice(start) : '';
    // A server that never ends a line must not grow us without bound.
    if (this.buffer.length > 64 * 1024) this.fail(new ConnectionLost('reply line too long'));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiting.splice(0)) w.reject(err);
    const batch = this.batchReader;
    this.batchReader = undefined;
    batch?.wake();
    this.socket.destroy();
  }

  private read(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) {
      this.answered = true;
      return Promise.resolve(r);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) =>
      this.waiting.push({
        resolve: (reply) => {
          this.answered = true;
          resolve(reply);
        },
        reject,
      }),
    );
  }

  /**
   * The next `count` replies at once, or those that came before a 421 or before the connection
   * failed: a batch's replies are many (four a personalised copy), and one wait for all of them
   * costs a promise where a wait for each cost several.
   */
  private async takeReplies(count: number): Promise<Reply[]> {
    const has = () => this.replies.length >= count || this.replies.some((r) => r.code === 421);
    if (!has() && !this.failure) await new Promise<void>((wake) => (this.batchReader = { count, wake }));
    const taken = this.replies.splice(0, count);
    if (taken.length) this.answered = true;
    return taken;
  }

  private write(data: string | Buffer): void {
    if (this.failure) throw this.failure;
    if (typeof data === 'string') this.socket.write(data, 'latin1');
    else this.socket.write(data);
  }

  /** An 8-bit body is declared, so the server need not guess (RFC 6152); a 7-bit one says nothing. */
  private mailFrom(from: string, msg: OutgoingMessage): string {
    return `MAIL FROM:${pathOf(from)}${msg.eightBit && this.eightBitMime ? ' BODY=8BITMIME' : ''}`;
  }

  private async command(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.read();
  }

  /**
   * One transaction. A refusal of MAIL FROM or of the message refuses every recipient with
   * that reply; RCPT refusals are per recipient. Throws ConnectionLost when the outcome is
   * unknown (nothing was accepted for sure).
   */
  async send(from: string, recipients: readonly string[], msg: OutgoingMessage): Promise<TransactionOutcome> {
    if (this.pipelining && this.chunking) {
      const { outcomes, lost } = await this.sendBatch([{ from, recipients, msg }]);
      if (lost) throw lost;
      return outcomes[0];
    }
    this.transactions++;
    const mailFrom = this.mailFrom(from, msg);
    this.answered = false;
    const refused: TransactionOutcome['refused'] = [];
    const accepted: string[] = [];
    let mail: Reply;
    let data: Reply;
    if (this.pipelining) {
      let envelope = `${mailFrom}\r\n`;
      for (const r of recipients) envelope += `RCPT TO:${pathOf(r)}\r\n`;
      this.write(envelope + 'DATA\r\n');
      mail = await this.read();
      for (const r of recipients) {
        const reply = await this.read();
        if (mail.code === 250 && rcptTaken(reply.code)) accepted.push(r);
        else if (mail.code === 250)
          refused.push({ recipient: r, code: reply.code, response: `${reply.code} ${reply.text}` });
      }
      data = await this.read();
    } else {
      mail = await this.command(mailFrom);
      if (mail.code === 250) {
        for (const r of recipients) {
          const reply = await this.command(`RCPT TO:${pathOf(r)}`);
          if (rcptTaken(reply.code)) accepted.push(r);
          else refused.push({ recipient: r, code: reply.code, response: `${reply.code} ${reply.text}` });
        }
      }
      data = mail.code === 250 && accepted.length ? await this.command('DATA') : { code: 503, text: 'not sent' };
    }
    if (data.code === 354) {
      if (mail.code !== 250 || !accepted.length) {
        // Nobody to deliver to, but a server that said 354 waits for a message: end it empty.
        this.write('.\r\n');
        await this.read();
        return mail.code !== 250 ? this.refuseAll(recipients, mail, refused) : { accepted, refused };
      }
      this.write(msg.wire);
      const final = await this.read();
      if (final.code !== 250) return this.refuseAll(accepted, final, refused);
      return { accepted, refused };
    }
    // No message was taken: reset so the next transaction starts clean.
    if (mail.code === 250) await this.command('RSET');
    if (mail.code !== 250) return this.refuseAll(recipients, mail, refused);
    if (!accepted.length) return { accepted, refused };
    return this.refuseAll(accepted, data, refused);
  }

  /**
   * As many of the transactions, from the first, as go in one write. With PIPELINING and
   * CHUNKING that is all of them (RFC 2920 lets BDAT's counted bytes sit in a group), each
   * after the first behind an RSET, since whether the one before it left a transaction open
   * is not known when writing; the replies are then read back in order and each is given to
   * its own transaction. Otherwise DATA waits for its 354, so only the first goes. The
   * outcomes of the transactions decided are returned even when the connection is lost before
   * the rest (`lost`): those are undecided.
   */
  async sendBatch(txs: readonly Transaction[]): Promise<BatchOutcome> {
    const outcomes: TransactionOutcome[] = [];
    if (!(this.pipelining && this.chunking)) {
      try {
        outcomes.push(await this.send(txs[0].from, txs[0].recipients, txs[0].msg));
      } catch (err) {
        if (err instanceof ConnectionLost) return { outcomes, lost: err };
        throw err;
      }
      return { outcomes };
    }
    if (this.failure) return { outcomes, lost: this.failure };
    this.answered = false;
    // One string for every command line, the messages as they are: nothing is concatenated
    // with a message body, and cork() hands the socket the whole list in one writev.
    this.socket.cork();
    for (let i = 0; i < txs.length; i++) {
      const { from, recipients, msg } = txs[i];
      this.transactions++;
      const mailFrom = this.mailFrom(from, msg);
      let envelope = i > 0 ? `RSET\r\n${mailFrom}\r\n` : `${mailFrom}\r\n`;
      for (const r of recipients) envelope += `RCPT TO:${pathOf(r)}\r\n`;
      envelope += `BDAT ${msg.chunk.length} LAST\r\n`;
      this.socket.write(envelope, 'latin1');
      this.socket.write(msg.chunk);
    }
    this.socket.uncork();
    let expected = 0;
    for (let i = 0; i < txs.length; i++) expected += (i > 0 ? 1 : 0) + 2 + txs[i].recipients.length;
    const replies = await this.takeReplies(expected);
    let at = 0;
    for (let i = 0; i < txs.length; i++) {
      try {
        if (i > 0) {
          const reset = replies[at++];
          if (!reset) throw this.failure ?? new ConnectionLost('no reply to RSET');
          if (reset.code === 421) throw new ConnectionLost(`${reset.code} ${reset.text}`);
        }
        const { recipients } = txs[i];
        if (at + 2 + recipients.length > replies.length) {
          // Cut short: the replies up to a 421 in it say why, else the connection's failure does.
          const closing = replies.slice(at).find((r) => r.code === 421);
          throw closing
            ? new ConnectionLost(`${closing.code} ${closing.text}`)
            : (this.failure ?? new ConnectionLost('the replies stopped'));
        }
        outcomes.push(this.transactionOutcome(recipients, replies, at));
        at += 2 + recipients.length;
        // A failed last transaction may be left open: the connection's next call starts clean.
        if (i === txs.length - 1 && outcomes[i].accepted.length !== recipients.length) {
          const reset = await this.command('RSET');
          if (reset.code === 421) throw new ConnectionLost(`${reset.code} ${reset.text}`);
        }
      } catch (err) {
        if (err instanceof ConnectionLost) {
          this.fail(err);
          return { outcomes, lost: err };
        }
        throw err;
      }
    }
    return { outcomes };
  }

  /** One BDAT transaction's outcome from its replies, from `at`: MAIL, a RCPT each, BDAT. */
  private transactionOutcome(recipients: readonly string[], replies: Reply[], at: number): TransactionOutcome {
    const accepted: string[] = [];
    const refused: TransactionOutcome['refused'] = [];
    const mail = replies[at];
    for (let k = 0; k < recipients.length; k++) {
      const r = recipients[k];
      const reply = replies[at + 1 + k];
      if (mail.code === 250 && rcptTaken(reply.code)) accepted.push(r);
      else if (mail.code === 250)
        refused.push({ recipient: r, code: reply.code, response: `${reply.code} ${reply.text}` });
    }
    const final = replies[at + 1 + recipients.length];
    if (final.code === 421) throw new ConnectionLost(`${final.code} ${final.text}`);
    if (mail.code === 250 && accepted.length && final.code === 250) return { accepted, refused };
    if (mail.code !== 250) return this.refuseAll(recipients, mail, refused);
    if (!accepted.length) return { accepted, refused };
    return this.refuseAll(accepted, final, refused);
  }

  private refuseAll(
    recipients: readonly string[],
    reply: Reply,
    refused: TransactionOutcome['refused'],
  ): TransactionOutcome {
    if (reply.code === 421) throw new ConnectionLost(`${reply.code} ${reply.text}`);
    for (const r of recipients)
      refused.push({ recipient: r, code: reply.code, response: `${reply.code} ${reply.text}` });
    return { accepted: [], refused };
  }

  close(): void {
    if (this.failure) return;
    try {
      this.write('QUIT\r\n');
      this.socket.end();
    } catch {
      /* already gone */
    }
    this.failure = new ConnectionLost('closed');
  }
}
