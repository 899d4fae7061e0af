// Speaks LMTP to the server the way an MTA does, over nodemailer's SMTP connection in LMTP
// mode; returns the per-recipient replies.
import SMTPConnection from 'nodemailer/lib/smtp-connection';

export interface LmtpResult {
  accepted: string[];
  rejected: string[];
  /** Raw replies for refused recipients, e.g. "550 5.1.1 ...". */
  responses: Record<string, string>;
}

/** One LMTP connection reused for many messages, as an MTA's connection cache does. */
export class LmtpSession {
  private constructor(private readonly conn: SMTPConnection) {}

  static async open(port: number): Promise<LmtpSession> {
    const conn = new SMTPConnection({
      host: '127.0.0.1',
      port,
      lmtp: true,
      ignoreTLS: true,
      connectionTimeout: 10_000,
    });
    await new Promise<void>((resolve, reject) => {
      conn.once('error', reject);
      conn.connect(() => resolve());
    });
    return new LmtpSession(conn);
  }

  send(from: string, to: string[], raw: Buffer | string): Promise<LmtpResult> {
    return new Promise<LmtpResult>((resolve, reject) => {
      this.conn.send({ from, to }, typeof raw === 'string' ? Buffer.from(raw) : raw, (err, info) => {
        const e = err as
          (Error & { rejectedErrors?: { recipient: string; response: string }[]; rejected?: string[] }) | null;
        if (e && !e.rejectedErrors) return reject(e);
        const responses: Record<string, string> = {};
        for (const r of e?.rejectedErrors ??
          (info as { rejectedErrors?: { recipient: string; response: string }[] })?.rejectedErrors ??
          [])
          responses[r.recipient] = r.response;
        resolve({
          accepted: (info?.accepted as string[]) ?? [],
          rejected: e?.rejected ?? (info?.rejected as string[]) ?? [],
          responses,
        });
      });
    });
  }

  close(): void {
    this.conn.quit();
  }
}

/** One message over its own connection. */
export async function sendLmtp(port: number, from: string, to: string[], raw: Buffer | string): Promise<LmtpResult> {
  const session = await LmtpSession.open(port);
  try {
    return await session.send(from, to, raw);
  } finally {
    session.close();
  }
}

export function makePost(o: {
  from: string;
  to: string;
  subject: string;
  body?: string;
  messageId?: string;
  extra?: string[];
}): string {
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Message-ID: ${o.messageId ?? `<${Date.now()}.${Math.random().toString(36).slice(2)}@test.example>`}`,
    'Date: Wed, 25 Nov 2026 12:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
    ...(o.extra ?? []),
    '',
    o.body ?? 'Hello, list.',
    '',
  ].join('\r\n');
}
