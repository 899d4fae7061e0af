import { defineRule } from '../../registry.js';

export default defineRule({
  name: 'truth',
  description: 'Always hits; the condition of an unconditional link.',
  record: false,
  check() {
    return { hit: true };
  },
});
