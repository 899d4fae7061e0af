// `arc-sign`: ARC signing belongs to each copy as it leaves (the out runner's place, after
// decoration changed the body), so it is registered as a per-copy handler. A pipeline naming
// it is warned (MM505) and the step leaves the message alone.
import { defineHandler } from '../../registry.js';

export default defineHandler({
  name: 'arc-sign',
  description:
    'ARC signing of each copy as it is sent (not implemented yet); belongs to the out runner, not a pipeline step.',
  perCopy: true,
  process() {
    // Signing before the out runner decorates the copy would sign a body that then changes.
  },
});
