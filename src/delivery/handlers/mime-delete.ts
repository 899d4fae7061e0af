// Content filtering, as Mailman's: a post whose own type or file extension the list filters
// (or does not pass) is disposed of by filter_action; otherwise the parts it filters are
// removed, multipart/alternative collapses to its first alternative, and a multipart left
// with one part becomes that part, and with convert_html_to_plaintext each HTML part left
// becomes plain text. Off on every list by default.
import { defineHandler, DiscardMessage, RejectMessage, type MessageContext } from '../../registry.js';
import type { MimePart } from '../../email/mime-tree.js';
import { sendNotice } from '../../services/notices.js';
import { listAddresses } from '../../model/list-addresses.js';
import { logger } from '../../logging.js';
import { VERSION } from '../../version.js';
import { htmlToPlainText } from '../../email/html-to-plaintext.js';

interface Filters {
  filterTypes: Set<string>;
  passTypes: Set<string>;
  filterExts: Set<string>;
  passExts: Set<string>;
}

/** One entry per line (or comma/space separated), lower case; extensions without a leading dot. */
function entries(value: unknown, ext = false): Set<string> {
  return new Set(
    String(value ?? '')
      .split(/[\s,]+/)
      .map((s) => s.trim().toLowerCase())
      .map((s) => (ext ? s.replace(/^\./, '') : s))
      .filter(Boolean),
  );
}

/** Why a part is filtered out, or undefined when it stays. */
function refusal(part: MimePart, f: Filters): string | undefined {
  if (f.filterTypes.has(part.type) || f.filterTypes.has(part.mainType))
    return "The message's content type was explicitly disallowed";
  if (f.passTypes.size && !(f.passTypes.has(part.type) || f.passTypes.has(part.mainType)))
    return "The message's content type was not explicitly allowed";
  const ext = part.extension;
  if (ext && f.filterExts.has(ext)) return "The message's file extension was explicitly disallowed";
  if (ext && f.passExts.size && !f.passExts.has(ext)) return "The message's file extension was not explicitly allowed";
  return undefined;
}

/** Removes filtered subparts, depth first; false when nothing of this container is left. */
function filterParts(part: MimePart, f: Filters): boolean {
  if (!part.isContainer) return true;
  const before = part.children!;
  const kept = before.filter((sub) => filterParts(sub, f) && !refusal(sub, f));
  if (kept.length === 0) return false;
  if (kept.length !== before.length) part.setChildren(kept);
  return true;
}

function collapseAlternatives(part: MimePart): void {
  if (!part.isContainer) return;
  const out: MimePart[] = [];
  let changed = false;
  for (const sub of part.children!) {
    if (sub.type === 'multipart/alternative' && sub.children?.length) {
      if (part.type === 'message/rfc822') {
        // Keep the enclosed message's own headers.
        sub.replaceWith(sub.children[0]);
        out.push(sub);
      } else out.push(sub.children[0]);
      changed = true;
    } else {
      collapseAlternatives(sub);
      out.push(sub);
    }
  }
  if (changed) part.setChildren(out);
}

/** A multipart holding a single part becomes that part (never multipart/signed or a message). */
function recast(part: MimePart): void {
  if (!part.isContainer || part.type === 'multipart/signed') return;
  if (part.children!.length === 1 && part.type !== 'message/rfc822') {
    part.replaceWith(part.children![0]);
    recast(part);
  } else for (const sub of part.children!) recast(sub);
}

/**
 * An HTML part becomes the text a reader would see, as UTF-8; an encoding that cannot carry
 * it (7bit, 8bit for lines that may now be longer) becomes quoted-printable.
 */
function toPlainText(part: MimePart): void {
  const text = htmlToPlainText(part.decodedText()).replace(/\r?\n/g, '\r\n') + '\r\n';
  const name = part.params.name;
  part.msg.set(
    'Content-Type',
    name ? `text/plain; charset="utf-8"; name="${name.replace(/["\\\r\n]/g, '')}"` : 'text/plain; charset="utf-8"',
  );
  if (!['base64', 'quoted-printable'].includes(part.transferEncoding))
    part.msg.set('Content-Transfer-Encoding', 'quoted-printable');
  part.setDecodedBytes(Buffer.from(text, 'utf8'));
}

async function dispose(ctx: MessageContext, why: string): Promise<never> {
  const { mlist, msg, msgdata, services } = ctx;
  const action = String(mlist.filter_action ?? 'discard');
  if (action === 'reject') throw new RejectMessage(why);
  if (action === 'forward' && !ctx.dryRun) {
    const text = [
      `The attached message matched the ${mlist.display_name} mailing list's content filtering`,
      'rules and was not sent on to the list members. This is the only remaining copy of the',
      'discarded message.',
      '',
    ].join('\n');
    const a = listAddresses(mlist);
    await sendNotice(services, mlist, {
      from: a.owner,
      to: a.owner,
      subject: 'Content filter message notification',
      text,
      attach: [msg.toBuffer()],
    });
  } else if (action === 'preserve' && !ctx.dryRun) {
    if (services.config.bool('mailman', 'filtered_messages_are_preservable')) {
      const base = await services.queues.get('bad').enqueue(msg.toBuffer(), { ...msgdata, listid: mlist.list_id });
      logger('vette').info(
        { list: mlist.list_id, message_id: msg.messageId, filebase: base },
        'filtered message preserved',
      );
    }
  }
  throw new DiscardMessage(why);
}

export default defineHandler({
  name: 'mime-delete',
  description: "Filter the post's MIME parts by the list's content filter, when filter_content is on.",
  async process(ctx) {
    const { mlist, msg, msgdata } = ctx;
    if (!mlist.filter_content || msgdata.isdigest) return;
    const f: Filters = {
      filterTypes: entries(mlist.filter_types),
      passTypes: entries(mlist.pass_types),
      filterExts: entries(mlist.filter_extensions, true),
      passExts: entries(mlist.pass_extensions, true),
    };
    const root = msg.mime();
    const outer = refusal(root, f);
    if (outer) await dispose(ctx, outer);
    const partsBefore = [...root.walk()].length;
    if (root.isContainer && !filterParts(root, f)) await dispose(ctx, 'After content filtering, the message was empty');
    if (mlist.collapse_alternatives) {
      collapseAlternatives(root);
      if (root.type === 'multipart/alternative' && root.children?.length) root.replaceWith(root.children[0]);
    }
    recast(root);
    if (mlist.convert_html_to_plaintext)
      for (const part of root.walk()) if (part.type === 'text/html') toPlainText(part);
    if (!root.dirty && [...root.walk()].length === partsBefore) return;
    root.commit();
    msg.set('X-Content-Filtered-By', `Mailman/MimeDel ${VERSION}`);
  },
});
