// echo: answers with the words it was given, so a sender can see that -request reads its mail.
import { defineEmailCommand } from '../registry.js';

export default defineEmailCommand({
  name: 'echo',
  description: 'Send the words after the command back, unchanged.',
  argumentSyntax: '[words]',
  process({ results }, args) {
    results.say(['echo', ...args].join(' '));
    return 'continue';
  },
});
