// The `nntp` runner: posts the copies the to-usenet handler queued to the list's news server
// (its nntp_host, else [nntp] host) with the NNTP POST command. A server that cannot be reached
// or answers 4xx leaves the article queued and the runner paused with a growing wait, as the
// out runner does for SMTP; after [mta] delivery_retry_period of that, or at once on a refusal
// that will not change (5xx, 440 posting not allowed, 441 posting failed: no such group, an
// article the server will not take), the message is shunted with the reason: never dropped.
import { QueueRunner, type Disposition, type QueueItem, type RunnerEnv } from './runner.js';
import { NntpConnection, NntpReplyError, type NntpOptions } from '../mta/nntp-client.js';
import { newsRules, prepareForNews, type NewsRules } from '../delivery/usenet.js';
import { makeMessageId, Message } from '../email/message.js';
import type { MailingList } from '../model/entities.js';
import type { Config } from '../config/config.js';
import { logger } from '../logging.js';

const MAX_PAUSE_MS = 5 * 60_000;

/** Where a list's news copies go: its nntp_host (HOST, HOST:PORT, [V6]:PORT), else [nntp] host. */
export function newsServer(mlist: MailingList, config: Config): Omit<NntpOptions, 'timeoutMs'> {
  const given = (mlist.nntp_host || config.get('nntp', 'host')).trim();
  const defaultPort = config.int('nntp', 'port');
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(given);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(given);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : plain ? [plain[1], plain[2]] : [given, undefined];
  const user = config.get('nntp', 'user');
  return {
    host,
    port: port ? Number(port) : defaultPort,
    ...(user ? { user, password: config.get('nntp', 'password') } : {}),
  };
}

/** A reply no later attempt will change: the article is shunted rather than tried again. */
function refusedForGood(err: NntpReplyError): boolean {
  return err.code >= 500 || err.code === 440 || err.code === 441 || err.code === 481 || err.code === 482;
}

/** INN and others answer a Message-ID they already hold with 441 quoting 435, or with 435 itself. */
function duplicate(err: NntpReplyError): boolean {
  return err.code === 435 || (err.code === 441 && /\b435\b|duplicate/i.test(err.text));
}

export class NntpRunner extends QueueRunner {
  private readonly rules: NewsRules;
  private readonly newsLog = logger('fromusenet');
  private failures = 0;

  constructor(env: RunnerEnv, slice: number, count: number) {
    super(env, 'nntp', slice, count);
    this.rules = newsRules(env.config);
  }

  protected async dispose({ msg, msgdata, mlist }: QueueItem): Promise<Disposition> {
    const { config } = this.env;
    if (!mlist.linked_newsgroup) throw new Error('the list has no linked_newsgroup any more');
    const article = prepareForNews(msg.toBuffer(), mlist, msgdata, this.rules);
    const messageId = article.messageId ?? '';
    const server = newsServer(mlist, config);
    const log = this.newsLog.child({ list: mlist.list_id, message_id: messageId, server: server.host });
    let conn: NntpConnection | undefined;
    try {
      conn = await NntpConnection.open({ ...server, timeoutMs: config.durationMs('nntp', 'timeout') });
      const reply = await conn.post(article.toBuffer());
      this.failures = 0;
      log.info({ group: mlist.linked_newsgroup, reply }, 'posted to news');
      return;
    } catch (err) {
      if (err instanceof NntpReplyError && duplicate(err) && conn) {
        this.failures = 0;
        if (await this.postedAlready(conn, messageId, mlist.linked_newsgroup)) {
          log.info({ group: mlist.linked_newsgroup }, 'the news server has this article already');
          return;
        }
        // Another article holds the Message-ID (a cross-post from elsewhere): post under a new one.
        const fresh = makeMessageId(mlist.mail_host);
        log.warn({ reply: err.message, new_message_id: fresh }, 'Message-ID taken on the news server; posting anew');
        return { requeue: { ...msgdata, nntp_message_id: fresh } };
      }
      if (err instanceof NntpReplyError && refusedForGood(err)) {
        log.error({ reply: err.message }, 'the news server refused the article; shunting it');
        throw new Error(`the news server ${server.host}:${server.port} refused the article: ${err.message}`, {
          cause: err,
        });
      }
      return this.later(msgdata, log, err as Error);
    } finally {
      await conn?.quit();
    }
  }

  /** Whether the server's article under this Message-ID is in the list's group (our earlier post). */
  private async postedAlready(conn: NntpConnection, messageId: string, group: string): Promise<boolean> {
    try {
      const head = await conn.head(messageId);
      if (!head) return false;
      const groups = (new Message(Buffer.concat([head, Buffer.from('\r\n')])).get('newsgroups') ?? '').split(',');
      return groups.some((g) => g.trim() === group);
    } catch {
      return false;
    }
  }

  /** A failure that may pass: the article stays queued and the runner waits, longer each time. */
  private later(msgdata: QueueItem['msgdata'], log: typeof this.newsLog, err: Error): Disposition {
    const now = Date.now();
    const since = typeof msgdata.nntp_failing_since === 'number' ? msgdata.nntp_failing_since : now;
    if (now - since > this.env.config.durationMs('mta', 'delivery_retry_period')) {
      log.error({ err: err.message }, 'news server failing for the whole retry period; shunting the article');
      // Shunted afresh: `mailman unshunt` gives it a whole retry period again.
      delete msgdata.nntp_failing_since;
      throw new Error(`posting to news failed since ${new Date(since).toISOString()}: ${err.message}`);
    }
    this.failures++;
    const pauseMs = Math.min(MAX_PAUSE_MS, 1000 * 2 ** Math.min(this.failures - 1, 9));
    log.warn({ err: err.message, pauseMs }, 'news server unavailable; the article stays queued');
    return { requeue: { ...msgdata, nntp_failing_since: since }, pauseMs };
  }
}
