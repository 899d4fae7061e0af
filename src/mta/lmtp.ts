// The LMTP server the MTA hands list mail to. Each recipient is resolved at RCPT (unknown
// list: 550 5.1.1), and after DATA each gets its own reply, 250 only once the message is
// on disk in its queue. A message we cannot parse is still kept, in `shunt`. DATA goes to a
// spool file as it arrives, within the [mta] lmtp_* limits (size, clients, recipients,
// idle time); one list address named in several RCPTs is queued once.
import { SMTPServer, SMTPServerDataStream, SMTPServerSession, SMTPServerAddress, SMTPServerOptions } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { Socket } from 'node:net';
import type { Services } from '../services/services.js';
import type { Config } from '../config/config.js';
import { Message, MalformedMessageError } from '../email/message.js';
import { arrivalMsgdata, stampArrival } from './arrival.js';
import { logger } from '../logging.js';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { RecentArrivals } from './recent-arrivals.js';
import { openSpoolDir, spoolMessage, MAX_HEADER_BYTES, type SpooledMessage } from './spool.js';
import { verpFormats } from '../email/bounces/verp-formats.js';

/** A message up to this size is received in memory, without a spool file. */
const MEMORY_SPOOL_BYTES = 256 * 1024;

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
  /** The token of a LIST-confirm+TOKEN address, when it has a token's shape. */
  confirmToken?: string;
  /** What follows + in LIST-bounces+…: a VERP'd member address or a probe's token. */
  bounceDetail?: string;
}

/** A local part is at most 64 octets (RFC 5321); a longer detail is not an address we sent. */
const MAX_BOUNCE_DETAIL = 64;

/** A pending token as the confirmations carry it: nothing else is kept from the address. */
const CONFIRM_TOKEN = /^[0-9a-f]{40}$/;

/** Finds the list and sub-address a recipient names, or undefined for an unknown list. */
export async function resolveRecipient(
  services: Services,
  address: string,
  verpDelimiter: string,
): Promise<LmtpTarget | undefined> {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0) return undefined;
  let domain = lower.slice(at + 1);
  const aliased = await services.domains.byAlias(domain);
  if (aliased) domain = aliased.mail_host;
  let local = lower.slice(0, at);
  let detail = '';
  const plus = local.indexOf(verpDelimiter);
  if (plus > 0) {
    detail = local.slice(plus + verpDelimiter.length);
    local = local.slice(0, plus);
  }
  // A list may itself be named like a sub-address (foo-owner): the whole local part first.
  const whole = await services.lists.get(`${local}@${domain}`);
  if (whole) return { rcpt: address, listId: whole.list_id, queue: 'in' };
  const dash = local.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const sub = SUBADDRESSES[local.slice(dash + 1)];
  if (!sub) return undefined;
  const mlist = await services.lists.get(`${local.slice(0, dash)}@${domain}`);
  if (!mlist) return undefined;
  const target: LmtpTarget = { rcpt: address, listId: mlist.list_id, queue: sub.queue, subaddress: sub.subaddress };
  if (sub.subaddress === 'confirm') {
    // [mta] verp_confirm_regexp reads the token, as the list's confirmation address put it there.
    const token = detail ? verpFormats(services.config).confirmToken(lower) : undefined;
    if (token && CONFIRM_TOKEN.test(token)) target.confirmToken = token;
  }
  if (sub.subaddress === 'bounces' && detail && detail.length <= MAX_BOUNCE_DETAIL) target.bounceDetail = detail;
  return target;
}

type Session = SMTPServerSession & { targets?: LmtpTarget[] };

/** The [mta] limits the LMTP server enforces, read once at start. */
export interface LmtpLimits {
  maxMessageSize: number;
  maxClients: number;
  maxRecipients: number;
  timeoutMs: number;
}

