// confirm TOKEN: the answer to a confirmation. A subscriber's token moves their subscription or
// unsubscription on; a moderator's token for a held message accepts the post when the reply
// carries the list's moderator password (Approved:), discards it when it carries none, and
// leaves it held when the password is wrong. A token is looked up only on its own list.
import { defineEmailCommand, type EmailCommandContext } from '../registry.js';
import { BadRequestError, ConflictError } from '../services/errors.js';
import { moderateHeldMessage, UnknownHeldMessage } from '../moderation/moderator.js';
import { APPROVED_HEADERS, moderatorPasswordMatches } from '../moderation/rules/approved.js';
import { firstTextPlain } from '../email/mime-tree.js';

const NO_MATCH = 'Confirmation token did not match';

/** A password line is short; past this the first body line is not one. */
const MAX_PASSWORD_LINE = 1000;

/**
 * The password of the reply, from an Approved: (or Approve:, X-Approved:...) header, else
 * from such a line opening the first text/plain part; undefined when there is none.
 */
export function approvedPassword(ctx: Pick<EmailCommandContext, 'msg'>): string | undefined {
  for (const h of APPROVED_HEADERS) {
    const v = ctx.msg.get(h);
    if (v !== undefined) return v.trim();
  }
  const part = firstTextPlain(ctx.msg.mime());
  if (!part) return undefined;
  const text = part.decodedText();
  const start = text.search(/\S/);
  if (start < 0) return undefined;
  const end = text.indexOf('\n', start);
  const line = text.slice(start, end < 0 ? undefined : end);
  if (line.length > MAX_PASSWORD_LINE) return undefined;
  const colon = line.indexOf(':');
  if (colon < 0 || !APPROVED_HEADERS.includes(line.slice(0, colon).trim().toLowerCase())) return undefined;
  return line.slice(colon + 1).trim();
}

async function confirmHeld(ctx: EmailCommandContext, token: string, requestId: number) {
  const { mlist, services, results } = ctx;
  const password = approvedPassword(ctx);
  const stored = mlist.moderator_password;
  let action: 'accept' | 'discard' = 'discard';
  if (password !== undefined) {
    if (typeof stored !== 'string' || stored === '' || !moderatorPasswordMatches(password, stored)) {
      // The token stays: the moderator may answer again with the right password.
      results.say('Invalid Approved: password');
      results.respond();
      return;
    }
    action = 'accept';
  }
  // Taken out first, so two answers to one notice decide once.
  const taken = await services.pendings.confirm(token);
  // Gone meanwhile: decided by REST or the CLI, or by another answer to the same notice.
  const decided =
    taken &&
    (await moderateHeldMessage(services, mlist, requestId, action).then(
      () => true,
      (err: unknown) => {
        if (err instanceof UnknownHeldMessage) return false;
        throw err;
      },
    ));
  if (!decided) {
    results.say(NO_MATCH);
    results.respond();
    return;
  }
  results.say(action === 'accept' ? 'Message accepted' : 'Message discarded');
}

export default defineEmailCommand({
  name: 'confirm',
  description: 'Confirm a subscription, an unsubscription or (for moderators) a held message.',
  argumentSyntax: 'token',
  details:
    'The token is in the subject of the confirmation; replying to a confirmation keeps it there. ' +
    'For a held message, an Approved: header (or first body line) with the moderator password ' +
    'accepts the post, and a reply without one discards it.',
  async process(ctx, args) {
    const { mlist, services, results } = ctx;
    const token = args[0] ?? '';
    if (!results.firstTime('confirm', token)) return 'stop';
    const noMatch = () => {
      results.say(NO_MATCH);
      results.respond();
      return 'stop' as const;
    };
    const pending = await services.pendings.get<{ id?: unknown }>(token);
    if (!pending || pending.row.list_id !== mlist.list_id) return noMatch();
    if (pending.row.type === 'held message') {
      if (typeof pending.data.id !== 'number') return noMatch();
      await confirmHeld(ctx, pending.row.token, pending.data.id);
      return 'stop';
    }
    try {
      const outcome = await services.workflows.confirm(pending.row.token, (id) => services.lists.get(id));
      if (!outcome) return noMatch();
    } catch (err) {
      // Banned or already a member since the request was made: said in words.
      if (!(err instanceof BadRequestError || err instanceof ConflictError)) throw err;
      results.say(err.message);
      results.respond();
      return 'stop';
    }
    results.say('Confirmed');
    return 'stop';
  },
});
