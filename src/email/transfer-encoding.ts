// Content-Transfer-Encoding, both ways: the one quoted-printable codec (libqp) and the one
// base64 codec (libbase64) every part of the server decodes and re-encodes bodies with.
import libqp from 'libqp';
import libbase64 from 'libbase64';

/** The encodings whose bytes are the content itself. */
const IDENTITY = new Set(['7bit', '8bit', 'binary']);

/** A part's Content-Transfer-Encoding value, lower case; 7bit when there is none. */
export function normalizeEncoding(value: string | undefined): string {
  return (value ?? '').trim().toLowerCase() || '7bit';
}

/** Whether a body in this encoding can be decoded (and so edited and re-encoded faithfully). */
export function isKnownEncoding(cte: string): boolean {
  return IDENTITY.has(cte) || cte === 'base64' || cte === 'quoted-printable';
}

/**
 * The body with its transfer encoding undone. Quoted-printable follows RFC 2045: white space
 * between a soft break's "=" and the line end is transport padding and goes, white space before
 * the "=" is content and stays, a malformed escape is kept as written. Base64 skips what is not
 * in its alphabet. An unknown encoding is read as the bytes themselves, as mail readers do.
 */
export function decodeTransfer(body: Buffer, cte: string): Buffer {
  if (cte === 'base64') return libbase64.decode(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''));
  if (cte === 'quoted-printable') return libqp.decode(body);
  return body;
}

/**
 * Bytes encoded for a part declaring `cte`, with `nl` line ends. Base64 lines are 76 wide and
 * the last one ends with `nl`; quoted-printable keeps the text's own line breaks as hard ones.
 */
export function encodeTransfer(bytes: Buffer, cte: string, nl: string): Buffer {
  if (cte === 'base64') {
    const b64 = libbase64.wrap(libbase64.encode(bytes), 76).replace(/\r?\n/g, nl);
    return Buffer.from(b64 === '' || b64.endsWith(nl) ? b64 : b64 + nl, 'latin1');
  }
  if (cte === 'quoted-printable') return Buffer.from(encodeQpLines(bytes, nl), 'latin1');
  return bytes;
}

/** Line by line, so each hard break stays the part's own line end (libqp's soft breaks are CRLF). */
function encodeQpLines(bytes: Buffer, nl: string): string {
  return bytes
    .toString('latin1')
    .split(/\r?\n/)
    .map((line) => libqp.wrap(libqp.encode(Buffer.from(line, 'latin1')), 76).replace(/\r\n/g, nl))
    .join(nl);
}
