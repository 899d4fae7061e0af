// MHonArc, or any program that archives one post read from its standard input. The command is
// split into words and run without a shell, each word's $placeholders filled in after the
// split, so a list name can never become an option or a second command. A command that fails
// or overruns `timeout` has not archived the post.
import { execFile } from 'node:child_process';
import { defineArchiver, type ArchiverContext } from '../registry.js';
import { archiveUrl, directoryUrl, messageHashOf } from '../email/archive-urls.js';
import { listAddresses } from '../model/list-addresses.js';
import type { MailingList } from '../model/entities.js';
import { logger } from '../logging.js';

/** Output kept from the command for the log; more is cut off there. */
const MAX_OUTPUT = 64 << 10;
const DEFAULT_BASE_URL = 'http://$hostname/archives/$fqdn_listname';

/** The $names a base_url or command may use (Mailman's, and the list's own names). */
function placeholders({ config }: ArchiverContext, mlist: MailingList): Record<string, string> {
  const posting = listAddresses(mlist).posting;
  return {
    hostname: mlist.mail_host,
    mail_host: mlist.mail_host,
    fqdn_listname: posting,
    listname: posting,
    list_name: mlist.list_name,
    list_id: mlist.list_id,
    var_dir: config.varDir,
    archive_dir: config.path('paths', 'archive_dir'),
  };
}

function expand(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{?(\w+)\}?/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name] : whole,
  );
}

/** The words of a command line: whitespace separates them, single or double quotes group them. */
function commandWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

function listUrl(ctx: ArchiverContext, mlist: MailingList): string {
  return expand(ctx.setting('base_url') || DEFAULT_BASE_URL, placeholders(ctx, mlist));
}

export default defineArchiver({
  name: 'mhonarc',
  description: 'Runs the configured command (MHonArc) with each post on its standard input.',
  listUrl,
  permalink(ctx, mlist, msg) {
    const hash = messageHashOf(msg);
    return hash ? archiveUrl(directoryUrl(listUrl(ctx, mlist)), hash) : undefined;
  },
  async archiveMessage(ctx, mlist, msg) {
    const line = ctx.setting('command');
    if (!line.trim()) throw new Error('[archiver.mhonarc] has no command (in the section or its configuration file)');
    const values = placeholders(ctx, mlist);
    const [file, ...args] = commandWords(line).map((w) => expand(w, values));
    const log = logger('archiver').child({ archiver: 'mhonarc', list: mlist.list_id, message_id: msg.messageId });
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        file,
        args,
        { timeout: ctx.timeoutMs, maxBuffer: MAX_OUTPUT, killSignal: 'SIGKILL', encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (stdout.trim()) log.info({ stdout: stdout.slice(0, MAX_OUTPUT) }, 'command output');
          if (stderr.trim()) log.warn({ stderr: stderr.slice(0, MAX_OUTPUT) }, 'command error output');
          if (err) reject(new Error(`${file} failed: ${err.message.split('\n')[0]}`));
          else resolve();
        },
      );
      // A command that exits without reading all of the post gives EPIPE here; its exit status says how it went.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(msg.toBuffer());
    });
  },
});
