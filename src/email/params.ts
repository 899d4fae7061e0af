// Structured MIME header values (Content-Type, Content-Disposition): the value and its
// parameters, read by libmime, which joins RFC 2231 continuations (name*0*, name*1 ...) and
// decodes their charset. Names a sender wrote as RFC 2047 words (as Outlook does in a filename)
// are decoded too, since every mail reader shows them so.
import libmime from 'libmime';

export interface StructuredValue {
  /** The value before the first parameter, lower case (`text/plain`, `attachment`). */
  value: string;
  /** Parameters by lower-cased name, continuations joined, charsets decoded. */
  params: Record<string, string>;
}

/** Longer values are cut here: no real Content-Type comes near it, a hostile one cannot cost more. */
export const MAX_STRUCTURED_VALUE = 16 * 1024;

/** `value; name=param; ...` as libmime reads it; never throws. */
export function parseStructured(raw: string | undefined): StructuredValue {
  if (!raw) return { value: '', params: {} };
  let parsed: { value?: unknown; params?: Record<string, unknown> };
  try {
    parsed = libmime.parseHeaderValue(raw.slice(0, MAX_STRUCTURED_VALUE));
  } catch {
    return { value: '', params: {} };
  }
  const params: Record<string, string> = {};
  for (const [name, v] of Object.entries(parsed.params ?? {})) {
    if (name) params[name.toLowerCase()] = decodeWords(String(v));
  }
  return {
    value: String(parsed.value ?? '')
      .trim()
      .toLowerCase(),
    params,
  };
}

/** RFC 2047 encoded words decoded; a word in a charset libmime cannot read stays as written. */
export function decodeWords(text: string): string {
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/**
 * A part's Content-Type: `type/subtype` and parameters. A missing or unreadable one is the
 * context's default (text/plain, or message/rfc822 inside multipart/digest), as RFC 2045 says.
 */
export function parseContentType(raw: string | undefined, fallback = 'text/plain'): StructuredValue {
  const parsed = parseStructured(raw);
  if (/^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(parsed.value)) return parsed;
  return { value: fallback, params: raw ? parsed.params : {} };
}
