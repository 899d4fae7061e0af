// Takes parts of the given types out of a post: `strip-parts(types: ["text/html"])` leaves
// the plain alternative of an HTML mail, `strip-parts(types: ["image"])` every image
// attachment. A type is a full type or a main type alone. What the removal leaves follows
// content filtering's shape: a multipart left with one part becomes that part (never
// multipart/signed, whose signature covers it as it is), and an emptied one goes. The post's
// own body is never removed: a message that is only an HTML part stays as it is.
import { defineHandler } from '../../registry.js';
import type { MimePart } from '../../email/mime-tree.js';

const TYPE = /^[a-z0-9!#$&^_.+-]{1,64}(\/[a-z0-9!#$&^_.+-]{1,64})?$/;

function typesProblem(value: string | string[]): string | undefined {
  const types = Array.isArray(value) ? value : [value];
  if (types.length === 0) return 'name at least one type, as in ["text/html"]';
  for (const t of types) {
    const type = t.toLowerCase();
    if (!TYPE.test(type)) return `"${t}" is not a content type (as text/html, or image)`;
    if (type === 'multipart' || type.startsWith('multipart/') || type === 'message' || type === 'message/rfc822')
      return `${t} holds other parts; name the types of the parts to take out`;
  }
  return undefined;
}

function matches(part: MimePart, types: Set<string>): boolean {
  return types.has(part.type) || types.has(part.mainType);
}

/** Takes matching parts out below `part`; false when nothing of it is left. */
function strip(part: MimePart, types: Set<string>): boolean {
  if (!part.isContainer) return true;
  const before = part.children!;
  const kept = before.filter((sub) => !matches(sub, types) && strip(sub, types));
  if (kept.length === 0) return false;
  if (kept.length !== before.length) part.setChildren(kept);
  if (kept.length === 1 && part.type.startsWith('multipart/') && part.type !== 'multipart/signed')
    part.replaceWith(kept[0]!);
  return true;
}

export default defineHandler({
  name: 'strip-parts',
  description: 'Remove the MIME parts of the given types (e.g. ["text/html"], ["image"]) from the post.',
  params: [
    {
      name: 'types',
      type: 'string-list',
      required: true,
      description: 'content types or main types, as ["text/html", "image"]',
      check: typesProblem,
    },
  ],
  process({ msg }, args) {
    const list = Array.isArray(args.types) ? args.types.map(String) : [String(args.types ?? '')];
    const why = typesProblem(list);
    if (why) throw new Error(`strip-parts: ${why}`);
    const root = msg.mime();
    if (!root.isContainer) return;
    if (!strip(root, new Set(list.map((t) => t.toLowerCase())))) return;
    root.commit();
  },
});
