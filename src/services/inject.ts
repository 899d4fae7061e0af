// The metadata of a message put straight into a queue for a list (`mailman inject`, REST's
// POST /queues/NAME): as if it had arrived for the list's posting address.
import type { MailingList } from '../model/entities.js';
import type { MsgData } from '../queue/qfile.js';

export function injectedMsgdata(mlist: Pick<MailingList, 'list_id'>, raw: Buffer, extra: MsgData = {}): MsgData {
  return {
    listid: mlist.list_id,
    to_list: true,
    original_size: raw.length,
    received_time: Date.now(),
    ...extra,
  };
}
