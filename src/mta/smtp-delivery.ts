// Outgoing SMTP: recipients batched [mta] max_recipients per transaction, up to
// [mta] max_delivery_threads transactions in flight on as many reused connections, and every
// refusal sorted into permanent or temporary as Mailman does. The transports (our pipelining
// client for plain SMTP, nodemailer for TLS and AUTH) are in smtp-transports.ts.
import type { Config } from '../config/config.js';
import { ConnectionLost } from './smtp-client.js';
import { NodemailerTransport, PipelinedTransport, Prepared, type Transport } from './smtp-transports.js';

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
