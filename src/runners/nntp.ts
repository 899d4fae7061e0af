// The `nntp` runner: posts the copies the to-usenet handler queued to the list's news server
// (its nntp_host, else [nntp] host) with the NNTP POST command. A server that cannot be reached
// or answers 4xx leaves the article queued and the runner paused with a growing wait, as the
// out runner does for SMTP; after [mta] delivery_retry_period of that, or at once on a refusal
// that will not change (5xx, 440 posting not allowed, 441 posting failed: no such group, an
// article the server will not take), the message is shunted with the reason: never dropped.
// Slice 0 also runs gatenews (news to mail) every [nntp] gatenews_every.
import { QueueRunner, type Disposition, type QueueItem, type RunnerEnv } from './runner.js';
import { NntpConnection, NntpReplyError } from '../mta/nntp-client.js';
import { newsRules, newsServer, prepareForNews, type NewsRules } from '../delivery/usenet.js';
import { gateAllNews } from '../delivery/gatenews.js';
import { makeMessageId, Message } from '../email/message.js';
import type { MailingList } from '../model/entities.js';
import { logger } from '../logging.js';

const MAX_PAUSE_MS = 5 * 60_000;

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

  private gateTimer: NodeJS.Timeout | undefined;
  private gating: Promise<unknown> | undefined;

  constructor(
    env: RunnerEnv,
    private readonly slice: number,
    count: number,
  ) {
    super(env, 'nntp', slice, count);
    this.rules = newsRules(env.config);
  }

  /** Slice 0 also gates news to mail every [nntp] gatenews_every, as Mailman's nntp runner does. */
  override async start(opts: { blame?: boolean } = {}): Promise<void> {
    await super.start(opts);
    if (this.slice === 0) this.scheduleGatenews();
  }

  private scheduleGatenews(): void {
    const every = this.env.config.durationMs('nntp', 'gatenews_every');
    if (every <= 0) return;
    this.gateTimer = setTimeout(() => {
      // One run at a time: the next is scheduled when this one is over, however long it took.
      this.gating = gateAllNews(this.env.services)
        .catch((err) => this.newsLog.error({ err }, 'gatenews failed'))
        .finally(() => {
          this.gating = undefined;
          if (this.gateTimer) this.scheduleGatenews();
        });
    }, every);
  }

  override async stop(): Promise<void> {
    clearTimeout(this.gateTimer);
    this.gateTimer = undefined;
    await this.gating;
    await super.stop();
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
