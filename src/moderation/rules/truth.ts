import { registry } from '../../registry.js';

registry.rules.register({
  name: 'truth',
  description: 'Always hits; the condition of an unconditional link.',
  record: false,
  check() {
    return { hit: true };
  },
});
