// News to mail, Mailman's `gatenews`: for a list with gateway_to_mail, the articles of its
// linked newsgroup numbered above usenet_watermark are put in the `in` queue as posts from
// Usenet (`fromusenet`), and the watermark follows each one. The first run for a list only
// notes where the group stands, so the list is not flooded with the group's past. Run by
// `mailman gatenews` and, every [nntp] gatenews_every, by slice 0 of the nntp runner.
import { join } from 'node:path';
import { NntpConnection } from '../mta/nntp-client.js';
import { Message } from '../email/message.js';
import { parseAddresses } from '../email/addresses.js';
import { listAddresses } from '../model/list-addresses.js';
import type { MailingList } from '../model/entities.js';
import type { Services } from '../services/services.js';
import { injectedMsgdata } from '../services/inject.js';
import { withFileLock } from '../queue/file-lock.js';
import { newsServer } from './usenet.js';
import { logger } from '../logging.js';

/** Articles one run takes from a group; the rest wait for the next run (a backlog cannot flood a list at once). */
export const MAX_ARTICLES_PER_RUN = 500;

export interface GateReport {
  list_id: string;
  group: string;
  /** The first run for the list: the watermark was set to the group's high number, nothing gated. */
  first?: boolean;
  gated: number;
  /** This list's own posts, back from news (they carry its List-Post). */
  skipped: number;
  watermark: number | null;
  /** Why the list could not be gated this time (its news server, its group). */
  error?: string;
}

/** Whether the article went out through this list: its List-Post names the list's address. */
function postedByList(msg: Message, mlist: MailingList): boolean {
  const posting = listAddresses(mlist).posting;
  return msg.getAll('list-post').some((value) => {
    const mailto = /<mailto:([^>]+)>/i.exec(value)?.[1] ?? value;
    return parseAddresses(mailto).some((a) => a.email.toLowerCase() === posting.toLowerCase());
  });
}

/**
 * Gates one list's new articles. Under a per-list lock, so a run from cron and the runner's
 * never take the same article twice. An article is in the `in` queue (fsynced) before the
 * watermark moves past it: a crash between the two can gate that one article again, never lose it.
 */
export async function gateNews(services: Services, listId: string, dryRun = false): Promise<GateReport> {
  const { config } = services;
  const lock = join(config.path('paths', 'lock_dir'), `gatenews.${listId}.lock`);
  return withFileLock(lock, async () => {
    // Read under the lock: the watermark another run just moved.
    const mlist = await services.lists.get(listId);
    if (!mlist) throw new Error(`no such list: ${listId}`);
    const group = mlist.linked_newsgroup;
    const report: GateReport = { list_id: listId, group, gated: 0, skipped: 0, watermark: mlist.usenet_watermark };
    const maxBytes = config.int('mta', 'lmtp_max_message_size') || 32 << 20;
    const conn = await NntpConnection.open({
      ...newsServer(mlist, config),
      timeoutMs: config.durationMs('nntp', 'timeout'),
      maxBlockBytes: maxBytes,
    });
    try {
      const { count, low, high } = await conn.group(group);
      const watermark = typeof mlist.usenet_watermark === 'number' ? mlist.usenet_watermark : null;
      if (watermark === null) {
        report.first = true;
        report.watermark = high;
        if (!dryRun) await services.lists.update(mlist, { usenet_watermark: high });
        return report;
      }
      if (count === 0 || high <= watermark) return report;
      const start = Math.max(watermark + 1, low);
      const end = Math.min(high, start + MAX_ARTICLES_PER_RUN - 1);
      const inQueue = services.queues.get('in');
      for (let n = start; n <= end; n++) {
        const raw = await conn.article(n);
        if (raw) {
          const msg = new Message(raw);
          if (postedByList(msg, mlist)) report.skipped++;
          else {
            report.gated++;
            if (!dryRun) await inQueue.enqueue(raw, injectedMsgdata(mlist, raw, { fromusenet: true }));
          }
        }
        report.watermark = n;
        if (!dryRun) await services.lists.update(mlist, { usenet_watermark: n });
      }
      return report;
    } finally {
      await conn.quit();
    }
  });
}

/** The lists gatenews looks at: gateway_to_mail on and a linked group named. */
export async function gatewayedLists(services: Services): Promise<MailingList[]> {
  return (await services.lists.all()).filter((l) => l.gateway_to_mail && l.linked_newsgroup);
}

/** Every gatewayed list once; a list whose news server fails is logged and the others still run. */
export async function gateAllNews(services: Services, dryRun = false): Promise<GateReport[]> {
  const log = logger('fromusenet');
  const reports: GateReport[] = [];
  for (const mlist of await gatewayedLists(services)) {
    try {
      const r = await gateNews(services, mlist.list_id, dryRun);
      if (r.gated || r.first) log.info(r, r.first ? 'watermark set; nothing gated the first time' : 'gated news');
      reports.push(r);
    } catch (err) {
      const error = (err as Error).message;
      log.error({ list: mlist.list_id, err: error }, 'gatenews failed for the list');
      reports.push({
        list_id: mlist.list_id,
        group: mlist.linked_newsgroup,
        gated: 0,
        skipped: 0,
        watermark: null,
        error,
      });
    }
  }
  return reports;
}
