// held: a moderator's view of a list's held messages, and the decision on each, for sites
// that moderate from a shell (Mailman itself offers this only through REST).
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { HELD_ACTIONS, moderateHeldMessage, UnknownHeldMessage, type HeldAction } from '../../moderation/moderator.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('held')
    .argument('<listspec>', 'the list (posting address or list id)')
    .argument('[action]', `${HELD_ACTIONS.join(', ')}; without it, the held messages are listed`)
    .argument('[ids...]', 'request ids of the held messages to act on')
    .description("List a list's held messages, or accept, reject, discard or defer them.")
    .option('-r, --reason <text>', 'the reason given to the poster on reject')
    .option('-f, --forward <address...>', 'also send a copy of each message to these addresses')
    .option('--json', 'the held messages, or what was done to each, as JSON')
    .action(
      async (
        listspec: string,
        action: string | undefined,
        ids: string[],
        opts: { reason?: string; forward?: string[]; json?: boolean },
      ) => {
        const services = await ctx.services();
        const mlist = await services.lists.get(listspec);
        if (!mlist) throw new CliError(`No such list: ${listspec}`);
        if (action === undefined) {
          const held = await services.requests.heldMessages(mlist.list_id);
          if (opts.json) {
            const rows = held.map(({ request, data }) => ({
              request_id: request.id,
              hold_date: data._mod_hold_date,
              sender: data._mod_sender,
              subject: data._mod_subject,
              reason: data._mod_reason,
            }));
            return out(JSON.stringify(rows, null, 2));
          }
          for (const { request, data } of held) {
            out(
              `${request.id}\t${data._mod_hold_date}\t${data._mod_sender}\t${data._mod_subject}\t${data._mod_reason}`,
            );
          }
          return;
        }
        if (!(HELD_ACTIONS as readonly string[]).includes(action))
          throw new CliError(`Unknown action: ${action} (use ${HELD_ACTIONS.join(', ')})`, 2);
        if (!ids.length) throw new CliError('Give the request ids of the held messages', 2);
        let missing = 0;
        const done: { request_id: number; action: string; done: boolean }[] = [];
        for (const id of ids) {
          if (!/^\d+$/.test(id)) throw new CliError(`Not a request id: ${id}`, 2);
          try {
            await moderateHeldMessage(services, mlist, Number(id), action as HeldAction, {
              comment: opts.reason,
              forward: opts.forward,
            });
            if (opts.json) done.push({ request_id: Number(id), action, done: true });
            else out(`${action}: ${id}`);
          } catch (e) {
            if (!(e instanceof UnknownHeldMessage)) throw e;
            if (opts.json) done.push({ request_id: Number(id), action, done: false });
            else process.stderr.write(`mailman: ${e.message}\n`);
            missing++;
          }
        }
        if (opts.json) out(JSON.stringify(done, null, 2));
        if (missing) process.exitCode = 1;
      },
    );
}
