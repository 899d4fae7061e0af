// listconf: a list's settings from the command line. Reading and writing go through the
// same attribute table and converters as GET/PATCH /3.1/lists/LIST/config, so a value the
// REST API refuses (an unknown or never-compiled chain, a bad enum) is refused here too,
// and nothing is changed unless every --set is valid.
import type { Command } from 'commander';
import { CliContext, CliError, out } from '../context.js';

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('listconf')
    .argument('<list>', 'the list id (ant.example.com) or posting address (ant@example.com)')
    .argument('[keys...]', 'only these settings')
    .description("Print a list's settings, or change them with --set (validated as PATCH /3.1/lists/LIST/config is).")
    .option(
      '-s, --set <key=value>',
      'set a setting; repeatable; all are checked before any is stored',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--json', 'the settings as a JSON object, values as REST gives them')
    .action(async (list: string, keys: string[], opts: { set: string[]; json?: boolean }) => {
      const services = await ctx.services();
      // Loaded here, not at start-up: the other commands need neither REST nor the compiler.
      const { listAttributes, applySettings, checkWritable } = await import('../../rest/resources/listconf.js');
      const { RestError } = await import('../../rest/errors.js');
      const mlist = await services.lists.get(list);
      if (!mlist) throw new CliError(`No such list: ${list}`);
      const deps = {
        services,
        chainExists: undefined as ((n: string) => boolean) | undefined,
        pipelineExists: undefined as ((n: string) => boolean) | undefined,
      };
      if (opts.set.length) {
        const { openCatalog } = await import('../../dsl/index.js');
        const { buildRegistry } = await import('../../registry.js');
        const catalog = openCatalog(ctx.config, await buildRegistry(), { log: false });
        deps.chainExists = (n) => catalog.hasChain(n);
        deps.pipelineExists = (n) => catalog.hasPipeline(n);
      }
      const attrs = listAttributes(services, deps);
      if (opts.set.length) {
        if (keys.length) throw new CliError('give either KEYs to print or --set KEY=VALUE, not both', 2);
        const input: Record<string, string> = {};
        for (const pair of opts.set) {
          const eq = pair.indexOf('=');
          if (eq < 1) throw new CliError(`--set expects KEY=VALUE, got "${pair}"`, 2);
          input[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
        }
        try {
          checkWritable(attrs, Object.keys(input));
          await applySettings(services, attrs, mlist, input);
        } catch (err) {
          if (err instanceof RestError) throw new CliError(err.message);
          throw err;
        }
        const fresh = (await services.lists.get(mlist.list_id))!;
        const changed = Object.keys(input).sort();
        if (opts.json)
          return out(JSON.stringify(Object.fromEntries(changed.map((k) => [k, attrs.get(k)!.get(fresh)])), null, 2));
        for (const k of changed) out(`${k}: ${show(attrs.get(k)!.get(fresh))}`);
        return;
      }
      const unknown = keys.filter((k) => !attrs.has(k));
      if (unknown.length) throw new CliError(`Unknown setting: ${unknown.join(', ')}`);
      const shown = [...attrs].filter(([k]) => !keys.length || keys.includes(k));
      if (opts.json)
        return out(JSON.stringify(Object.fromEntries(shown.map(([k, attr]) => [k, attr.get(mlist)])), null, 2));
      for (const [k, attr] of shown) out(`${k}: ${show(attr.get(mlist))}`);
    });
}
