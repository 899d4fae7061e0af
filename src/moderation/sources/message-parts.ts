// `for part in message.parts`: one row per leaf MIME part of the message (attachments, text
// parts, the parts of attached messages), in the order a mail reader lists them, as Sieve's
// `foreverypart` walks them. The tree is bounded where it is parsed (src/email/mime-tree.ts);
// the rows stop at MAX_PARTS_VISITED, so a message of a thousand tiny parts costs a chain no
// more than that many passes. Fields are computed on first read, so a chain testing only
// `part.type` never decodes a body.
import { defineLinkSource, type MessageContext } from '../../registry.js';
import { leafParts, partText } from '../../dsl/index.js';

export default defineLinkSource({
  name: 'message.parts',
  description:
    "The message's leaf MIME parts: type, subtype, size (decoded), filename, charset, body (text parts), " +
    'and header "Name".',
  fields: {
    type: 'string',
    subtype: 'string',
    size: 'size',
    filename: 'string',
    charset: 'string',
    body: 'string',
  },
  keyedFields: { header: 'string-list' },
  rows(ctx: MessageContext) {
    return leafParts(ctx.msg).map((part) => {
      const memo = new Map<string, unknown>();
      const once = <T>(key: string, read: () => T): T => {
        if (!memo.has(key)) memo.set(key, read());
        return memo.get(key) as T;
      };
      return {
        get type() {
          return part.type;
        },
        get subtype() {
          return part.type.split('/')[1] ?? '';
        },
        get size() {
          return once('size', () => part.decodedBytes().length);
        },
        get filename() {
          return part.filename;
        },
        get charset() {
          return (part.params.charset ?? '').toLowerCase();
        },
        get body() {
          return once('body', () => partText(part));
        },
        header: (name: string) => part.msg.getAll(name),
      };
    });
  },
});
