// help: what -request understands, in one line per command, or one command in full.
import { defineEmailCommand, emailCommandNamed, type EmailCommand } from '../registry.js';

function usage(c: EmailCommand): string {
  return c.argumentSyntax ? `${c.name} ${c.argumentSyntax}` : c.name;
}

export default defineEmailCommand({
  name: 'help',
  description: 'List the email commands, or describe one of them.',
  argumentSyntax: '[command]',
  details: 'Without an argument, every command is listed with a line about it.',
  process({ results, commands }, args) {
    if (args.length > 1) {
      results.say(`help: give one command at most, not ${args.length}`);
      results.respond();
      return 'stop';
    }
    if (args.length === 0) {
      for (const c of commands.all()) {
        const also = c.aliases?.length ? ` (also: ${c.aliases.join(', ')})` : '';
        results.say(`${usage(c)}${also}`);
        results.say(`    ${c.description}`);
      }
      return 'continue';
    }
    const command = emailCommandNamed(commands, args[0]);
    if (!command) {
      results.say(`help: No such command: ${args[0]}`);
      results.respond();
      return 'continue';
    }
    results.say(usage(command));
    results.say(`    ${command.description}`);
    if (command.details) results.say(`    ${command.details}`);
    if (command.aliases?.length) results.say(`    Also spelled: ${command.aliases.join(', ')}`);
    return 'continue';
  },
});
