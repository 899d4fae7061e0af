// leave (unsubscribe): ends the sender's own membership, through the same workflow as REST, so
// the list's unsubscription_policy decides whether the address confirms first.
import { defineEmailCommand } from '../registry.js';
import { listAddresses } from '../model/list-addresses.js';
import { BadRequestError, ConflictError } from '../services/errors.js';

export default defineEmailCommand({
  name: 'leave',
  aliases: ['unsubscribe'],
  description: 'Unsubscribe the address the message comes from from this list.',
  argumentSyntax: '',
  details: 'The address must be a verified one; if the list asks for it, a confirmation is mailed to it first.',
  async process({ mlist, services, results, sender }) {
    const posting = listAddresses(mlist).posting;
    const refuse = (why: string) => {
      results.say(why);
      results.respond();
      return 'stop' as const;
    };
    if (!sender) return refuse('No valid address found to unsubscribe');
    const email = sender.toLowerCase();
    if (!results.firstTime('leave', email)) return 'continue';
    const address = await services.users.getAddress(email);
    if (!address) return refuse(`No registered user for email address: ${email}`);
    // As Mailman asks: an address that never proved it receives mail here does not end a membership by mail.
    if (!address.verified_on) return refuse(`Invalid or unverified email address: ${email}`);
    try {
      const outcome = await services.workflows.unsubscribe(mlist, email);
      if (!outcome.token) results.say(`${email} left ${posting}`);
      else if (outcome.tokenOwner === 'moderator') results.say(`The request of ${email} to leave awaits a moderator`);
      else results.say(`Confirmation email sent to ${email} to leave ${posting}`);
      return 'continue';
    } catch (err) {
      if (!(err instanceof BadRequestError || err instanceof ConflictError)) throw err;
      return refuse(err.message);
    }
  },
});
