// Outgoing SMTP: recipients batched [mta] max_recipients per transaction, up to
// [mta] max_delivery_threads transactions in flight on as many reused connections, and every
// refusal sorted into permanent or temporary as Mailman does. Plain SMTP (the local MTA, the
// hot path) goes through our own pipelining client; SMTPS, STARTTLS and AUTH go through
// nodemailer's pooled transport, whose per-recipient cost matters less where TLS dominates.
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

export interface DeliveryResult {
  delivered: string[];
  /** 5xx except 552: these will not succeed later. */
  permanent: { recipient: string; code: number; response: string }[];
  /** 4xx and 552: worth retrying. */
  temporary: { recipient: string; code: number; response: string }[];
}

/** The MTA could not be reached or dropped us: nothing was decided about the recipients. */
export class ConnectionFailure extends Error {}

/**
 * Told the recipients of each batch of transactions (one write) once their fate is final
 * (delivered or refused for good), before that connection starts its next batch: the out
 * runner records them so a crash re-sends only the rest.
 */
export type OnDecided = (recipients: string[]) => void | Promise<void>;

const isPermanent = (code: number) => code >= 500 && code !== 552;

/** A message as both transports want it: nodemailer takes the bytes, our client the wire form. */
class Prepared implements OutgoingMessage {
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

interface Transport {
  /**
   * As many of the transactions, from the first, as one write takes (all of them where the
   * server offers CHUNKING, else one): their outcomes, or `lost` when the rest are undecided.
   */
  sendBatch(txs: { from: string; recipients: string[]; msg: Prepared }[]): Promise<BatchOutcome>;
  /** How many transactions one batch may hold. */
  readonly batch: number;
  close(): void;
}

interface Job {
  recipients: string[];
  /** The message, or how to build it when its transaction starts (a personalised copy). */
  msg: Prepared | (() => Prepared | Promise<Prepared>);
  /** This transaction's envelope sender when not the message's (VERP). */
  from?: string;
}

export const MAX_DELIVERY_THREADS = 64;
export const MAX_PIPELINED_TRANSACTIONS = 64;

export class SmtpDelivery {
  private readonly transport: Transport;
  private readonly chunk: number;
  private readonly threads: number;
  readonly where: string;

  constructor(config: Config) {
    this.chunk = Math.max(1, config.int('mta', 'max_recipients'));
    this.threads = Math.min(MAX_DELIVERY_THREADS, Math.max(1, config.int('mta', 'max_delivery_threads')));
    const host = config.get('mta', 'smtp_host');
    const port = config.int('mta', 'smtp_port');
    this.where = `${host}:${port}`;
    const perConnection = config.int('mta', 'max_sessions_per_connection');
    const plain = config.get('mta', 'smtp_secure_mode') === 'smtp' && !config.get('mta', 'smtp_user');
    const pipelined = Math.min(
      MAX_PIPELINED_TRANSACTIONS,
      Math.max(1, config.int('mta', 'max_pipelined_transactions')),
    );
    this.transport = plain
      ? new PipelinedTransport(
          {
            host,
            port,
            connectionTimeoutMs: 30_000,
            socketTimeoutMs: 120_000,
            ehloName: config.get('mta', 'smtp_ehlo_name'),
          },
          this.threads,
          perConnection,
          config.durationMs('mta', 'smtp_idle_quit'),
          pipelined,
        )
      : new NodemailerTransport(config, this.threads, perConnection);
  }

  /** Sends one message to its recipients, batched; throws ConnectionFailure when nothing could be decided. */
  deliver(raw: Buffer, from: string, recipients: string[], onDecided?: OnDecided): Promise<DeliveryResult> {
    const msg = new Prepared(raw);
    const jobs: Job[] = [];
    for (let i = 0; i < recipients.length; i += this.chunk)
      jobs.push({ recipients: recipients.slice(i, i + this.chunk), msg });
    return this.run(jobs, from, onDecided);
  }

