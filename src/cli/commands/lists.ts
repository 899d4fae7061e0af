// create and lists: the mailing lists themselves.
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';
import { BadRequestError } from '../../services/errors.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('create')
    .argument('<listname>', 'the posting address, e.g. ant@example.com')
    .description('Create a mailing list.')
    .option('-d, --domain', 'create the domain too if it does not exist')
    .option(
      '-o, --owner <address>',
      'an owner of the list (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('-q, --quiet', 'print nothing on success')
    .option('-s, --style <name>', 'legacy-default, legacy-announce or private-default (default: [styles] default)')
    .option('--json', 'the new list as JSON')
    .action(
      async (
        listname: string,
        opts: { domain?: boolean; owner: string[]; quiet?: boolean; json?: boolean; style?: string },
      ) => {
        const services = await ctx.services();
        const host = listname.slice(listname.lastIndexOf('@') + 1).toLowerCase();
        if (!listname.includes('@'))
          throw new CliError(`"${listname}" is not a posting address (expected NAME@DOMAIN)`);
        if (!(await services.domains.get(host))) {
          if (!opts.domain) throw new CliError(`Undefined domain: ${host} (use --domain to create it)`);
          await services.domains.create(host);
        }
        try {
          const mlist = await services.lists.create(listname, { style: opts.style });
          for (const owner of opts.owner)
            await services.members.subscribe(mlist, owner, { role: 'owner', verified: true });
          if (opts.json) {
            const fqdn = `${mlist.list_name}@${mlist.mail_host}`;
            return out(JSON.stringify({ list_id: mlist.list_id, fqdn_listname: fqdn, owners: opts.owner }, null, 2));
          }
          if (!opts.quiet) out(`Created mailing list: ${mlist.list_name}@${mlist.mail_host}`);
        } catch (err) {
          if (err instanceof BadRequestError) throw new CliError(err.message);
          throw err;
        }
      },
    );

  program
    .command('lists')
    .description('List the mailing lists.')
    .option('-a, --advertised', 'only advertised lists')
    .option('-n, --names', 'show the display names too')
    .option('-d, --descriptions', 'show the descriptions too')
    .option('-q, --quiet', 'no header line')
    .option('--json', 'the lists as a JSON array')
    .option(
      '--domain <domain>',
      'only lists of this domain (repeatable)',
      (v: string, acc: string[]) => [...acc, v.toLowerCase()],
      [] as string[],
    )
    .action(
      async (opts: {
        advertised?: boolean;
        names?: boolean;
        descriptions?: boolean;
        quiet?: boolean;
        domain: string[];
        json?: boolean;
      }) => {
        const services = await ctx.services();
        const lists = (await services.lists.all()).filter(
          (l) => (!opts.advertised || l.advertised) && (!opts.domain.length || opts.domain.includes(l.mail_host)),
        );
        if (opts.json) {
          const rows = lists.map((l) => ({
            list_id: l.list_id,
            fqdn_listname: `${l.list_name}@${l.mail_host}`,
            list_name: l.list_name,
            mail_host: l.mail_host,
            display_name: l.display_name,
            description: l.description,
            advertised: l.advertised,
          }));
          return out(JSON.stringify(rows, null, 2));
        }
        if (!lists.length) {
          if (!opts.quiet) out('No matching mailing lists found');
          return;
        }
        if (!opts.quiet) out(`${lists.length} matching mailing list${lists.length === 1 ? '' : 's'} found:`);
        for (const l of lists) {
          const parts = [`${l.list_name}@${l.mail_host}`];
          if (opts.names) parts.push(l.display_name);
          if (opts.descriptions) parts.push(`- ${l.description}`);
          out(parts.join(' '));
        }
      },
    );
}
