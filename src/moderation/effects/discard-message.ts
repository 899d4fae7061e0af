import { registry } from '../../registry.js';
import { vette } from '../vette.js';

registry.effects.register({
  name: 'discard-message',
  description: 'Drop the message; only the vette log keeps a trace.',
  async run(ctx) {
    vette(ctx, 'DISCARD');
  },
});
