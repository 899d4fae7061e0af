// `decorate`: the list's header and footer, added by the out runner to each copy it sends
// (with the member's own values in a personalized list), so it is registered as a per-copy
// handler. A pipeline naming it is warned (MM505) and the step leaves the message alone.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'decorate',
  description: "Add the list's header and footer; applied by the out runner to each copy, not a pipeline step.",
  perCopy: true,
  process() {
    // The out runner decorates each copy (runners/out.ts); decorating here would do it twice.
  },
});
