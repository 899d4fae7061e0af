// Outgoing SMTP through nodemailer's pooled transport: one connection reused across messages
// (PIPELINING when the MTA offers it), recipients batched [mta] max_recipients per
// transaction, and every refusal sorted into permanent or temporary as Mailman does.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/config.js';

export interface DeliveryResult {
  delivered: string[];
  /** 5xx except 552: these will not succeed later. */
  permanent: { recipient: string; code: number; response: string }[];
  /** 4xx and 552: worth retrying. */
  temporary: { recipient: string; code: number; response: string }[];
}

/** The MTA could not be reached or dropped us: nothing was decided about the recipients. */
export class ConnectionFailure extends Error {}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

const isPermanent = (code: number) => code >= 500 && code !== 552;

export class SmtpDelivery {
  private readonly transport: Transporter;
  private readonly chunk: number;

  constructor(config: Config) {
    const mode = config.get('mta', 'smtp_secure_mode');
    const user = config.get('mta', 'smtp_user');
    const perConnection = config.int('mta', 'max_sessions_per_connection');
    this.chunk = Math.max(1, config.int('mta', 'max_recipients'));
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      maxMessages: perConnection > 0 ? perConnection : Infinity,
      host: config.get('mta', 'smtp_host'),
      port: config.int('mta', 'smtp_port'),
      secure: mode === 'smtps',
      requireTLS: mode === 'starttls',
      ignoreTLS: mode === 'smtp',
      auth: user ? { user, pass: config.get('mta', 'smtp_pass') } : undefined,
      connectionTimeout: 30_000,
      socketTimeout: 120_000,
    });
  }

  /** Sends one message to its recipients, batched; throws ConnectionFailure when nothing could be decided. */
  async deliver(raw: Buffer, from: string, recipients: string[]): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: [], permanent: [], temporary: [] };
    for (let i = 0; i < recipients.length; i += this.chunk) {
      const batch = recipients.slice(i, i + this.chunk);
      try {
        const info = await this.transport.sendMail({ envelope: { from, to: batch }, raw });
        const refused = new Set<string>();
        for (const e of ((info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? [])) {
          if (e.recipient) refused.add(e.recipient);
          this.sort(result, e.recipient ?? '', e);
        }
        result.delivered.push(...batch.filter((r) => !refused.has(r)));
      } catch (err) {
        const e = err as SmtpError;
        if (e.code === 'EENVELOPE' && e.rejectedErrors?.length) {
          for (const r of e.rejectedErrors) this.sort(result, r.recipient ?? '', r);
          continue;
        }
        if (e.responseCode) {
          // The MTA refused the whole transaction (MAIL FROM or DATA): same fate for the batch.
          for (const r of batch) this.sort(result, r, e);
          continue;
        }
        if (result.delivered.length || result.permanent.length || result.temporary.length) {
          // Some batches went through: the rest are simply still to do.
          for (const r of recipients.slice(i)) result.temporary.push({ recipient: r, code: 444, response: e.message });
          return result;
        }
        throw new ConnectionFailure(`cannot deliver to ${this.describe()}: ${e.message}`);
      }
    }
    return result;
  }

  /**
   * One transaction per copy (personalised delivery). Once something went through, a lost
   * connection leaves the remaining copies as temporary failures instead of failing them all.
   */
  async deliverEach(copies: { recipient: string; raw: Buffer }[], from: string): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: [], permanent: [], temporary: [] };
    for (let i = 0; i < copies.length; i++) {
      let one: DeliveryResult;
      try {
        one = await this.deliver(copies[i].raw, from, [copies[i].recipient]);
      } catch (err) {
        const decided = result.delivered.length + result.permanent.length + result.temporary.length;
        if (!(err instanceof ConnectionFailure) || decided === 0) throw err;
        for (const c of copies.slice(i)) result.temporary.push({ recipient: c.recipient, code: 444, response: err.message });
        return result;
      }
      result.delivered.push(...one.delivered);
      result.permanent.push(...one.permanent);
      result.temporary.push(...one.temporary);
    }
    return result;
  }

  private sort(result: DeliveryResult, recipient: string, e: SmtpError): void {
    const code = e.responseCode ?? 444;
    (isPermanent(code) ? result.permanent : result.temporary).push({ recipient, code, response: e.response ?? e.message });
  }

  private describe(): string {
    const o = (this.transport as unknown as { options: { host: string; port: number } }).options;
    return `${o.host}:${o.port}`;
  }

  close(): void {
    this.transport.close();
  }
}
