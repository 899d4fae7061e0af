// end: the rest of the message is not commands (a signature, say), so reading stops here.
import { defineEmailCommand } from '../registry.js';

export default defineEmailCommand({
  name: 'end',
  aliases: ['stop'],
  description: 'Stop reading commands; the lines after it are left unprocessed.',
  argumentSyntax: '',
  process() {
    return 'stop';
  },
});
