// The `digest` runner: each file in its queue names one issue of a list's digest (the
// mailbox services/digests.ts moved aside). It builds the MIME and the plain (RFC 1153)
// digest from the issue's posts and queues each to the virgin queue for the members whose
// delivery_mode asks for it. The two writes are one hop (queue/hop.ts): a crash before the
// claim is dropped makes the next pass find them and write nothing twice. The issue's file is
// removed only after that, marked `.sent` first, so the sweep at start can tell an issue whose
// digests went out from one that never reached this queue (a crash between the rename and
// the trigger), which it queues again.
import { readdir, rm, writeFile, open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QueueRunner, type QueueItem, type RunnerEnv } from './runner.js';
import { Message } from '../email/message.js';
import { currentHop, skipWrite } from '../queue/hop.js';
import { readMmdf, type MailboxLimits } from '../email/mmdf.js';
import { mimeDigest, plainDigest, type DigestIssue, type DigestTexts } from '../email/digest.js';
import { listAddresses } from '../model/list-addresses.js';
import type { MailingList } from '../model/entities.js';
import { ISSUE_FILE, SENT_SUFFIX, issueMailbox, listDataDir, queueIssue, withDigestLock } from '../services/digests.js';

/** A mailbox that grew without bound (or was written by something hostile) is read this far. */
const LIMITS: MailboxLimits = { maxBytes: 32 << 20, maxMessages: 2000 };
/** The head of a trigger file read by the sweep: its metadata line is short. */
const TRIGGER_HEAD = 4096;

interface IssueRef {
  volume: number;
  number: number;
  path: string;
}

export class DigestRunner extends QueueRunner {
  constructor(
    env: RunnerEnv,
    private readonly slice: number,
    count: number,
  ) {
    super(env, 'digest', slice, count);
  }

  override async start(opts: { blame?: boolean } = {}): Promise<void> {
    await super.start(opts);
    if (this.slice === 0) await this.sweep().catch((err) => this.log.error({ err }, 'digest sweep failed'));
  }

  /** The issue a trigger names, as a path this runner computes: nothing in msgdata is a path. */
  private issue({ msgdata, mlist }: QueueItem): IssueRef {
    const volume = Number(msgdata.volume);
    const number = Number(msgdata.digest_number);
    const ok = (n: number) => Number.isSafeInteger(n) && n >= 0 && n < 1e9;
    if (!ok(volume) || !ok(number)) throw new Error(`not a digest issue: ${msgdata.volume}.${msgdata.digest_number}`);
    return { volume, number, path: issueMailbox(this.env.config, mlist.list_id, volume, number) };
  }

  protected async dispose(item: QueueItem): Promise<void> {
    const { mlist } = item;
    const { volume, number, path } = this.issue(item);
    const read = await readMmdf(path, LIMITS);
    if (!read?.messages.length) {
      this.log.warn({ list: mlist.list_id, volume, number }, 'digest issue has no posts (sent already?)');
      return;
    }
    if (read.truncated) this.log.warn({ list: mlist.list_id, volume, number }, 'digest mailbox cut at its limits');
    const addrs = listAddresses(mlist);
    const issue: DigestIssue = {
      displayName: mlist.display_name,
      volume,
      number,
      requestAddress: addrs.request,
      postingAddress: addrs.posting,
      mailHost: mlist.mail_host,
      subjectPrefix: String(mlist.subject_prefix ?? ''),
      posts: read.messages.map((raw) => new Message(raw)),
      truncated: read.truncated,
      plainKeepHeaders: this.env.config.get('digests', 'plain_digest_keep_headers').split(/\s+/).filter(Boolean),
      mimeKeepHeaders: this.env.config.get('digests', 'mime_digest_keep_headers').split(/\s+/).filter(Boolean),
    };
    const texts = await this.texts(mlist);
    const { services } = this.env;
    const members = await services.members.digestRecipients(mlist.list_id);
    // Those who left digest delivery since the last issue get this one too, in the digest they left.
    const owed = await services.lastDigests.pending(mlist.list_id);
    const mime = new Set(members.mime);
    const plain = new Set(members.plain);
    for (const o of owed) (o.delivery_mode === 'plaintext_digests' ? plain : mime).add(o.email);
    const virgin = services.queues.get('virgin');
    // Each digest has its own place among the hop's writes, sent or not: a second pass (after
    // a crash) names each as the first did, even if who gets which has changed meanwhile.
    const kinds: [string[], () => Buffer][] = [
      [[...mime], () => mimeDigest(issue, texts)],
      [[...plain], () => plainDigest(issue, texts)],
    ];
    for (const [recipients, build] of kinds) {
      if (!recipients.length) {
        const hop = currentHop();
        if (hop) skipWrite(hop, 'virgin');
        continue;
      }
      await virgin.enqueue(build(), { listid: mlist.list_id, recipients, isdigest: true });
    }
    // Cleared once the digests are queued: a crash before this sends them again on the second
    // pass, whose writes the hop already has, so no one gets the issue twice.
    await services.lastDigests.clear(owed.map((o) => o.id));
    await writeFile(path + SENT_SUFFIX, '');
    this.log.info({ list: mlist.list_id, volume, number, posts: issue.posts.length }, 'digest sent');
  }

