// The list headers of RFC 2369 and RFC 2919 that mail clients use for their list buttons.
import { defineHandler } from '../../registry.js';
import { listAddresses } from '../../model/list-addresses.js';
import { archiveHeaders } from '../archiving.js';

const LIST_HEADERS = [
  'List-Id',
  'List-Help',
  'List-Owner',
  'List-Unsubscribe',
  'List-Subscribe',
  'List-Post',
  'List-Archive',
  'Archived-At',
];

export default defineHandler({
  name: 'rfc-2369',
  description:
    'Add List-Id, List-Help, List-Owner, List-Unsubscribe, List-Subscribe and List-Post, and List-Archive ' +
    "and Archived-At from the list's archivers.",
  async process({ mlist, msg, msgdata, services, archivers }) {
    if (!mlist.include_rfc2369_headers) return;
    const a = listAddresses(mlist);
    const listId = `<${mlist.list_id}>`;
    for (const h of LIST_HEADERS) msg.remove(h);
    msg.add('List-Id', mlist.description ? `${quoteDescription(mlist.description)} ${listId}` : listId);
    msg.add('List-Help', `<mailto:${a.request}?subject=help>`);
    msg.add('List-Owner', `<mailto:${a.owner}>`);
    msg.add('List-Unsubscribe', `<mailto:${a.leave}>`);
    msg.add('List-Subscribe', `<mailto:${a.join}>`);
    // Internal notices carry the reduced set: no posting address to reply to.
    if (msgdata.reduced_list_headers) return;
    msg.add('List-Post', mlist.allow_list_posts ? `<mailto:${a.posting}>` : 'NO');
    if (mlist.archive_policy === 'never' || !archivers) return;
    const { listArchive, archivedAt } = await archiveHeaders(archivers, services, mlist, msg);
    for (const url of listArchive) msg.add('List-Archive', url);
    for (const url of archivedAt) msg.add('Archived-At', url);
  },
});

function quoteDescription(d: string): string {
  return `"${d.replace(/["\\]/g, '\\$&')}"`;
}
