// The list's bounce_matching_headers: one `header: regex` per line, `#` starting a comment.
// Any value of the header that the regex finds a match in (ignoring case) flags the post.
// Lines that cannot be used are logged and skipped.
import { defineRule } from '../../registry.js';
import { logger } from '../../logging.js';
import { senders } from '../senders.js';
import { tryPattern, type Pattern } from '../../patterns/patterns.js';
import { HEADER_PATTERN } from '../../patterns/setting-patterns.js';

export interface HeaderPattern {
  header: string;
  pattern: Pattern;
  line: string;
}

/** The usable lines of a bounce_matching_headers text. */
export function parseBounceMatchingHeaders(text: string, listId?: string): HeaderPattern[] {
  const out: HeaderPattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const header = colon < 0 ? '' : line.slice(0, colon).trim().toLowerCase();
    const source = colon < 0 ? '' : line.slice(colon + 1).trim();
    if (!header || !source) {
      logger('vette').warn({ list: listId, line }, `bad bounce_matching_headers line: ${line}`);
      continue;
    }
    const pattern = tryPattern(source, HEADER_PATTERN, (why) =>
      logger('vette').warn({ list: listId, line, err: why }, `bad regex in bounce_matching_headers: ${line}`),
    );
    if (pattern) out.push({ header, pattern, line });
  }
  return out;
}

export default defineRule({
  name: 'suspicious-header',
  description: "A header matches one of the list's bounce_matching_headers lines.",
  record: true,
  check(ctx) {
    const text = typeof ctx.mlist.bounce_matching_headers === 'string' ? ctx.mlist.bounce_matching_headers : '';
    for (const { header, pattern } of parseBounceMatchingHeaders(text, ctx.mlist.list_id)) {
      if (ctx.msg.getAll(header).some((v) => pattern.test(v))) {
        return {
          hit: true,
          reasons: [`Header "${header}" matched a bounce_matching_headers line`],
          msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
        };
      }
    }
    return { hit: false };
  },
});
