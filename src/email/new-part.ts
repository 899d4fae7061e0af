// Parts the server adds to a message (a list header or footer, a DMARC wrapper's text and
// the original it carries): headers and transfer encoding chosen by nodemailer's MimeNode, as
// for the notices MailComposer writes, and the body encoded by the one codec in
// transfer-encoding.ts, in the line ends of the message the part goes into.
import { randomBytes } from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node';
import { encodeTransfer } from './transfer-encoding.js';

/** A boundary no part's content contains: random, and with "=" that no base64 line has mid-line. */
export function newBoundary(): string {
  return `===============${randomBytes(12).toString('hex')}==`;
}

/**
 * An inline text/plain part: US-ASCII 7bit when the text is ASCII, else UTF-8 in whichever of
 * quoted-printable and base64 MimeNode finds shorter. The text's last line break is left to
 * the delimiter line that follows the part, as RFC 2046 reads it.
 */
export function textPart(text: string, nl: string): Buffer {
  const ascii = /^[\x00-\x7f]*$/.test(text);
  const node = partNode(`text/plain; charset=${ascii ? 'us-ascii' : 'utf-8'}`);
  // Set first so it is written second, after Content-Type, where readers look for it.
  node.setHeader('Content-Transfer-Encoding', '7bit');
  node.setHeader('Content-Disposition', 'inline');
  const content = text.replace(/\r?\n/g, '\r\n');
  node.setContent(content);
  const cte = String(node.getTransferEncoding() || '7bit');
  const headers = node.buildHeaders().replace(/\r\n/g, nl);
  const body = encodeTransfer(Buffer.from(content, 'utf8'), cte, nl)
    .toString('latin1')
    .replace(/\r?\n$/, '');
  return Buffer.from(`${headers}${nl}${nl}${body.replace(/\r?\n/g, nl)}`, 'latin1');
}

/** Whether any byte has its high bit set: such content may not sit under the 7bit default. */
export function isEightBit(content: Buffer): boolean {
  return content.some((b) => b > 0x7f);
}

/**
 * An inline message/rfc822 part carrying `message` byte for byte, labelled 8bit when the
 * message has 8-bit bytes (RFC 2045 allows a message part only 7bit, 8bit or binary, and
 * 7bit, the default, promises none).
 */
export function messagePart(message: Buffer, nl: string): Buffer {
  const node = partNode('message/rfc822');
  if (isEightBit(message)) node.setHeader('Content-Transfer-Encoding', '8bit');
  node.setHeader('Content-Disposition', 'inline');
  return Buffer.concat([Buffer.from(`${node.buildHeaders().replace(/\r\n/g, nl)}${nl}${nl}`, 'latin1'), message]);
}

/**
 * A multipart body of whole parts. Each delimiter line starts with its own line break (RFC
 * 2046), so every part is carried exactly; the close delimiter ends with `nl`.
 */
export function multipartBody(boundary: string, parts: Buffer[], nl: string): Buffer {
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => chunks.push(Buffer.from(`${i === 0 ? '' : nl}--${boundary}${nl}`, 'latin1'), part));
  chunks.push(Buffer.from(`${nl}--${boundary}--${nl}`, 'latin1'));
  return Buffer.concat(chunks);
}

/** A child of a throwaway root, so MimeNode writes only the part's own Content-* headers. */
function partNode(contentType: string): MimeNode {
  return new MimeNode('multipart/mixed').createChild(contentType);
}
