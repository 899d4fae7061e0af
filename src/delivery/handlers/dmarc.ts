// DMARC mitigation for posts whose author's domain publishes p=reject or p=quarantine (the
// dmarc-mitigation rule sets msgdata.dmarc): the list's copies would fail the author's
// DMARC, so the list takes the From. munge_from rewrites From to "NAME via LIST" at the
// posting address; wrap_message sends the original inside a message from the list. The
// author goes to Reply-To (no Reply-To munging) or Cc (otherwise), so replies still reach them.
import { defineHandler, type MessageContext } from '../../registry.js';
import { type ParsedAddress } from '../../email/addresses.js';
import { makeMessageId } from '../../email/message.js';
import { messagePart, multipartBody, newBoundary, textPart } from '../../email/new-part.js';
import { listAddresses } from '../../model/list-addresses.js';

/** Outer headers a wrapped message keeps: prefixes end in '-', the rest are whole names. */
const KEEPERS = [
  'archived-at',
  'date',
  'in-reply-to',
  'list-',
  'precedence',
  'references',
  'subject',
  'to',
  'x-mailman-',
];

function mitigation({ mlist, msgdata }: MessageContext): string | undefined {
  // The rule's msgdata wins over the list setting when a chain or `explain` set it.
  const action = String(msgdata.dmarc_mitigate_action ?? mlist.dmarc_mitigate_action ?? 'no_mitigation');
  if (action !== 'munge_from' && action !== 'wrap_message') return undefined;
  if (mlist.anonymous_list) return undefined;
  if (!msgdata.dmarc && !mlist.dmarc_mitigate_unconditionally) return undefined;
  return action;
}

/** A quoted display name; Message.set encodes it as RFC 2047 words when it is not ASCII. */
function displayAddress(email: string, name: string): string {
  if (!name) return email;
  return `"${name.replace(/["\\]/g, '\\$&')}" <${email}>`;
}

/** The munged From and the header (Reply-To or Cc) that carries the author, as Mailman computes them. */
async function mungedHeaders(ctx: MessageContext): Promise<[string, string][]> {
  const { mlist, msg, msgdata, services } = ctx;
  const froms = msg.addresses('from');
  let author: ParsedAddress;
  if (froms.length === 1) author = froms[0];
  else author = { name: '', email: String(msgdata.original_sender ?? msg.senders(services.senderHeaders)[0] ?? '') };
  let realname = author.name;
  if (!realname) {
    const member = author.email ? await services.members.findMember(mlist.list_id, author.email, 'member') : null;
    realname = member?.display_name || author.email;
  }
  // A name that is itself an address would put the author's domain back in From.
  realname = realname.replace(/@([^ .]+\.)+[^ .]+$/, '---');
  const out: [string, string][] = [
    ['From', displayAddress(listAddresses(mlist).posting, `${realname} via ${mlist.display_name}`)],
  ];
  const carrier = mlist.reply_goes_to_list === 'no_munging' ? 'Reply-To' : 'Cc';
  const existing = msg.addresses(carrier);
  if (author.email && !existing.some((a) => a.email === author.email)) existing.push(author);
  if (existing.length) out.push([carrier, existing.map((a) => displayAddress(a.email, a.name)).join(', ')]);
  return out;
}

async function mungeFrom(ctx: MessageContext): Promise<void> {
  for (const [name, value] of await mungedHeaders(ctx)) ctx.msg.set(name, value);
}

async function wrapMessage(ctx: MessageContext): Promise<void> {
  const { mlist, msg, msgdata } = ctx;
  const original = msg.toBuffer();
  const munged = await mungedHeaders(ctx);
  const keys = [...new Set(msg.names())];
  for (const key of keys) {
    if (!KEEPERS.some((k) => (k.endsWith('-') ? key.startsWith(k) : key === k))) msg.remove(key);
  }
  msg.add('MIME-Version', '1.0');
  msg.add('Message-ID', makeMessageId(mlist.mail_host));
  for (const [name, value] of munged) msg.add(name, value);
  const text = String(mlist.dmarc_wrapped_message_text ?? '');
  if (text && msgdata.dmarc) {
    const boundary = newBoundary();
    msg.add('Content-Type', `multipart/mixed; boundary="${boundary}"`);
    msg.body = multipartBody(boundary, [textPart(text, '\r\n'), messagePart(original, '\r\n')], '\r\n');
  } else {
    msg.add('Content-Type', 'message/rfc822');
    msg.add('Content-Disposition', 'inline');
    msg.body = original;
  }
}

export default defineHandler({
  name: 'dmarc',
  description: 'Apply the DMARC mitigation (munge_from or wrap_message) to posts from DMARC-strict domains.',
  async process(ctx) {
    const action = mitigation(ctx);
    if (action === 'munge_from') await mungeFrom(ctx);
    else if (action === 'wrap_message') await wrapMessage(ctx);
  },
});
