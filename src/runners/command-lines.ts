// Which lines of a message to -request are commands, as Mailman reads them: mail to -join,
// -leave or -confirm+TOKEN is one implicit command; any other is its Subject (decoded, ASCII
// only), then the first text/plain part, line by line, up to [mailman] email_commands_max_lines
// lines that count (blank and quoted lines do not), the rest "Ignored". Everything is bounded:
// what is scanned, how long a line is, how many words it has, how many ignored lines are listed.
import type { Message } from '../email/message.js';
import type { MsgData } from '../queue/qfile.js';
import { firstTextPlain } from '../email/mime-tree.js';
import { APPROVED_HEADERS } from '../moderation/rules/approved.js';

/** However the site sets email_commands_max_lines, no message runs more commands than this. */
export const MAX_COMMAND_LINES = 100;
/** A command line is cut here: no command takes more. */
export const MAX_LINE_CHARS = 500;
/** Words of a line looked at: a command word (after a possible "Re:") and its arguments. */
export const MAX_WORDS = 12;
/** Of the text/plain part, only this much is read. */
export const MAX_SCANNED_CHARS = 64 * 1024;
/** Ignored lines quoted back in the reply; the others are counted. */
export const MAX_IGNORED_LISTED = 20;

export const NON_TEXT_NOTE = 'Ignoring non-text/plain MIME parts';

export interface CommandLines {
  /** The lines to run, in order, trimmed. */
  lines: string[];
  /** Lines past the limit, trimmed, at most MAX_IGNORED_LISTED of them. */
  ignored: string[];
  /** Further ignored lines, not listed. */
  moreIgnored: number;
  /** Said before any command's results. */
  notes: string[];
  /** Mail to -join, -leave or -confirm+TOKEN: a reply only when a command asks for one. */
  implicit: boolean;
}

/** The implicit command of mail to a sub-address that is one, else undefined. */
function implicitCommand(msgdata: MsgData): string | undefined {
  if (msgdata.subaddress === 'join') return 'join';
  if (msgdata.subaddress === 'leave') return 'leave';
  if (msgdata.subaddress === 'confirm') {
    // A token of the wrong shape was not kept: `confirm` alone, which answers that it did not match.
    const token = typeof msgdata.confirm_token === 'string' ? msgdata.confirm_token : '';
    return `confirm ${token}`.trim();
  }
  return undefined;
}

/** A line with a moderator password is neither run nor quoted back in the reply. */
function isPasswordLine(line: string): boolean {
  const colon = line.indexOf(':');
  return colon > 0 && APPROVED_HEADERS.includes(line.slice(0, colon).trim().toLowerCase());
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
}

/** The command lines of a message, with what was ignored and why. */
export function commandLines(msg: Message, msgdata: MsgData, maxLines: number): CommandLines {
  const out: CommandLines = { lines: [], ignored: [], moreIgnored: 0, notes: [], implicit: false };
  const implicit = implicitCommand(msgdata);
  if (implicit) return { ...out, lines: [implicit], implicit: true };
  // Commands are ASCII: anything else in the Subject is dropped, as Mailman drops it.
  const subject = clip((msg.get('subject') ?? '').replace(/[^\x20-\x7e\t]/g, '').trim());
  if (subject && !isPasswordLine(subject)) out.lines.push(subject);
  const root = msg.mime();
  const part = firstTextPlain(root);
  if (part !== root) out.notes.push(NON_TEXT_NOTE);
  if (!part) return out;
  const limit = Math.max(0, Math.min(maxLines, MAX_COMMAND_LINES));
  let counted = 0;
  for (const raw of part.decodedText().slice(0, MAX_SCANNED_CHARS).split(/\r?\n/)) {
    const line = raw.trim();
    // A quoted reply carries the confirmation it answers; its lines are not the sender's commands.
    if (line === '' || line.startsWith('>') || isPasswordLine(line)) continue;
    if (counted++ < limit) out.lines.push(clip(line));
    else if (out.ignored.length < MAX_IGNORED_LISTED) out.ignored.push(clip(line));
    else out.moreIgnored++;
  }
  return out;
}

/** A command line as words: lower-cased, split on white space, at most MAX_WORDS of them. */
export function commandWords(line: string): string[] {
  return line.toLowerCase().split(/\s+/).filter(Boolean).slice(0, MAX_WORDS);
}
