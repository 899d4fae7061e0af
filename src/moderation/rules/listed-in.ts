// A sender named in an address file the site keeps beside its chains, as Sympa's `search(x.txt)`:
// `if listed-in(file: "trusted.txt") then accept`. One entry a line: an address, or `@domain`
// for every address there; `#` starts a comment. The file is a bare name in [dsl] chain_dir
// (no directories, so a chain cannot read anything else on the machine), at most 1 MiB, read
// again when it changes. A missing or oversized file is logged and the rule misses.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { defineRule } from '../../registry.js';
import { senders } from '../senders.js';
import { logger } from '../../logging.js';

const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_FILE_BYTES = 1 << 20;

interface Entries {
  addresses: Set<string>;
  domains: Set<string>;
}

/** Read files by path, kept while their size and modification time stay the same. */
const files = new Map<string, { stamp: string; entries: Entries }>();

async function entriesOf(path: string): Promise<Entries | string> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch {
    return `no file ${path}`;
  }
  if (!stat.isFile()) return `${path} is not a file`;
  if (stat.size > MAX_FILE_BYTES) return `${path} is over ${MAX_FILE_BYTES} bytes`;
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const kept = files.get(path);
  if (kept?.stamp === stamp) return kept.entries;
  const entries: Entries = { addresses: new Set(), domains: new Set() };
  for (const line of (await fs.readFile(path, 'utf8')).split(/\r?\n/)) {
    const entry = line.replace(/#.*/, '').trim().toLowerCase();
    if (!entry) continue;
    if (entry.startsWith('@')) entries.domains.add(entry.slice(1));
    else entries.addresses.add(entry);
  }
  if (files.size >= 100) files.clear();
  files.set(path, { stamp, entries });
  return entries;
}

export default defineRule({
  name: 'listed-in',
  description: 'A sender is listed in an address file in the site chain directory (addresses, or @domain).',
  record: true,
  params: [
    {
      name: 'file',
      type: 'string',
      required: true,
      description: 'the file name in [dsl] chain_dir, as "trusted.txt"',
      check: (v) =>
        typeof v === 'string' && FILE.test(v) && !v.endsWith('.chain') && !v.endsWith('.pipeline')
          ? undefined
          : `"${v}" is not a file name in the chain directory (letters, digits, . _ -; no directories)`,
    },
  ],
  async check(ctx, args) {
    const name = String(args.file ?? '');
    if (!FILE.test(name)) return { hit: false };
    const found = await entriesOf(join(ctx.services.config.path('dsl', 'chain_dir'), name));
    if (typeof found === 'string') {
      logger('vette').error({ list: ctx.mlist.list_id, file: name }, `listed-in: ${found}; the rule misses`);
      return { hit: false };
    }
    for (const email of senders(ctx)) {
      const lower = email.toLowerCase();
      if (found.addresses.has(lower) || found.domains.has(lower.slice(lower.lastIndexOf('@') + 1)))
        return { hit: true, reasons: [`${email} is listed in ${name}`] };
    }
    return { hit: false };
  },
});
