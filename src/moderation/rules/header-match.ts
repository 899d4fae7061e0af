// One header filter: every value of `header` in every MIME part (attached messages
// included), RFC 2047-decoded, searched with `pattern` ignoring case. It records as
// `header-match-SUFFIX`, as Mailman names its per-filter rules. A pattern that does not
// compile is logged and misses.
import { defineRule } from '../../registry.js';
import { logger } from '../../logging.js';
import { senders } from '../senders.js';
import { tryPattern } from '../../patterns/patterns.js';
import { HEADER_PATTERN } from '../../patterns/setting-patterns.js';

function compile(pattern: string) {
  return tryPattern(pattern, HEADER_PATTERN, (why) =>
    logger('vette').warn({ pattern, err: why }, `header-match: bad regex ${pattern}`),
  );
}

export default defineRule({
  name: 'header-match',
  description: 'A header, in any MIME part, matches a regex (ignoring case); records as header-match-SUFFIX.',
  record: true,
  params: [
    { name: 'header', type: 'string', required: true, description: 'the header name' },
    {
      name: 'pattern',
      type: 'string',
      required: true,
      description: 'a regex, searched ignoring case',
      pattern: HEADER_PATTERN,
    },
    { name: 'suffix', type: 'string', required: true, description: 'names the record: header-match-SUFFIX' },
  ],
  check(ctx, args) {
    const header = String(args.header ?? '').trim();
    const recordAs = `header-match-${String(args.suffix ?? '')}`;
    const re = header ? compile(String(args.pattern ?? '')) : null;
    if (!re) return { hit: false, recordAs };
    for (const p of ctx.msg.mime().walk()) {
      if (p.msg.getAll(header).some((v) => re.test(v))) {
        return {
          hit: true,
          recordAs,
          // Mailman's words: the header (lower-cased, as Mailman keeps it) and the pattern, quoted.
          reasons: [`Header "${header.toLowerCase()}: ${String(args.pattern ?? '')}" matched a header rule`],
          msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
        };
      }
    }
    return { hit: false, recordAs };
  },
});
