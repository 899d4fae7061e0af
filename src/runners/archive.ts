// The `archive` runner: hands each post the to-archive handler queued to every archiver it
// names that the site still enables and the list still has on. Each archiver gets its own copy,
// its Date header first made sane as `[archiver.NAME] clobber_date` says, as Mailman does. An
// archiver that fails does not stop the others: the post goes back to the queue for the ones
// that failed alone, tried again later with a growing wait, and after MAX_ATTEMPTS it is
// shunted naming only those, so `mailman unshunt` retries just them. (Mailman logs the failure
// and drops the post for that archiver.)
import { QueueRunner, type Disposition, type QueueItem, type RunnerEnv } from './runner.js';
import type { Archiver, ComponentRegistry } from '../registry.js';
import type { MsgData } from '../queue/qfile.js';
import { Message } from '../email/message.js';
import { siteArchiver } from '../delivery/archiving.js';
import { logger } from '../logging.js';

/** Tries for one archiver before the post is shunted. */
export const MAX_ATTEMPTS = 12;
const MAX_RETRY_WAIT_MS = 5 * 60_000;

/** Date headers as Mailman writes them: RFC 5322, in UTC. */
export function rfc5322Date(when: Date): string {
  return when.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Whether the archiver's copy gets a new Date: always, never, or (maybe) when the post has
 * none, one that does not parse, or one further than clobber_skew from now.
 */
export function shouldClobber(date: string | undefined, policy: string, skewMs: number, now: number): boolean {
  if (date === undefined) return true;
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  const claimed = Date.parse(date);
  return Number.isNaN(claimed) || Math.abs(now - claimed) > skewMs;
}

export class ArchiveRunner extends QueueRunner {
  private readonly archiverLog = logger('archiver');

  constructor(
    env: RunnerEnv,
    private readonly archivers: ComponentRegistry<Archiver>,
    slice: number,
    count: number,
  ) {
    super(env, 'archive', slice, count);
  }

  protected async dispose({ msg, msgdata, mlist }: QueueItem): Promise<Disposition> {
    const { services } = this.env;
    const due = typeof msgdata.archive_after === 'number' ? msgdata.archive_after : 0;
    // A file queued before retries were named for their time: wait out its archive_after alone.
    if (due > Date.now()) return { requeue: msgdata, notBefore: due };
    const on = await services.listArchivers.archiving(mlist);
    const named = Array.isArray(msgdata.archivers) ? (msgdata.archivers as unknown[]).map(String) : on;
    const failed: string[] = [];
    for (const name of named) {
      if (!on.includes(name)) {
        this.archiverLog.info({ archiver: name, list: mlist.list_id }, 'archiver no longer on for the list; skipped');
        continue;
      }
      if (!(await this.archiveWith(name, msg, msgdata, mlist))) failed.push(name);
    }
    if (failed.length === 0) return;
    const attempts = (typeof msgdata.archive_attempts === 'number' ? msgdata.archive_attempts : 0) + 1;
    if (attempts >= MAX_ATTEMPTS) {
      // The runner shunts what dispose throws, with this msgdata: only the failed archivers, afresh.
      msgdata.archivers = failed;
      delete msgdata.archive_attempts;
      delete msgdata.archive_after;
      throw new Error(`archiving failed ${attempts} times for ${failed.join(', ')}`);
    }
    const waitMs = Math.min(MAX_RETRY_WAIT_MS, 1000 * 2 ** (attempts - 1));
    const requeue: MsgData = { ...msgdata, archivers: failed, archive_attempts: attempts };
    delete requeue.archive_after;
    this.archiverLog.warn(
      { archivers: failed, attempts, wait_ms: waitMs, list: mlist.list_id },
      'archiving retried later',
    );
    // Named for when it is due, so the posts behind it are archived meanwhile.
    return { requeue, notBefore: Date.now() + waitMs };
  }

  /** One archiver's copy of the post, archived; false (and logged) when it failed. */
  private async archiveWith(name: string, msg: Message, msgdata: MsgData, mlist: QueueItem['mlist']): Promise<boolean> {
    const { config, services } = this.env;
    const section = `archiver.${name}`;
    const log = this.archiverLog.child({ archiver: name, list: mlist.list_id, message_id: msg.messageId });
    try {
      const { archiver, ctx } = siteArchiver(this.archivers, config, services, name);
      const copy = new Message(msg.toBuffer());
      const received = typeof msgdata.received_time === 'number' ? msgdata.received_time : Date.now();
      const date = copy.get('date');
      if (
        shouldClobber(date, config.get(section, 'clobber_date'), config.durationMs(section, 'clobber_skew'), Date.now())
      ) {
        copy.remove('date');
        copy.remove('x-original-date');
        copy.set('Date', rfc5322Date(new Date(received)));
        if (date !== undefined) copy.set('X-Original-Date', date);
      }
      await archiver.archiveMessage(ctx, mlist, copy);
      log.info('archived');
      return true;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'archiver failed');
      return false;
    }
  }
}
