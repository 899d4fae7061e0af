// The two ways SmtpDelivery's batches reach the MTA: our pipelining client over plain SMTP
// (the local MTA, the hot path), and nodemailer's pooled transport for SMTPS, STARTTLS and
// AUTH, whose per-recipient cost matters less where TLS dominates.
import nodemailer, { type Transporter } from 'nodemailer';
import { hostname } from 'node:os';
import { isAscii } from 'node:buffer';
import type { Config } from '../config/config.js';
import {
  SmtpConnection,
  ConnectionLost,
  wireFormat,
  chunkFormat,
  type OutgoingMessage,
  type TransactionOutcome,
  type BatchOutcome,
  type ClientOptions,
} from './smtp-client.js';

/** A message as both transports want it: nodemailer takes the bytes, our client the wire form. */
export class Prepared implements OutgoingMessage {
  private wireForm: Buffer | undefined;
  private chunkForm: Buffer | undefined;
  private eight: boolean | undefined;
  constructor(readonly raw: Buffer) {}
  /** Whether any byte has its high bit set: such a body goes with BODY=8BITMIME. */
  get eightBit(): boolean {
    return (this.eight ??= !isAscii(this.raw));
  }
  /** Serialised for DATA once, however many batches and connections carry it. */
  get wire(): Buffer {
    return (this.wireForm ??= wireFormat(this.raw));
  }
  /** The same for BDAT, when the server offers CHUNKING. */
  get chunk(): Buffer {
    return (this.chunkForm ??= chunkFormat(this.raw));
  }
}

export interface Transport {
  /**
   * As many of the transactions, from the first, as one write takes (all of them where the
   * server offers CHUNKING, else one): their outcomes, or `lost` when the rest are undecided.
   */
  sendBatch(txs: { from: string; recipients: string[]; msg: Prepared }[]): Promise<BatchOutcome>;
  /** How many transactions one batch may hold. */
  readonly batch: number;
  close(): void;
}

/**
 * Our pipelining client: up to `size` connections, kept open between messages while busy. The
 * bound is the runner's, across the messages it delivers at once: a batch waits for a
 * connection rather than open one that would be closed again on return (the runner's
 * concurrency times max_delivery_threads wanted more than the pool kept, and each surplus
 * connection cost a connect and an EHLO).
 */
