// Topics: a list may name topics by regular expression; a post whose Subject, Keywords or
// first header-like body lines match is tagged with X-Topics. Mailman stores topics but
// filters no member by them, and neither do we.
import { defineHandler } from '../../registry.js';
import type { Message } from '../../email/message.js';
import { firstTextPlain } from '../../email/mime-tree.js';
import { logger } from '../../logging.js';
import { tryPattern, type Pattern } from '../../patterns/patterns.js';
import { HEADER_PATTERN } from '../../patterns/setting-patterns.js';

export interface Topic {
  name: string;
  pattern: Pattern;
}

/** The list's `topics` setting: one `NAME: REGEX` per line; bad lines are logged and skipped. */
export function parseTopics(text: string, listId = ''): Topic[] {
  const topics: Topic[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const colon = t.indexOf(':');
    if (colon <= 0) {
      logger('error').warn({ list: listId, line: t }, 'topic line is not "NAME: REGEX"');
      continue;
    }
    // Mailman joins a topic's pattern lines with | and matches ignoring case.
    const source = t
      .slice(colon + 1)
      .trim()
      .split(/\s*\n\s*/)
      .join('|');
    const pattern = tryPattern(source, HEADER_PATTERN, (why) =>
      logger('error').warn({ list: listId, line: t, err: why }, 'bad topic regex'),
    );
    if (pattern) topics.push({ name: t.slice(0, colon).trim(), pattern });
  }
  return topics;
}

/**
 * The first `limit` lines that look like headers in the first text/plain part (0: none,
 * negative: all), read decoded so a quoted-printable or base64 body is matched as it reads.
 */
function bodyHeaderLines(msg: Message, limit: number): string[] {
  if (limit === 0) return [];
  const part = firstTextPlain(msg.mime());
  if (!part) return [];
  const lines = part.decodedText().split(/\r?\n/);
  const out: string[] = [];
  for (const line of lines) {
    if (limit > 0 && out.length >= limit) break;
    if (line.trim() === '') {
      if (out.length) break;
      continue;
    }
    if (!/^[\w-]+:/.test(line)) break;
    out.push(line.slice(line.indexOf(':') + 1).trim());
  }
  return out;
}

export default defineHandler({
  name: 'tagger',
  description: "Tag a post with X-Topics when it matches one of the list's topics (topics_enabled).",
  process({ mlist, msg, msgdata }) {
    if (!mlist.topics_enabled) return;
    const topics = parseTopics(String(mlist.topics ?? ''), mlist.list_id);
    if (topics.length === 0) return;
    const texts = [
      ...msg.getAll('subject'),
      ...msg.getAll('keywords'),
      ...bodyHeaderLines(msg, Number(mlist.topics_bodylines_limit ?? 5)),
    ];
    const hits = topics.filter((t) => texts.some((x) => t.pattern.test(x))).map((t) => t.name);
    if (hits.length === 0) return;
    msgdata.topichits = hits;
    msg.set('X-Topics', hits.join(', '));
  },
});