export function lmtpLimits(config: Config): LmtpLimits {
  // A negative value is read as 0, "no limit", like the library's own falsy options.
  const nonNegative = (key: string) => Math.max(0, config.int('mta', key));
  return {
    maxMessageSize: nonNegative('lmtp_max_message_size'),
    maxClients: nonNegative('lmtp_max_clients'),
    maxRecipients: nonNegative('lmtp_max_recipients'),
    timeoutMs: config.durationMs('mta', 'lmtp_timeout'),
  };
}

/** Where DATA is spooled: beside the queues (same disk), a dot-directory so no one takes it for one. */
export function lmtpSpoolDir(config: Config): string {
  return join(config.queueDir, '.spool');
}

/** The parts of smtp-server's connection that PromptServer drives (not in its public API). */
interface ConnectionInternals {
  _server: { options: { maxClients?: number }; connections: Set<unknown> };
  name: string;
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  send(code: number, text: string, context: false): void;
  on(event: string, listener: (arg: unknown) => void): void;
}
interface ServerInternals {
  connections: Set<unknown>;
  _onError(err: unknown): void;
  _onClientConnect(data: unknown): void;
}

/** True while the library still has the internals PromptServer needs. */
const PROMPT_GREETING = ['_setListeners', 'connectionReady', 'send'].every(
  (m) => typeof (SMTPConnection.prototype as unknown as Record<string, unknown>)[m] === 'function',
);

/**
 * smtp-server holds the greeting of every new connection for a fixed 100 ms, to catch spam
 * clients that talk before the banner; no option turns it off. Our only client is the site's
 * own MTA, and a post that opens a connection would pay those 100 ms, so the connection is
 * set up here as the library's connect() and init() do, without the timer. Input before the
 * greeting is still refused ("You talk too soon"): the library answers it until the session
 * is ready. Should a new version of the library lack these internals, its own connect() runs,
 * delay included.
 */
class PromptServer extends SMTPServer {
  override connect(socket: Socket, socketOptions: unknown): void {
    if (!PROMPT_GREETING)
      return (SMTPServer.prototype as unknown as { connect(s: Socket, o: unknown): void }).connect.call(
        this,
        socket,
        socketOptions,
      );
    const self = this as unknown as ServerInternals;
    const connection = new SMTPConnection(
      this as never,
      socket as never,
      socketOptions as never,
    ) as unknown as ConnectionInternals;
    self.connections.add(connection);
    connection.on('error', (err) => self._onError(err));
    connection.on('connect', (data) => self._onClientConnect(data));
    connection._setListeners(() => {
      const max = connection._server.options.maxClients;
      if (max && connection._server.connections.size > max)
        return connection.send(421, `${connection.name} Too many connected clients, try again in a moment`, false);
      connection.connectionReady();
    });
  }
}

