import { defineEffect } from '../../registry.js';
import { vette } from '../vette.js';

export default defineEffect({
  name: 'discard-message',
  description: 'Drop the message; only the vette log keeps a trace.',
  async run(ctx) {
    vette(ctx, 'DISCARD');
  },
});
