// What `body` and the rows of `message.parts` read of a message's MIME parts
// (docs/language.md#mime-parts-and-bodies): the decoded text of text/* leaves, each bounded so
// a test costs at most a fixed amount of decoding and searching whatever the message holds.
import type { MimePart } from '../email/mime-tree.js';
import type { Message } from '../email/message.js';

/** Characters of one part's text that `part.body` and `body` read; the rest is not searched. */
export const MAX_PART_TEXT = 256 * 1024;
/** Characters of `body`, all text parts together. */
export const MAX_BODY_TEXT = 1024 * 1024;
/** Leaf parts `for part in message.parts` visits, in order; parts past it are not visited. */
export const MAX_PARTS_VISITED = 256;

/** `body` per part tree: the tree is rebuilt when the message is edited, and so is the text. */
const bodies = new WeakMap<MimePart, string>();

/** The leaf parts of a message, parents before children, at most MAX_PARTS_VISITED. */
export function leafParts(msg: Message): MimePart[] {
  const out: MimePart[] = [];
  for (const part of msg.mime().walk()) {
    if (part.isContainer) continue;
    if (out.length >= MAX_PARTS_VISITED) break;
    out.push(part);
  }
  return out;
}

/** A text/* leaf's decoded text, cut at MAX_PART_TEXT; '' for any other part. */
export function partText(part: MimePart): string {
  if (part.isContainer || part.mainType !== 'text') return '';
  try {
    const text = part.decodedText();
    return text.length > MAX_PART_TEXT ? text.slice(0, MAX_PART_TEXT) : text;
  } catch {
    return ''; // a part that does not decode has no text to test
  }
}

/** The decoded text of every text/* leaf, joined by newlines, cut at MAX_BODY_TEXT. */
export function bodyText(msg: Message): string {
  const tree = msg.mime();
  let text = bodies.get(tree);
  if (text !== undefined) return text;
  const pieces: string[] = [];
  let length = 0;
  for (const part of leafParts(msg)) {
    if (length >= MAX_BODY_TEXT) break;
    const piece = partText(part);
    if (piece === '') continue;
    pieces.push(piece.slice(0, MAX_BODY_TEXT - length));
    length += piece.length + 1;
  }
  text = pieces.join('\n');
  bodies.set(tree, text);
  return text;
}
