// What every message delivered to a list address gets on arrival, before the `in` runner
// sees it: shared by the LMTP server and by `explain`, which must prepare a message exactly
// as the server would.
import { makeMessageId, messageIdHash, type Message } from '../email/message.js';
import type { MsgData } from '../queue/qfile.js';
import type { Services } from '../services/services.js';

/** A Message-ID if it has none, Mailman's Message-ID-Hash headers and the envelope sender. */
export function stampArrival(msg: Message, envelopeFrom: string, domain: string): void {
  if (!msg.messageId) msg.set('Message-ID', makeMessageId(domain));
  const hash = messageIdHash(msg.messageId!);
  msg.set('Message-ID-Hash', hash);
  msg.set('X-Message-ID-Hash', hash);
  msg.set('X-MailFrom', envelopeFrom);
}

/**
 * The metadata of a message for list `listId`, sent to its posting address or a sub-address
 * (with the token of a -confirm+TOKEN address).
 */
export function arrivalMsgdata(
  listId: string,
  subaddress: string | undefined,
  services: Services,
  receivedAt: number,
  size: number,
  /** The token of -confirm+TOKEN, or the detail of -bounces+DETAIL. */
  detail?: string,
): MsgData {
  const base: MsgData = { listid: listId, original_size: size, received_time: receivedAt };
  // The command runner reads the token from here: the To header need not name the address.
  if (subaddress === 'confirm') return { ...base, subaddress, ...(detail ? { confirm_token: detail } : {}) };
  // The bounce runner decodes VERP and probe tokens from here, whatever the headers say.
  if (subaddress === 'bounces') return { ...base, subaddress, ...(detail ? { bounce_detail: detail } : {}) };
  if (!subaddress) return { ...base, to_list: true };
  if (subaddress === 'owner') return { ...base, subaddress: 'owner', to_owner: true, envsender: services.siteOwner };
  if (subaddress === 'request') return { ...base, subaddress: 'request', to_request: true };
  return { ...base, subaddress };
}
