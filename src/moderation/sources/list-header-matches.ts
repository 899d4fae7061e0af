// `for r in list.header_matches`: the list's header filters, one row per filter in position
// order. The suffix names the rule's record (`header-match-ant.example.com-0`), as Mailman's
// per-list header-match rules are named; a null action means [antispam] jump_chain.
import { defineLinkSource } from '../../registry.js';

export default defineLinkSource({
  name: 'list.header_matches',
  description: "The list's header filters (header, pattern, action), in position order.",
  fields: { header: 'string', pattern: 'string', suffix: 'string', action: 'action' },
  async rows(ctx) {
    const rows = await ctx.services.headerMatches.list(ctx.mlist);
    return rows.map((row, index) => ({
      header: row.header,
      pattern: row.pattern,
      suffix: `${ctx.mlist.list_id}-${index}`,
      action: row.chain ?? null,
    }));
  },
});