export async function startLmtpServer(
  services: Services,
  config: Config,
): Promise<{ port: number; close(): Promise<void> }> {
  const log = logger('lmtp');
  const verpDelimiter = config.get('mta', 'verp_delimiter');
  const limits = lmtpLimits(config);
  const spoolDir = openSpoolDir(lmtpSpoolDir(config));
  const recent = new RecentArrivals(join(config.runDir, 'lmtp-recent'));
  const options: SMTPServerOptions = {
    lmtp: true,
    // The MTA is local; a reverse DNS lookup per connection only adds latency.
    disableReverseLookup: true,
    name: 'mailman-ts',
    banner: 'GNU Mailman compatible LMTP runner (mailman-ts)',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // SIZE is advertised in the LHLO reply and a MAIL FROM SIZE= over it gets 552 from the
    // library; a message that turns out larger during DATA is refused in onData, one 552
    // per recipient (the library's own rejectOversized counts recipients after collapsing
    // repeats, which would leave an LMTP client waiting for replies).
    ...(limits.maxMessageSize ? { size: limits.maxMessageSize } : {}),
    ...(limits.maxClients ? { maxClients: limits.maxClients } : {}),
    ...(limits.maxRecipients ? { maxRecipients: limits.maxRecipients } : {}),
    socketTimeout: limits.timeoutMs,
    // The master kills a runner that has not stopped within 20 s; an idle connection the
    // MTA keeps in its cache must not hold the stop that long.
    closeTimeout: 5_000,
    onRcptTo(address: SMTPServerAddress, session: Session, callback: (err?: Error | null) => void) {
      resolveRecipient(services, address.address, verpDelimiter).then(
        (target) => {
          if (!target) {
            log.info({ rcpt: address.address }, 'no such list');
            return callback(
              Object.assign(new Error('5.1.1 Requested action not taken: mailbox unavailable (no such list)'), {
                responseCode: 550,
              }),
            );
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
    onData(
      stream: SMTPServerDataStream,
      session: Session,
      callback: (err?: Error | null, message?: string | (string | Error)[]) => void,
    ) {
      const targets = session.targets ?? [];
      session.targets = [];
      const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      // Always one reply per accepted RCPT (RFC 2033), never a single error: the library
      // would repeat an error once per distinct address, not once per RCPT.
      const each = (reply: string | Error) => targets.map(() => reply);
      receive(services, stream, spoolDir, limits, envelopeFrom, targets, recent).then(
        (replies) => callback(null, replies),
        (err) => {
          log.error({ err }, 'could not queue message');
          callback(
            null,
            each(
              Object.assign(new Error('4.3.0 Requested action aborted: error in processing'), { responseCode: 451 }),
            ),
          );
        },
      );
    },
    onMailFrom(_address, session: Session, callback) {
      session.targets = [];
      callback();
    },
  };
  const server = new PromptServer(options);
  server.on('error', (err) => log.error({ err }, 'LMTP server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.int('mta', 'lmtp_port'), config.get('mta', 'lmtp_host'), () => resolve());
  });
  const addr = (server as unknown as { server: { address(): { port: number } } }).server.address();
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((r) =>
        server.close(() => {
          recent.close();
          r();
        }),
      ),
  };
}

/** Spools the DATA stream, queues the message and returns one reply per RCPT. */
async function receive(
  services: Services,
  stream: SMTPServerDataStream,
  spoolDir: string,
  limits: LmtpLimits,
  envelopeFrom: string,
  targets: LmtpTarget[],
  recent: RecentArrivals,
): Promise<(string | Error)[]> {
  const spooled = await spoolMessage(stream, spoolDir, limits.maxMessageSize, MEMORY_SPOOL_BYTES);
  try {
    if (spooled.oversize) {
      logger('lmtp').info({ size: spooled.size, limit: limits.maxMessageSize }, 'message over the size limit refused');
      const tooBig = Object.assign(
        new Error(`5.3.4 Message size exceeds fixed maximum message size ${limits.maxMessageSize}`),
        { responseCode: 552 },
      );
      return targets.map(() => tooBig);
    }
    return await accept(services, spooled, envelopeFrom, targets, recent);
  } finally {
    if (spooled.file) await rm(spooled.file, { force: true });
  }
}

/** The same list and sub-address named twice (or in two spellings) is one delivery; two tokens are two. */
function targetKey(t: LmtpTarget): string {
  return `${t.listId}\0${t.queue}\0${t.subaddress ?? ''}\0${t.confirmToken ?? ''}\0${t.bounceDetail ?? ''}`;
}

/** Writes the message once per distinct target queue and returns one LMTP reply per recipient. */
async function accept(
  services: Services,
  spooled: SpooledMessage,
  envelopeFrom: string,
  targets: LmtpTarget[],
  recent: RecentArrivals,
): Promise<(string | Error)[]> {
  const log = logger('lmtp');
  const receivedAt = Date.now();
  let msg: Message;
  try {
    msg = parseSpooled(spooled);
  } catch (err) {
    if (!(err instanceof MalformedMessageError)) throw err;
    // Kept whole in shunt, so an admin can look at it and `unshunt` it; the MTA is told we have it.
    const shunt = services.queues.get('shunt');
    const md = {
      whichq: 'in',
      shunt_reason: `malformed message: ${err.message}`,
      lmtp_recipients: [...new Set(targets.map((t) => t.rcpt))],
      listid: targets[0]?.listId,
      envelope_sender: envelopeFrom,
      received_time: receivedAt,
    };
    const file = spooled.data
      ? await shunt.enqueue(spooled.data, md)
      : await shunt.enqueueFrom(Buffer.alloc(0), spooled.file!, 0, md);
    log.warn({ file, reason: err.message }, 'malformed message stored in shunt');
    return targets.map(() => '2.0.0 Message stored for administrator review');
  }
  stampArrival(
    msg,
    envelopeFrom,
    targets[0] ? targets[0].listId.slice(targets[0].listId.indexOf('.') + 1) : 'mailman.invalid',
  );
  const head = msg.headerBytes();
  // In memory: the stamped header and the body as received, one buffer for every queue.
  const whole = spooled.data ? Buffer.concat([head, spooled.data.subarray(spooled.bodyOffset!)]) : undefined;
  const queued = new Map<string, Promise<string | Error>>();
  // The MTA keeps the message and offers it again later.
  const tempFailure = (err: unknown, rcpt: string) => {
    log.error({ err, rcpt }, 'enqueue failed');
    return Object.assign(new Error('4.3.0 Requested action aborted: error in processing'), { responseCode: 451 });
  };
  for (const t of targets) {
    const key = targetKey(t);
    if (queued.has(key)) continue;
    // A re-send of what we queued but could not acknowledge (in memory only: a message large
    // enough to be spooled to disk is rare, and hashing it would mean reading it again).
    const arrival = spooled.data ? RecentArrivals.key(envelopeFrom, spooled.data, key) : undefined;
    const seen = arrival ? recent.get(arrival) : undefined;
    if (seen) {
      log.warn(
        { rcpt: t.rcpt, message_id: msg.messageId },
        'the MTA re-sent a message already queued; acknowledged, not queued again',
      );
      // Recorded, then killed before its file was renamed into the queue: in it goes now.
      const committed = seen.file ? services.queues.get(t.queue).commitTmp(seen.file) : Promise.resolve(false);
      queued.set(
        key,
        committed.then(
          () => `2.0.0 Ok already queued for ${t.queue}`,
          (err) => tempFailure(err, t.rcpt),
        ),
      );
      continue;
    }
    // Recorded in the instant between the file being synced and its entering the queue, so
    // that no kill finds it queued and unrecorded (then a re-send would be a second post).
    const record = arrival ? (base: string) => recent.add(arrival, Date.now(), base) : undefined;
    const md = arrivalMsgdata(
      t.listId,
      t.subaddress,
      services,
      receivedAt,
      spooled.size,
      t.confirmToken ?? t.bounceDetail,
    );
    queued.set(
      key,
      (whole
        ? services.queues.get(t.queue).enqueue(whole, md, {
            beforeCommit: record,
          })
        : services.queues.get(t.queue).enqueueFrom(head, spooled.file!, spooled.bodyOffset!, md)
      ).then(
        () => `2.0.0 Ok queued for ${t.queue}`,
        (err) => tempFailure(err, t.rcpt),
      ),
    );
  }
  return Promise.all(targets.map((t) => queued.get(targetKey(t))!));
}

/** Message.parseStrict's checks, on a message whose body stays on disk. */
function parseSpooled(spooled: SpooledMessage): Message {
  if (spooled.size === 0) throw new MalformedMessageError('the message is empty');
  if (spooled.hasNul) throw new MalformedMessageError('the message contains a NUL byte');
  if (!spooled.header) throw new MalformedMessageError(`the header block is larger than ${MAX_HEADER_BYTES} bytes`);
  return Message.parseStrict(spooled.header);
}
