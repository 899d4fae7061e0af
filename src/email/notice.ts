// Messages the server itself writes (hold notices, rejections), built with nodemailer's
// MailComposer; services/notices.ts sends them.
import MailComposer from 'nodemailer/lib/mail-composer';
import { makeMessageId } from './message.js';

export interface Notice {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Attached whole as message/rfc822 (the original post, for a rejection or a hold). */
  attach?: Buffer[];
  headers?: Record<string, string>;
  /** The Precedence header: bulk unless given; null leaves it out (confirmations). */
  precedence?: string | null;
}

export async function buildNotice(n: Notice, domain: string): Promise<Buffer> {
  const composer = new MailComposer({
    from: n.from,
    to: n.to,
    subject: n.subject,
    text: n.text,
    messageId: makeMessageId(domain),
    date: new Date(),
    headers: {
      ...(n.precedence === null ? {} : { Precedence: n.precedence ?? 'bulk' }),
      ...(n.headers ?? {}),
    },
    attachments: (n.attach ?? []).map((content) => ({
      content,
      contentType: 'message/rfc822',
      contentDisposition: 'inline' as const,
    })),
  });
  return composer.compile().build();
}

/**
 * Mailman's rule for automatic answers: list traffic and bulk mail (Precedence bulk, junk or
 * list) gets none, unless it asks for one with X-Ack: yes.
 */
export function isBulkMail(get: (name: string) => string | undefined): boolean {
  const precedence = (get('precedence') ?? '').trim().toLowerCase();
  if (!['bulk', 'junk', 'list'].includes(precedence)) return false;
  return (get('x-ack') ?? '').trim().toLowerCase() !== 'yes';
}

/** Mailman's can_acknowledge: never auto-answer mail that is itself automatic or list mail. */
export function canAcknowledge(
  get: (name: string) => string | undefined,
  has: (name: string) => boolean,
  headerNames: string[],
): boolean {
  if (has('x-no-ack') || has('precedence')) return false;
  if (headerNames.some((h) => h.startsWith('list-'))) return false;
  if ((get('x-ack') ?? '').toLowerCase() === 'no') return false;
  const auto = get('auto-submitted');
  if (auto && auto.toLowerCase() !== 'no') return false;
  if ((get('return-path') ?? '').trim() === '<>') return false;
  return true;
}
