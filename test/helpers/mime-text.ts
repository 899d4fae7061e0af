// The text of a notice the server wrote (MailComposer: one text/plain part, possibly inside a
// multipart), decoded from its transfer encoding, so tests can read what a person would.
import { Message } from '../../src/email/message.js';

export function plainText(raw: Buffer): string {
  const msg = new Message(raw);
  const type = msg.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return decodePart(msg);
  for (const chunk of msg.body.toString('latin1').split(`--${boundary}`).slice(1)) {
    const part = new Message(Buffer.from(chunk.replace(/^\r?\n/, ''), 'latin1'));
    if (/^text\/plain/i.test(part.get('content-type') ?? '')) return decodePart(part);
  }
  throw new Error('no text/plain part');
}

function decodePart(part: Message): string {
  const cte = (part.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body = part.body.toString('latin1');
  let bytes: Buffer;
  if (cte === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (cte === 'quoted-printable')
    bytes = Buffer.from(
      body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  else bytes = Buffer.from(body, 'latin1');
  return bytes.toString('utf8');
}
