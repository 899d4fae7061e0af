// The headers every list copy carries: X-Mailman-Version, Precedence, and the Reply-To / Cc
// munging the list owner chose with reply_goes_to_list.
import { defineHandler, MessageContext } from '../../registry.js';
import { MAILMAN_VERSION } from '../../version.js';
import { formatAddress, parseAddresses, type ParsedAddress } from '../../email/addresses.js';
import { listAddresses } from '../../model/list-addresses.js';

export default defineHandler({
  name: 'cook-headers',
  description: 'Add X-Mailman-Version and Precedence: list, and munge Reply-To and Cc as configured.',
  process(ctx) {
    const { msg, msgdata, services } = ctx;
    if (msgdata.noack) msg.set('X-Ack', 'no');
    msgdata.original_sender ??= msg.senders(services.senderHeaders)[0] ?? '';
    if (!msg.has('x-mailman-version')) msg.add('X-Mailman-Version', MAILMAN_VERSION);
    if (!msg.has('precedence')) msg.add('Precedence', 'list');
    if (!msgdata._fasttrack) {
      mungeReplyTo(ctx);
      addListToCc(ctx);
    }
  },
});

function mungeReplyTo({ msg, mlist }: MessageContext): void {
  const policy = mlist.reply_goes_to_list;
  const original = msg.addresses('reply-to');
  const wanted: ParsedAddress[] = [];
  const add = (a: ParsedAddress) => {
    if (!wanted.some((w) => w.email === a.email)) wanted.push(a);
  };
  if ((policy === 'explicit_header' || policy === 'explicit_header_only') && mlist.reply_to_address) {
    parseAddresses(mlist.reply_to_address).forEach(add);
  }
  if (!mlist.first_strip_reply_to) original.forEach(add);
  if (policy === 'point_to_list') add({ name: mlist.description, email: listAddresses(mlist).posting });
  // Leave the header byte for byte when the munging changes nothing.
  const same = wanted.length === original.length && wanted.every((w, i) => w.email === original[i].email);
  if (same) return;
  msg.remove('reply-to');
  if (wanted.length) msg.add('Reply-To', wanted.map((a) => formatAddress(a.email, a.name)).join(', '));
}

function addListToCc({ msg, mlist }: MessageContext): void {
  const policy = mlist.reply_goes_to_list;
  if (
    mlist.personalize !== 'full' ||
    policy === 'point_to_list' ||
    policy === 'explicit_header_only' ||
    mlist.anonymous_list
  )
    return;
  const posting = listAddresses(mlist).posting;
  const cc = msg.addresses('cc');
  if (cc.some((a) => a.email === posting)) return;
  cc.push({ name: mlist.description, email: posting });
  msg.set('Cc', cc.map((a) => formatAddress(a.email, a.name)).join(', '));
}