  protected override async finished(item: QueueItem): Promise<void> {
    const { path } = this.issue(item);
    await rm(path, { force: true });
    await rm(path + SENT_SUFFIX, { force: true });
  }

  private async texts(mlist: MailingList): Promise<DigestTexts> {
    const { templates } = this.env.services;
    const addrs = listAddresses(mlist);
    const subs = { got_list_email: addrs.posting, got_request_email: addrs.request, got_owner_email: addrs.owner };
    return {
      masthead: await templates.render('list:member:digest:masthead', { mlist }, subs),
      header: await templates.render('list:member:digest:header', { mlist }, subs),
      footer: await templates.render('list:member:digest:footer', { mlist }, subs),
    };
  }

  /** The issues of `listId` that a file of the digest queue names (waiting, claimed or pending). */
  private async queuedIssues(listId: string): Promise<Set<string>> {
    const dir = this.switchboard.dir;
    const out = new Set<string>();
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!/\.(qmsg|bak|pend)$/.test(name)) continue;
      const head = await readHead(join(dir, name));
      if (!head) continue;
      try {
        const md = JSON.parse(head) as Record<string, unknown>;
        if (md.listid === listId) out.add(`${md.volume}.${md.digest_number}`);
      } catch {
        /* not a trigger of ours */
      }
    }
    return out;
  }

  /** Issue files no trigger names: sent ones are removed, unsent ones queued again. */
  private async sweep(): Promise<void> {
    const root = this.env.config.path('paths', 'list_data_dir');
    for (const listId of await readdir(root).catch(() => [] as string[])) {
      const dir = listDataDir(this.env.config, listId);
      const names = await readdir(dir).catch(() => [] as string[]);
      if (!names.some((n) => ISSUE_FILE.test(n) || n.endsWith(SENT_SUFFIX))) continue;
      // A deleted list's files stay for an admin to look at; nothing is sent for it.
      if (!(await this.env.services.lists.get(listId))) continue;
      // Under the list's lock no sender is between its rename and its trigger.
      await withDigestLock(this.env.config, listId, async () => {
        const queued = await this.queuedIssues(listId);
        for (const name of await readdir(dir)) {
          if (name.endsWith(SENT_SUFFIX) && !existsSync(join(dir, name.slice(0, -SENT_SUFFIX.length)))) {
            await rm(join(dir, name), { force: true });
            continue;
          }
          const m = ISSUE_FILE.exec(name);
          if (!m || queued.has(`${Number(m[1])}.${Number(m[2])}`)) continue;
          if (existsSync(join(dir, name + SENT_SUFFIX))) {
            await rm(join(dir, name), { force: true });
            await rm(join(dir, name + SENT_SUFFIX), { force: true });
          } else {
            this.log.warn({ list: listId, issue: name }, 'digest issue never queued; queueing it');
            await queueIssue(this.env.services, listId, Number(m[1]), Number(m[2]));
          }
        }
      });
    }
  }
}

/** The first line of a file, read no further than TRIGGER_HEAD bytes. */
async function readHead(path: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(TRIGGER_HEAD);
    const { bytesRead } = await fh.read(buf, 0, TRIGGER_HEAD, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const nl = text.indexOf('\n');
    return nl < 0 ? undefined : text.slice(0, nl);
  } finally {
    await fh.close();
  }
}
