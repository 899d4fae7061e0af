// The site's header checks, `[antispam] header_checks`: one `Header: regex` per line. Each line
// is a row for `for c in site.antispam.header_checks` (chains/header-match.chain), its suffix
// `config-N` with N the line's index counting blank lines, as Mailman numbers them. A line
// without a colon is skipped with a log line, so one typo does not disable the others.
import { defineLinkSource, type MessageContext } from '../../registry.js';
import { logger } from '../../logging.js';
import { parseHeaderChecks } from '../../patterns/setting-patterns.js';

export { parseHeaderChecks, type HeaderCheckRow } from '../../patterns/setting-patterns.js';

export default defineLinkSource({
  name: 'site.antispam.header_checks',
  description: 'The [antispam] header_checks lines of the site configuration.',
  fields: { header: 'string', pattern: 'string', suffix: 'string', action: 'action' },
  rows(ctx: MessageContext) {
    return parseHeaderChecks(ctx.services.config.get('antispam', 'header_checks'), (m) => logger('error').warn(m));
  },
});
