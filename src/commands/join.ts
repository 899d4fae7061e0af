// join (subscribe): starts the sender's subscription, or that of `address=`, through the same
// workflow as REST: whoever must confirm is asked by mail, so naming somebody else's address
// subscribes nobody without their consent unless the list's policy lets anyone in.
import { defineEmailCommand } from '../registry.js';
import { listAddresses } from '../model/list-addresses.js';
import { formatAddress } from '../email/addresses.js';
import { BadRequestError, ConflictError } from '../services/errors.js';

/** `digest=` words and the delivery modes they choose. */
const DIGEST_MODES: Record<string, string> = {
  no: 'regular',
  mime: 'mime_digests',
  plain: 'plaintext_digests',
};

export default defineEmailCommand({
  name: 'join',
  aliases: ['subscribe'],
  description: 'Subscribe to this list: your own address, or the one given with address=.',
  argumentSyntax: '[digest=no|mime|plain] [address=you@example.org]',
  details:
    'A confirmation is mailed to the address joining; the subscription starts once it is answered ' +
    '(and, if the list requires it, approved by a moderator).',
  async process({ mlist, msg, services, results, sender }, args) {
    let deliveryMode: string | undefined;
    let address: string | undefined;
    for (const arg of args) {
      if (arg.startsWith('digest=') && Object.hasOwn(DIGEST_MODES, arg.slice(7)))
        deliveryMode = DIGEST_MODES[arg.slice(7)];
      else if (arg.startsWith('address=') && arg.length > 8) address = arg.slice(8);
      else {
        results.say(`Bad argument: ${arg}`);
        results.respond();
        return 'stop';
      }
    }
    const email = address ?? sender;
    if (!email) {
      results.say('No valid address found to subscribe');
      results.respond();
      return 'stop';
    }
    // The From header's name goes with the sender's own address only.
    const displayName = address ? '' : (msg.addresses('from').find((a) => a.email === email)?.name ?? '');
    if (!results.firstTime('join', email.toLowerCase())) return 'continue';
    // One subscription request per message: otherwise one message of `join address=…` lines
    // would have the list mail a confirmation to a hundred strangers.
    if (!results.firstTime('join-request', '')) {
      results.say(`One subscription per message: ${email} was not asked; send another message`);
      results.respond();
      return 'continue';
    }
    const posting = listAddresses(mlist).posting;
    try {
      const outcome = await services.workflows.subscribe(mlist, email, { displayName, deliveryMode });
      const person = formatAddress(outcome.email, displayName);
      if (outcome.member) results.say(`${person} joined ${posting}`);
      else if (outcome.tokenOwner === 'moderator')
        results.say(`The request of ${person} awaits a moderator of ${posting}`);
      else results.say(`Confirmation email sent to ${person}`);
      return 'continue';
    } catch (err) {
      // Already a member, banned, pending, not an address: the sender is told, in words.
      if (!(err instanceof BadRequestError || err instanceof ConflictError)) throw err;
      results.say(err.message);
      results.respond();
      return 'stop';
    }
  },
});
