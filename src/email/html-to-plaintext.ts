// HTML to plain text for a list's convert_html_to_plaintext, with html-to-text in-process
// rather than an external program (Mailman runs lynx): nothing to install, nothing to spawn
// per part. Hostile HTML is bounded by the converter's own limits: input length, nesting
// depth and children per element; what lies beyond them is cut, not walked.
import { convert } from 'html-to-text';

/** Past this many characters of HTML the rest is dropped (with an ellipsis) rather than converted. */
export const MAX_HTML_CHARS = 4 << 20;
/** Elements nested deeper than this are not descended into; a real page nests a few dozen. */
export const MAX_HTML_DEPTH = 256;
const MAX_CHILDREN = 20_000;

export function htmlToPlainText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    limits: {
      maxInputLength: MAX_HTML_CHARS,
      maxDepth: MAX_HTML_DEPTH,
      maxChildNodes: MAX_CHILDREN,
      ellipsis: '...',
    },
    selectors: [
      // Links keep their target, once: "text [https://…]"; a link whose text is its URL shows it once.
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      // Images have no text; their alt says what they were.
      { selector: 'img', format: 'skip' },
    ],
  });
}
