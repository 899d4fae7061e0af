// A post that is really an email command sent to the wrong address ("unsubscribe" to the
// whole list). Looks at the Subject, then at the first non-blank lines of the first
// text/plain part, up to [mailman] email_commands_max_lines: a line counts when its first
// word is a command word and the number of words after it is within that command's range.
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';
import { firstTextPlain } from '../../email/mime-tree.js';

/** Command word -> [fewest, most] arguments, as Mailman's administrivia check knows them. */
export const COMMAND_WORDS: Readonly<Record<string, readonly [number, number]>> = {
  confirm: [1, 1],
  help: [0, 0],
  info: [0, 0],
  lists: [0, 0],
  options: [0, 0],
  password: [2, 2],
  remove: [0, 0],
  set: [3, 3],
  subscribe: [0, 3],
  unsubscribe: [0, 1],
  who: [0, 2],
};

function looksLikeCommand(line: string): boolean {
  const words = line.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  const range = Object.prototype.hasOwnProperty.call(COMMAND_WORDS, words[0]) ? COMMAND_WORDS[words[0]] : undefined;
  if (!range) return false;
  const n = words.length - 1;
  return n >= range[0] && n <= range[1];
}

export default defineRule({
  name: 'administrivia',
  description: 'The message looks like an email command (subscribe, unsubscribe ...) sent to the list.',
  record: true,
  check(ctx) {
    const { mlist, msg, services } = ctx;
    if (!mlist.administrivia) return { hit: false };
    const hit = {
      hit: true,
      reasons: ['Message contains administrivia'],
      msgdata: { moderation_sender: senders(ctx)[0] ?? 'N/A' },
    };
    if (looksLikeCommand(msg.get('subject') ?? '')) return hit;
    const part = firstTextPlain(msg.mime());
    if (!part) return { hit: false };
    const max = services.config ? services.config.int('mailman', 'email_commands_max_lines') : 10;
    let seen = 0;
    for (const line of part.decodedText().split(/\r?\n/)) {
      if (line.trim() === '') continue;
      if (++seen > max) break;
      if (looksLikeCommand(line)) return hit;
    }
    return { hit: false };
  },
});