  /**
   * One transaction per copy (personalised or VERP'd delivery), several in flight. Copies
   * that share one Buffer share its wire form too; `from` per copy is its VERP envelope. A
   * copy given as a function is built when its transaction starts, so only the copies in
   * flight are in memory; the first is built before anything is sent, so a copy that
   * cannot be built fails the message before any member has it.
   */
  async deliverEach(
    copies: { recipient: string; raw: Buffer | (() => Buffer | Promise<Buffer>); from?: string }[],
    from: string,
    onDecided?: OnDecided,
  ): Promise<DeliveryResult> {
    // A copy shared by many recipients (a footer without their data) comes back as the same
    // Buffer each time: the last few are remembered, so its wire form is made once. Not a
    // WeakMap over every copy: at thousands of copies a second its entries cost the collector
    // more than the lookups save.
    const recent = new Map<Buffer, Prepared>();
    const of = (raw: Buffer) => {
      let msg = recent.get(raw);
      if (!msg) {
        if (recent.size >= 4) recent.clear();
        recent.set(raw, (msg = new Prepared(raw)));
      }
      return msg;
    };
    const first = copies.length && typeof copies[0].raw === 'function' ? of(await copies[0].raw()) : undefined;
    // Built synchronously where it can be (no ARC seal to wait for): a promise per copy is
    // measurable at thousands of copies a second.
    const build = (raw: () => Buffer | Promise<Buffer>) => () => {
      const copy = raw();
      return copy instanceof Promise ? copy.then(of) : of(copy);
    };
    return this.run(
      copies.map((c, i) => {
        const { raw } = c;
        const msg = i === 0 && first ? first : typeof raw === 'function' ? build(raw) : of(raw);
        return { recipients: [c.recipient], msg, from: c.from };
      }),
      from,
      onDecided,
    );
  }

  /**
   * Runs the transactions, `threads` connections at a time, each taking up to the transport's
   * batch of them per write (fewer near the end, so the connections share what is left). Once
   * a connection is lost no new batch starts: if nothing at all was decided the whole message
   * stays queued (ConnectionFailure), otherwise what is left is a temporary failure for the
   * retry queue.
   */
  private async run(jobs: Job[], from: string, onDecided?: OnDecided): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: [], permanent: [], temporary: [] };
    let next = 0;
    let lost: Error | undefined;
    const undecided: string[] = [];
    let broken = false;
    const threads = Math.min(this.threads, jobs.length);
    const worker = async () => {
      while (next < jobs.length && !lost && !broken) {
        const take = Math.min(this.transport.batch, Math.max(1, Math.floor((jobs.length - next) / threads)));
        const batch = jobs.slice(next, next + take);
        next += batch.length;
        const txs: { from: string; recipients: string[]; msg: Prepared }[] = [];
        try {
          for (const job of batch) {
            let msg = typeof job.msg === 'function' ? job.msg() : job.msg;
            if (msg instanceof Promise) msg = await msg;
            txs.push({ from: job.from ?? from, recipients: job.recipients, msg });
          }
        } catch (err) {
          // Nothing more starts; what is in flight finishes and is recorded before the throw.
          broken = true;
          throw err;
        }
        // Each write's transactions are recorded in one append before the connection's next write.
        for (let sent = 0; sent < txs.length;) {
          const out = await this.transport.sendBatch(txs.slice(sent));
          sent += out.outcomes.length;
          const final: string[] = [];
          for (const o of out.outcomes) {
            for (const r of o.accepted) {
              result.delivered.push(r);
              final.push(r);
            }
            for (const f of o.refused) {
              if (isPermanent(f.code)) {
                result.permanent.push(f);
                final.push(f.recipient);
              } else result.temporary.push(f);
            }
          }
          if (onDecided && final.length) {
            const recorded = onDecided(final);
            if (recorded instanceof Promise) await recorded;
          }
          if (out.lost || !out.outcomes.length) {
            lost ??= out.lost ?? new ConnectionLost('no transaction was sent');
            for (const tx of txs.slice(sent)) for (const r of tx.recipients) undecided.push(r);
            return;
          }
        }
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: threads }, worker));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    if (lost) {
      for (const job of jobs.slice(next)) for (const r of job.recipients) undecided.push(r);
      if (!result.delivered.length && !result.permanent.length && !result.temporary.length)
        throw new ConnectionFailure(`cannot deliver to ${this.where}: ${lost.message}`);
      for (const r of undecided) result.temporary.push({ recipient: r, code: 444, response: lost.message });
    }
    return result;
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * Our pipelining client: up to `size` connections, kept open between messages while busy. The
 * bound is the runner's, across the messages it delivers at once: a batch waits for a
 * connection rather than open one that would be closed again on return (the runner's
 * concurrency times max_delivery_threads wanted more than the pool kept, and each surplus
 * connection cost a connect and an EHLO).
 */
class PipelinedTransport implements Transport {
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
class NodemailerTransport implements Transport {
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
