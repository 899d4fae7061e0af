// Bytes to text in a declared charset, the one way a body's text is read. Charset names and
// tables are libmime's (iconv-lite underneath); undeclared or US-ASCII 8-bit text is read the
// way header bytes are (decodeBytes), since the declaration is what mailers most often omit.
import { decode } from 'libmime/lib/charset';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/**
 * windows-1252's 0x80-0x9F, from the WHATWG Encoding Standard's index; the five bytes it leaves
 * undefined stay their C1 code points, as WHATWG decodes them. (Node's TextDecoder reads
 * "windows-1252" as ISO-8859-1, and iconv-lite turns those five into U+FFFD.)
 */
const CP1252_HIGH =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

/**
 * Undeclared 8-bit bytes (a binary string, one char per byte) as text. They are UTF-8 when they
 * are valid UTF-8 (RFC 6532; Postfix passes them so with SMTPUTF8). Anything else came from a
 * legacy client, almost always Western: it is read as windows-1252, the superset of Latin-1's
 * printable range that browsers use for "latin1" too. It maps every byte, so nothing is lost or
 * turned into U+FFFD, and valid UTF-8 is never mistaken for it (stray 8-bit Latin-1 is
 * practically never valid UTF-8).
 */
export function decodeBytes(binary: string): string {
  if (!/[^\x00-\x7f]/.test(binary)) return binary;
  const bytes = Buffer.from(binary, 'binary');
  try {
    return UTF8.decode(bytes);
  } catch {
    return binary.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
  }
}

function undeclared(charset: string | undefined): boolean {
  const cs = (charset ?? '').trim().toLowerCase();
  return cs === '' || cs === 'us-ascii' || cs === 'ascii';
}

/** A body's bytes as text. A charset libmime does not know is read as UTF-8, never refused. */
export function decodeText(bytes: Buffer, charset: string | undefined): string {
  if (undeclared(charset)) return decodeBytes(bytes.toString('latin1'));
  try {
    return decode(bytes, charset!.trim());
  } catch {
    return bytes.toString('utf8');
  }
}

/**
 * The text only when every byte is valid in the charset, else undefined: for rewriting a body
 * in another charset, where a guess would corrupt what the reader sees.
 */
export function decodeTextStrictly(bytes: Buffer, charset: string): string | undefined {
  try {
    return new TextDecoder(charset.trim().toLowerCase(), { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