export class PipelinedTransport implements Transport {
  private readonly idle: SmtpConnection[] = [];
  private readonly idleTimers = new Map<SmtpConnection, NodeJS.Timeout>();
  private closed = false;
  /** Connections open or opening, idle ones included. */
  private count = 0;
  /** Batches waiting for a connection to come back or to go. */
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly opts: ClientOptions,
    private readonly size: number,
    /** Transactions per connection before it is renewed; 0: no limit. */
    private readonly perConnection: number,
    /**
     * A kept connection unused this long is closed with QUIT, so the MTA sees a clean goodbye
     * rather than its own idle timeout (Postfix's smtpd_timeout logs those as lost connections).
     */
    private readonly idleQuitMs: number,
    /** [mta] max_pipelined_transactions: used only where the server offers CHUNKING too. */
    readonly batch: number,
  ) {}

  async sendBatch(txs: { from: string; recipients: string[]; msg: Prepared }[]): Promise<BatchOutcome> {
    for (let attempt = 0; ; attempt++) {
      let conn = await this.acquire();
      const reused = !!conn;
      try {
        conn ??= await SmtpConnection.open(this.opts);
      } catch (err) {
        this.gone();
        if (err instanceof ConnectionLost) return { outcomes: [], lost: err };
        throw err;
      }
      let out: BatchOutcome;
      try {
        out = await conn.sendBatch(txs);
      } catch (err) {
        this.drop(conn);
        throw err;
      }
      if (!out.lost) {
        this.release(conn);
        return out;
      }
      this.drop(conn);
      // A kept connection the server had closed while idle answers nothing at all: the
      // batch never started, so one more try on a fresh connection is safe.
      if (reused && !out.outcomes.length && !conn.answered && attempt === 0) continue;
      return out;
    }
  }

  /** A kept connection; else undefined with room counted for a new one; else waits for either. */
  private async acquire(): Promise<SmtpConnection | undefined> {
    for (;;) {
      let conn = this.takeIdle();
      while (conn && !conn.alive) {
        this.gone();
        conn = this.takeIdle();
      }
      if (conn) return conn;
      if (this.count < this.size) {
        this.count++;
        return undefined;
      }
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  /** A connection closed or never opened: its place goes to a waiting batch. */
  private gone(): void {
    this.count--;
    this.waiters.shift()?.();
  }

  private drop(conn: SmtpConnection): void {
    conn.close();
    this.gone();
  }

  private release(conn: SmtpConnection): void {
    if (this.closed || !conn.alive || (this.perConnection > 0 && conn.transactions >= this.perConnection)) {
      this.drop(conn);
      return;
    }
    this.idle.push(conn);
    const waiter = this.waiters.shift();
    // A batch waiting takes it at once (it takes an idle connection before anything else):
    // no idle timer to set and clear per batch.
    if (waiter) return waiter();
    const timer = setTimeout(() => {
      this.idleTimers.delete(conn);
      const at = this.idle.indexOf(conn);
      if (at < 0) return;
      this.idle.splice(at, 1);
      this.drop(conn);
    }, this.idleQuitMs);
    timer.unref();
    this.idleTimers.set(conn, timer);
  }

  private takeIdle(): SmtpConnection | undefined {
    const conn = this.idle.pop();
    if (conn) {
      clearTimeout(this.idleTimers.get(conn));
      this.idleTimers.delete(conn);
    }
    return conn;
  }

  close(): void {
    this.closed = true;
    for (const t of this.idleTimers.values()) clearTimeout(t);
    this.idleTimers.clear();
    for (const c of this.idle.splice(0)) this.drop(c);
  }
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

/** nodemailer's pooled transport, for TLS and AUTH. */
export class NodemailerTransport implements Transport {
  private readonly transport: Transporter;

  constructor(config: Config, size: number, perConnection: number) {
    const mode = config.get('mta', 'smtp_secure_mode');
    const user = config.get('mta', 'smtp_user');
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: size,
      maxMessages: perConnection > 0 ? perConnection : Infinity,
      host: config.get('mta', 'smtp_host'),
      port: config.int('mta', 'smtp_port'),
      secure: mode === 'smtps',
      requireTLS: mode === 'starttls',
      ignoreTLS: mode === 'smtp',
      auth: user ? { user, pass: config.get('mta', 'smtp_pass') } : undefined,
      connectionTimeout: 30_000,
      socketTimeout: 120_000,
      // Unset, nodemailer picks the host name or [127.0.0.1] itself.
      name: config.get('mta', 'smtp_ehlo_name').trim() || (hostname().includes('.') ? hostname() : undefined),
      tls: {
        rejectUnauthorized: config.bool('mta', 'smtp_verify_cert'),
        ...(config.bool('mta', 'smtp_verify_hostname') ? {} : { checkServerIdentity: () => undefined }),
      },
    });
  }

  /** nodemailer sends one transaction at a time. */
  readonly batch = 1;

  async sendBatch([tx]: { from: string; recipients: string[]; msg: Prepared }[]): Promise<BatchOutcome> {
    try {
      return { outcomes: [await this.send(tx.from, tx.recipients, tx.msg)] };
    } catch (err) {
      if (err instanceof ConnectionLost) return { outcomes: [], lost: err };
      throw err;
    }
  }

  private async send(from: string, recipients: string[], msg: Prepared): Promise<TransactionOutcome> {
    const refusal = (recipient: string, e: SmtpError) => ({
      recipient,
      code: e.responseCode ?? 444,
      response: e.response ?? e.message,
    });
    try {
      const info = await this.transport.sendMail({ envelope: { from, to: recipients }, raw: msg.raw });
      const rejected = (info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? [];
      const refusedSet = new Set(rejected.map((e) => e.recipient));
      return {
        accepted: recipients.filter((r) => !refusedSet.has(r)),
        refused: rejected.map((e) => refusal(e.recipient ?? '', e)),
      };
    } catch (err) {
      const e = err as SmtpError;
      if (e.code === 'EENVELOPE' && e.rejectedErrors?.length)
        return { accepted: [], refused: e.rejectedErrors.map((r) => refusal(r.recipient ?? '', r)) };
      // The MTA refused the whole transaction (MAIL FROM or DATA): same fate for the batch.
      if (e.responseCode) return { accepted: [], refused: recipients.map((r) => refusal(r, e)) };
      throw new ConnectionLost(e.message);
    }
  }

  close(): void {
    this.transport.close();
  }
}
