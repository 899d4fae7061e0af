// A process of its own that appends posts to a list's digest mailbox, as a pipeline runner's
// to-digest does: the digest race test runs several against one list while it sends issues.
// Run as: node digest-appender.js CONFIG_FILE LIST_ID NAME COUNT. Not a test file itself.
import { Config } from '../../src/config/config.js';
import { appendToDigest } from '../../src/services/digests.js';
import { mmdfEntry } from '../../src/email/mmdf.js';

const [file, listId, name, count] = process.argv.slice(2);
const config = Config.load({ file });
for (let i = 0; i < Number(count); i++) {
  const raw = `From: ${name}@example.org\r\nSubject: ${name} ${i}\r\nMessage-ID: <${name}.${i}@example.org>\r\n\r\nPost ${i}.\r\n`;
  await appendToDigest(config, listId, mmdfEntry(Buffer.from(raw)));
}
