// The message as the LMTP server and the `in` runner would hand it to the start chain: parsed
// strictly (what LMTP would shunt, explain refuses), stamped, with the arrival's msgdata.
import type { MsgData } from '../queue/qfile.js';
import { Message, MalformedMessageError } from '../email/message.js';
import { arrivalMsgdata, stampArrival } from '../mta/arrival.js';
import { ExplainError, type ExplainOptions } from './trace.js';

export function prepareMessage(opts: ExplainOptions): { msg: Message; msgdata: MsgData } {
  let msg: Message;
  try {
    msg = Message.parseStrict(opts.raw);
  } catch (err) {
    if (err instanceof MalformedMessageError)
      throw new ExplainError(`the message is malformed (the LMTP server would shunt it): ${err.message}`);
    throw err;
  }
  const { mlist, services } = opts;
  const envelope =
    opts.sender ??
    msg.get('x-mailfrom') ??
    /<([^>]*)>/.exec(msg.get('return-path') ?? '')?.[1] ??
    msg.get('return-path')?.trim() ??
    '';
  stampArrival(msg, envelope, mlist.mail_host);
  const msgdata = arrivalMsgdata(
    mlist.list_id,
    opts.owner ? 'owner' : undefined,
    services,
    Date.now(),
    opts.raw.length,
  );
  msgdata.envsender ??= `${services.config.get('mailman', 'noreply_address')}@${mlist.mail_host}`;
  return { msg, msgdata };
}
