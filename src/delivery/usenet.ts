// The copy of a post that goes to news, made from the list's copy as Mailman's nntp runner
// makes it: news has rules mail does not (one To, one MIME-Version, a Message-ID without
// spaces, no trace headers of another server), and a moderated group takes only approved
// articles. Pure: the nntp runner calls it before each attempt, on the message as queued.
import type { Config } from '../config/config.js';
import { Message, makeMessageId } from '../email/message.js';
import { listAddresses } from '../model/list-addresses.js';
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';
import type { NntpOptions } from '../mta/nntp-client.js';

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

/** The [nntp] settings the copy depends on, read once per runner. */
export interface NewsRules {
  removeHeaders: string[];
  /** Header → the name its second and later occurrences take. */
  rewriteDuplicates: [string, string][];
}

export function newsRules(config: Config): NewsRules {
  const removeHeaders = config.get('nntp', 'remove_headers').toLowerCase().split(/\s+/).filter(Boolean);
  return { removeHeaders, rewriteDuplicates: duplicatePairs(config.get('nntp', 'rewrite_duplicate_headers')) };
}

/** `[nntp] rewrite_duplicate_headers`: HEADER NEWNAME pairs, one a line (any whitespace separates). */
export function duplicatePairs(value: string): [string, string][] {
  const words = value.split(/\s+/).filter(Boolean);
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < words.length; i += 2) pairs.push([words[i], words[i + 1]]);
  return pairs;
}

/** The article to post: a new message, the queued one untouched. */
export function prepareForNews(raw: Buffer, mlist: MailingList, msgdata: MsgData, rules: NewsRules): Message {
  const msg = new Message(raw);
  // A moderated group takes an article only with Approved; the list has done the approving.
  if (mlist.newsgroup_moderation === 'moderated' || mlist.newsgroup_moderation === 'open_moderated') {
    msg.remove('approved');
    msg.add('Approved', listAddresses(mlist).posting);
  }
  const stripped = msgdata.stripped_subject ?? msgdata.original_subject;
  if (!mlist.nntp_prefix_subject_too && typeof stripped === 'string') msg.set('Subject', stripped);
  // The linked group alone: a mail poster's own Newsgroups header must not cross-post through
  // the list into groups the list owner never chose.
  msg.set('Newsgroups', mlist.linked_newsgroup);
  // Ours when a first attempt found its Message-ID taken by another article (nntp runner).
  const assigned = typeof msgdata.nntp_message_id === 'string' ? msgdata.nntp_message_id : undefined;
  const messageId = assigned ?? (msg.messageId ?? '').replace(/\s+/g, '');
  msg.set('Message-ID', /^<[^<>@]+@[^<>@]+>$/.test(messageId) ? messageId : makeMessageId(mlist.mail_host));
  if (!msg.has('lines')) msg.set('Lines', String(lineCount(msg.body)));
  // A path of hosts the article never passed through; the news server starts its own.
  msg.remove('path');
  for (const name of rules.removeHeaders) msg.remove(name);
  for (const [name, rename] of rules.rewriteDuplicates) {
    const lines = msg.rawLines(name);
    if (lines.length < 2) continue;
    msg.setRawLine(name, lines[0]);
    msg.addRawLines(
      rename,
      lines.slice(1).map((line) => `${rename}:${line.slice(line.indexOf(':') + 1)}`),
    );
  }
  return msg;
}

function lineCount(body: Buffer): number {
  if (body.length === 0) return 0;
  let n = 0;
  for (const byte of body) if (byte === 0x0a) n++;
  return body[body.length - 1] === 0x0a ? n : n + 1;
}
