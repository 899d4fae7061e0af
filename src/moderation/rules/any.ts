// Collects the deferred checks: true when any rule recorded a hit so far.
import { defineRule } from '../../registry.js';

export default defineRule({
  name: 'any',
  description: 'Any earlier rule hit.',
  record: false,
  check({ msgdata }) {
    const hits = msgdata.rule_hits;
    return { hit: Array.isArray(hits) && hits.length > 0 };
  },
});
