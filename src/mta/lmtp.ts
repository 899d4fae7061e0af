// The LMTP server the MTA hands list mail to. Each recipient is resolved at RCPT (unknown
// list: 550 5.1.1), and after DATA each gets its own reply, 250 only once the message is
// on disk in its queue. A message we cannot parse is still kept, in `shunt`.
import { SMTPServer, SMTPServerDataStream, SMTPServerSession, SMTPServerAddress } from 'smtp-server';
import type { Services } from '../services/services.js';
import type { Config } from '../config/config.js';
import { Message, MalformedMessageError } from '../email/message.js';
import { arrivalMsgdata, stampArrival } from './arrival.js';
import { logger } from '../logging.js';

/** Sub-addresses Mailman routes, with the queue each goes to. */
const SUBADDRESSES: Record<string, { queue: string; subaddress: string }> = {
  bounces: { queue: 'bounces', subaddress: 'bounces' },
  confirm: { queue: 'command', subaddress: 'confirm' },
  join: { queue: 'command', subaddress: 'join' },
  subscribe: { queue: 'command', subaddress: 'join' },
  leave: { queue: 'command', subaddress: 'leave' },
  unsubscribe: { queue: 'command', subaddress: 'leave' },
  owner: { queue: 'in', subaddress: 'owner' },
  request: { queue: 'command', subaddress: 'request' },
};

export interface LmtpTarget {
  rcpt: string;
  listId: string;
  queue: string;
  subaddress?: string;
}

/** Finds the list and sub-address a recipient names, or undefined for an unknown list. */
export async function resolveRecipient(services: Services, address: string, verpDelimiter: string): Promise<LmtpTarget | undefined> {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0) return undefined;
  let domain = lower.slice(at + 1);
  const aliased = await services.domains.byAlias(domain);
  if (aliased) domain = aliased.mail_host;
  let local = lower.slice(0, at);
  const plus = local.indexOf(verpDelimiter);
  if (plus > 0) local = local.slice(0, plus);
  // A list may itself be named like a sub-address (foo-owner): the whole local part first.
  const whole = await services.lists.get(`${local}@${domain}`);
  if (whole) return { rcpt: address, listId: whole.list_id, queue: 'in' };
  const dash = local.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const sub = SUBADDRESSES[local.slice(dash + 1)];
  if (!sub) return undefined;
  const mlist = await services.lists.get(`${local.slice(0, dash)}@${domain}`);
  if (!mlist) return undefined;
  return { rcpt: address, listId: mlist.list_id, queue: sub.queue, subaddress: sub.subaddress };
}

type Session = SMTPServerSession & { targets?: LmtpTarget[] };

export async function startLmtpServer(services: Services, config: Config): Promise<{ port: number; close(): Promise<void> }> {
  const log = logger('lmtp');
  const verpDelimiter = config.get('mta', 'verp_delimiter');
  const server = new SMTPServer({
    lmtp: true,
    // The MTA is local; a reverse DNS lookup per connection only adds latency.
    disableReverseLookup: true,
    name: 'mailman-ts',
    banner: 'GNU Mailman compatible LMTP runner (mailman-ts)',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, session: Session, callback: (err?: Error | null) => void) {
      resolveRecipient(services, address.address, verpDelimiter).then(
        (target) => {
          if (!target) {
            log.info({ rcpt: address.address }, 'no such list');
            return callback(Object.assign(new Error('5.1.1 Requested action not taken: mailbox unavailable (no such list)'), { responseCode: 550 }));
          }
          (session.targets ??= []).push(target);
          callback();
        },
        (err) => {
          log.error({ err, rcpt: address.address }, 'recipient lookup failed');
          callback(Object.assign(new Error('4.3.0 Temporary failure looking up the list'), { responseCode: 451 }));
        },
      );
    },
    onData(stream: SMTPServerDataStream, session: Session, callback: (err?: Error | null, message?: string | (string | Error)[]) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        const targets = session.targets ?? [];
        session.targets = [];
        const raw = Buffer.concat(chunks);
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        accept(services, raw, envelopeFrom, targets).then(
          (replies) => callback(null, replies),
          (err) => {
            log.error({ err }, 'could not queue message');
            callback(Object.assign(new Error('4.3.0 Requested action aborted: error in processing'), { responseCode: 451 }));
          },
        );
      });
    },
    onMailFrom(_address, session: Session, callback) {
      session.targets = [];
      callback();
    },
  });
  server.on('error', (err) => log.error({ err }, 'LMTP server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.int('mta', 'lmtp_port'), config.get('mta', 'lmtp_host'), () => resolve());
  });
  const addr = (server as unknown as { server: { address(): { port: number } } }).server.address();
  return { port: addr.port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Writes the message once per target queue and returns one LMTP reply per recipient. */
async function accept(services: Services, raw: Buffer, envelopeFrom: string, targets: LmtpTarget[]): Promise<(string | Error)[]> {
  const log = logger('lmtp');
  const receivedAt = Date.now();
  let msg: Message;
  try {
    msg = Message.parseStrict(raw);
  } catch (err) {
    if (!(err instanceof MalformedMessageError)) throw err;
    // Kept whole in shunt, so an admin can look at it and `unshunt` it; the MTA is told we have it.
    const file = await services.queues.get('shunt').enqueue(raw, {
      whichq: 'in',
      shunt_reason: `malformed message: ${err.message}`,
      lmtp_recipients: targets.map((t) => t.rcpt),
      listid: targets[0]?.listId,
      envelope_sender: envelopeFrom,
      received_time: receivedAt,
    });
    log.warn({ file, reason: err.message }, 'malformed message stored in shunt');
    return targets.map(() => '2.0.0 Message stored for administrator review');
  }
  stampArrival(msg, envelopeFrom, targets[0] ? targets[0].listId.slice(targets[0].listId.indexOf('.') + 1) : 'mailman.invalid');
  const bytes = msg.toBuffer();
  return Promise.all(
    targets.map(async (t) => {
      try {
        await services.queues.get(t.queue).enqueue(bytes, arrivalMsgdata(t.listId, t.subaddress, services, receivedAt, raw.length));
        return `2.0.0 Ok queued for ${t.queue}`;
      } catch (err) {
        log.error({ err, rcpt: t.rcpt }, 'enqueue failed');
        return Object.assign(new Error('4.3.0 Requested action aborted: error in processing'), { responseCode: 451 });
      }
    }),
  );
}
