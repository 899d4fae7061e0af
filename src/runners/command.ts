// The `command` runner: mail to -request, -join, -leave and -confirm+TOKEN. Each command line
// (runners/command-lines.ts) runs the email command it names (src/commands/), and the sender
// gets "The results of your email commands" from -bounces: what each command said, the lines
// left unprocessed after one that stopped, and the lines past the limit. Mail to -join, -leave
// and -confirm gets that reply only when a command asks for one (an error, a bad token).
import { QueueRunner, type QueueItem, type RunnerEnv } from './runner.js';
import {
  emailCommandNamed,
  type CommandResults,
  type ComponentRegistry,
  type EmailCommand,
  type EmailCommandContext,
} from '../registry.js';
import { commandLines, commandWords, type CommandLines } from './command-lines.js';
import { sendNotice } from '../services/notices.js';
import { autorespond } from '../services/replybot.js';
import { isBulkMail } from '../email/notice.js';
import { listAddresses } from '../model/list-addresses.js';
import type { Message } from '../email/message.js';

/** Original header values quoted in the reply are cut here. */
const MAX_QUOTED_HEADER = 200;
const REPLY_SUBJECT = 'The results of your email commands';

class Results implements CommandResults {
  readonly lines: string[] = [];
  asked = false;
  private readonly seen = new Set<string>();
  say(text: string): void {
    this.lines.push(text);
  }
  respond(): void {
    this.asked = true;
  }
  firstTime(kind: string, key: string): boolean {
    const k = `${kind}\0${key}`;
    if (this.seen.has(k)) return false;
    this.seen.add(k);
    return true;
  }
}

export class CommandRunner extends QueueRunner {
  constructor(
    env: RunnerEnv,
    private readonly commands: ComponentRegistry<EmailCommand>,
    slice: number,
    count: number,
  ) {
    super(env, 'command', slice, count);
  }

  protected async dispose({ msg, msgdata, mlist }: QueueItem): Promise<void> {
    const { services, config } = this.env;
    if (isBulkMail((n) => msg.get(n))) {
      this.log.info({ list: mlist.list_id, message_id: msg.messageId }, 'bulk mail to a command address dropped');
      return;
    }
    // A vacation or other automatic reply (RFC 3834) to a confirmation request must not confirm
    // a subscription nobody asked for, nor start a conversation between two robots.
    const auto = (msg.get('auto-submitted') ?? '').trim().toLowerCase();
    if (auto && auto !== 'no' && (msg.get('x-ack') ?? '').trim().toLowerCase() !== 'yes') {
      this.log.info({ list: mlist.list_id, message_id: msg.messageId }, 'automatic mail to a command address dropped');
      return;
    }
    // Mail to -request may get the list's auto-response first; respond_and_discard ends it there.
    if (msgdata.to_request && !(await autorespond(services, mlist, msg, msgdata, 'request'))) {
      this.log.info({ list: mlist.list_id, message_id: msg.messageId }, 'request auto-answered and discarded');
      return;
    }
    const script = commandLines(msg, msgdata, config.int('mailman', 'email_commands_max_lines'));
    const results = new Results();
    for (const note of script.notes) results.say(note);
    const sender = msg.senders(services.senderHeaders)[0];
    const ctx: EmailCommandContext = { mlist, msg, msgdata, services, results, commands: this.commands, sender };
    let next = 0;
    while (next < script.lines.length) {
      const line = script.lines[next++];
      const words = commandWords(line);
      if (!words.length) continue;
      results.say(`> ${line}`);
      // "Re: confirm TOKEN": a reply's prefix comes before the command.
      let command = emailCommandNamed(this.commands, words[0]);
      let args = words.slice(1);
      if (!command && words.length > 1) {
        command = emailCommandNamed(this.commands, words[1]);
        args = words.slice(2);
      }
      if (!command) {
        results.say(`No such command: ${words[0]}`);
        continue;
      }
      if ((await command.process(ctx, args)) === 'stop') break;
    }
    this.log.info(
      { list: mlist.list_id, message_id: msg.messageId, sender, commands: next, lines: script.lines.length },
      'email commands processed',
    );
    if (script.implicit && !results.asked) return;
    if (!sender) {
      this.log.warn({ list: mlist.list_id, message_id: msg.messageId }, 'email commands without a sender: no reply');
      return;
    }
    await sendNotice(services, mlist, {
      from: listAddresses(mlist).bounces,
      to: sender,
      subject: REPLY_SUBJECT,
      text: replyText(msg, results.lines, script.lines.slice(next), script),
      headers: { 'Auto-Submitted': 'auto-replied', ...inReplyTo(msg) },
    });
  }
}

function quoted(msg: Message, name: string): string {
  const value = msg.get(name) ?? '';
  return value.length > MAX_QUOTED_HEADER ? `${value.slice(0, MAX_QUOTED_HEADER)}...` : value;
}

/** Threads the reply under the message it answers, when that message has a sane Message-ID. */
function inReplyTo(msg: Message): Record<string, string> {
  const id = msg.messageId;
  return id && id.length <= MAX_QUOTED_HEADER && /^<[^<>\s]+>$/.test(id) ? { 'In-Reply-To': id } : {};
}

/** The reply's text, in Mailman's sections. */
export function replyText(msg: Message, results: string[], unprocessed: string[], script: CommandLines): string {
  const out = [
    'The results of your email command are provided below.',
    '',
    '- Original message details:',
    `    From: ${quoted(msg, 'from')}`,
    `    Subject: ${quoted(msg, 'subject')}`,
    `    Date: ${quoted(msg, 'date')}`,
    `    Message-ID: ${quoted(msg, 'message-id')}`,
    '',
    '- Results:',
    ...results,
  ];
  const left = unprocessed.filter((l) => l.trim() !== '');
  if (left.length) out.push('', '- Unprocessed:', ...left);
  if (script.ignored.length) {
    out.push('', '- Ignored:', ...script.ignored);
    if (script.moreIgnored) out.push(`(and ${script.moreIgnored} more lines)`);
  }
  out.push('', '- Done.', '');
  return out.join('\n');
}
