// STAND-IN, replaced at merge: the list's header filters (`list.header_matches`) come from
// the database, which another branch adds. This stand-in declares the same name and row
// fields so chains/header-match.chain compiles on this branch; it has no rows.
import { registry } from '../../registry.js';

registry.linkSources.register({
  name: 'list.header_matches',
  description: "The list's header filters, in position order (stand-in: none yet).",
  fields: { header: 'string', pattern: 'string', suffix: 'string', action: 'action' },
  rows: () => [],
});
