// A member named in To or Cc already gets the poster's direct copy. Those who said so
// (receive_list_copy off) are dropped from the list's recipients and from the Cc the list
// sends; everyone else explicitly addressed keeps the list copy and is noted in
// msgdata['add-dup-header'], so personalised delivery can mark it X-Mailman-Copy: yes.
import { defineHandler } from '../../registry.js';
import { formatAddress } from '../../email/addresses.js';
import { listAddresses } from '../../model/list-addresses.js';

const EXPLICIT = ['to', 'cc', 'resent-to', 'resent-cc'];

export default defineHandler({
  name: 'avoid-duplicates',
  description: 'Drop explicitly addressed members who do not want a list copy (receive_list_copy off).',
  async process({ mlist, msg, msgdata, services }) {
    const recipients = msgdata.recipients;
    if (!Array.isArray(recipients) || recipients.length === 0) return;
    const a = listAddresses(mlist);
    const own = new Set([a.posting, a.bounces, a.owner, a.request]);
    const explicit = new Set<string>();
    // Cc keeps its order and the first spelling of each address; it is rewritten below.
    const cc = new Map<string, string>();
    for (const h of EXPLICIT) {
      for (const addr of msg.addresses(h)) {
        if (own.has(addr.email)) continue;
        explicit.add(addr.email);
        if (h === 'cc' && !cc.has(addr.email)) cc.set(addr.email, formatAddress(addr.email, addr.name));
      }
    }
    if (explicit.size === 0) return;
    const kept: string[] = [];
    const marked = new Set<string>(
      Array.isArray(msgdata['add-dup-header']) ? (msgdata['add-dup-header'] as string[]) : [],
    );
    let ccChanged = false;
    for (const r of recipients as string[]) {
      const email = r.toLowerCase();
      if (!explicit.has(email)) {
        kept.push(r);
        continue;
      }
      const member = await services.members.findMember(mlist.list_id, email, 'member');
      // On unless the member, their address or their user turned it off.
      if (member && !(await services.preferences.effective(member)).receive_list_copy) {
        if (cc.delete(email)) ccChanged = true;
        continue;
      }
      marked.add(email);
      kept.push(r);
    }
    msgdata.recipients = kept;
    if (marked.size) msgdata['add-dup-header'] = [...marked];
    if (ccChanged || msg.getAll('cc').length > 1) {
      // RFC 5322 allows one Cc field.
      if (cc.size) msg.set('Cc', [...cc.values()].join(', '));
      else msg.remove('cc');
    }
  },
});
