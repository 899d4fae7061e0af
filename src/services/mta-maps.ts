// The files an MTA in front of the server reads to know which addresses are lists, rewritten
// whole after every change of lists or domains, as Mailman does for Postfix:
//   postfix_lmtp     transport map: every list address → lmtp:[lmtp_host]:lmtp_port
//   postfix_domains  relay_domains: the domains that have lists
//   postfix_vmap     virtual aliases, only when a domain has an alias_domain
// With these Postfix refuses an unknown list at RCPT time instead of accepting the mail and
// bouncing it later (backscatter). [mta] incoming names the MTA; only Postfix needs files.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { withFileLock } from '../queue/file-lock.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config/config.js';
import { parseIni } from '../config/ini.js';
import { MTA_CLASSES } from '../config/schema.js';
import type { Sql } from '../model/sql.js';
import { logger } from '../logging.js';

const run = promisify(execFile);

/** The addresses of a list besides its posting address, in the order the maps list them. */
export const LIST_SUFFIXES = ['bounces', 'confirm', 'join', 'leave', 'owner', 'request', 'subscribe', 'unsubscribe'];

export interface PostfixSettings {
  /** postmap and its arguments; '' runs nothing (the maps are then `regex` or postmap'd by hand). */
  postmapCommand: string;
  transportFileType: 'hash' | 'regex';
}

export interface ListName {
  list_name: string;
  mail_host: string;
}

export interface PostfixMaps {
  lmtp: string;
  domains: string;
  /** Undefined when no domain with lists has an alias domain: the file is then removed. */
  vmap: string | undefined;
}

const HEADER = (what: string) =>
  [
    `# ${what}`,
    '# Written by mailman-ts whenever a list or domain changes: edits here are overwritten.',
    '# Run `mailman aliases` to write it again.',
    '',
  ].join('\n');

const escapeRe = (s: string) => s.replace(/[.\\^$*+?()[\]{}|/]/g, '\\$&');

/** The key of one address in a map: itself, or an anchored regex (with +detail for VERP'd ones). */
function key(address: string, type: PostfixSettings['transportFileType']): string {
  if (type !== 'regex') return address;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const detail = /-(bounces|confirm)$/.test(local) ? '(\\+.*)?' : '';
  return `/^${escapeRe(local)}${detail}@${escapeRe(address.slice(at + 1))}$/`;
}

/** The text of Postfix's three maps for these lists; pure, so tests read it directly. */
export function renderPostfixMaps(
  lists: readonly ListName[],
  aliasOf: ReadonlyMap<string, string>,
  lmtp: { host: string; port: number },
  type: PostfixSettings['transportFileType'],
): PostfixMaps {
  const shown = (host: string) => aliasOf.get(host) || host;
  const byDomain = new Map<string, string[]>();
  for (const l of lists) {
    const names = byDomain.get(l.mail_host) ?? [];
    names.push(l.list_name);
    byDomain.set(l.mail_host, names);
  }
  const domains = [...byDomain.keys()].sort();
  const locals = (name: string) => [name, ...LIST_SUFFIXES.map((s) => `${name}-${s}`)];
  const target = `lmtp:[${lmtp.host}]:${lmtp.port}`;
  let lmtpMap = HEADER('Postfix transport map (transport_maps): list addresses to the LMTP server.');
  let vmap = HEADER('Postfix virtual alias map (virtual_alias_maps): list addresses of alias domains.');
  let anyAlias = false;
  for (const host of domains) {
    const names = byDomain.get(host)!.sort();
    lmtpMap += `\n# Lists of ${shown(host)}\n`;
    for (const name of names) {
      const keys = locals(name).map((local) => key(`${local}@${shown(host)}`, type));
      const width = Math.max(...keys.map((k) => k.length)) + 2;
      for (const k of keys) lmtpMap += `${k.padEnd(width)}${target}\n`;
      lmtpMap += '\n';
    }
    if (shown(host) === host) continue;
    anyAlias = true;
    vmap += `\n# ${host} lists, delivered through ${shown(host)}\n`;
    for (const name of names) {
      const keys = locals(name).map((local) => key(`${local}@${host}`, type));
      const width = Math.max(...keys.map((k) => k.length)) + 2;
      locals(name).forEach((local, i) => (vmap += `${keys[i].padEnd(width)}${local}@${shown(host)}\n`));
      vmap += '\n';
    }
  }
  let domainMap = HEADER('Postfix relay domains (relay_domains): the domains that have lists.');
  for (const host of domains)
    domainMap += `${type === 'regex' ? `/^${escapeRe(shown(host))}$/` : shown(host)} ${host}\n`;
  return { lmtp: lmtpMap, domains: domainMap, vmap: anyAlias ? vmap : undefined };
}

/** [postfix] as set in mailman.conf, overridden by the file [mta] configuration names (Mailman's habit). */
export function postfixSettings(config: Config): PostfixSettings {
  const settings = new Map<string, string>([
    ['postmap_command', config.get('postfix', 'postmap_command')],
    ['transport_file_type', config.get('postfix', 'transport_file_type')],
  ]);
  const file = config.get('mta', 'configuration').trim();
  if (file && !file.startsWith('python:')) {
    if (!existsSync(file)) throw new Error(`[mta] configuration: ${file} does not exist`);
    for (const e of parseIni(readFileSync(file, 'utf8'), file)) {
      if (e.section !== 'postfix') continue;
      if (!settings.has(e.key)) throw new Error(`${file}:${e.line}: unknown key "${e.key}" in [postfix]`);
      settings.set(e.key, e.value.trim());
    }
  }
  const type = settings.get('transport_file_type')!;
  if (type !== 'hash' && type !== 'regex')
    throw new Error(`[postfix] transport_file_type must be hash or regex, not "${type}"`);
  return { postmapCommand: settings.get('postmap_command')!, transportFileType: type };
}

/** One writer of the maps at a time, across processes (REST, the CLI). */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  return withFileLock(join(dir, 'mta.lock'), fn);
}

/** Written beside, synced, then renamed over: Postfix never reads half a map. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.new`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export class MtaMaps {
  private readonly kind: keyof typeof MTA_CLASSES;
  private readonly postfix: PostfixSettings | undefined;
  private running: Promise<string[]> | undefined;
  private next: Promise<string[]> | undefined;

  constructor(
    private readonly config: Config,
    private readonly sql: Sql,
  ) {
    const incoming = config.get('mta', 'incoming');
    this.kind = (Object.keys(MTA_CLASSES) as (keyof typeof MTA_CLASSES)[]).find((k) =>
      (MTA_CLASSES[k] as readonly string[]).includes(incoming),
    )!;
    this.postfix = this.kind === 'postfix' ? postfixSettings(config) : undefined;
  }

  /**
   * Rewrites the maps from the database; the files written. Calls that arrive while one runs
   * are folded into one more run after it, so a burst of list creations writes twice, not N times.
   */
  regenerate(directory = this.config.path('paths', 'data_dir')): Promise<string[]> {
    if (!this.postfix) return Promise.resolve([]);
    if (this.running) {
      // Everyone asking meanwhile shares one run that starts after this one, and so reads
      // every change they made.
      return (this.next ??= this.running
        .catch(() => [])
        .then(() => {
          this.next = undefined;
          return this.regenerate(directory);
        }));
    }
    this.running = this.write(directory, this.postfix).finally(() => (this.running = undefined));
    return this.running;
  }

  /** After a change: errors are logged, not thrown, since the change itself is already made. */
  async changed(): Promise<void> {
    try {
      await this.regenerate();
    } catch (err) {
      logger('error').error({ err: (err as Error).message }, 'could not rewrite the MTA maps; run `mailman aliases`');
    }
  }

  private async write(directory: string, postfix: PostfixSettings): Promise<string[]> {
    return withLock(this.config.path('paths', 'lock_dir'), async () => {
      const lists = await this.sql.all<ListName & Record<string, unknown>>(
        'SELECT list_name, mail_host FROM mailinglist ORDER BY mail_host, list_name',
      );
      const aliases = await this.sql.all<{ mail_host: string; alias_domain: string | null }>(
        'SELECT mail_host, alias_domain FROM domain WHERE alias_domain IS NOT NULL',
      );
      const aliasOf = new Map(aliases.filter((a) => a.alias_domain).map((a) => [a.mail_host, a.alias_domain!]));
      const maps = renderPostfixMaps(
        lists,
        aliasOf,
        { host: this.config.get('mta', 'lmtp_host'), port: this.config.int('mta', 'lmtp_port') },
        postfix.transportFileType,
      );
      await mkdir(directory, { recursive: true });
      const written: string[] = [];
      for (const [name, text] of [
        ['postfix_lmtp', maps.lmtp],
        ['postfix_domains', maps.domains],
        ['postfix_vmap', maps.vmap],
      ] as const) {
        const path = join(directory, name);
        if (text === undefined) {
          await rm(path, { force: true });
          await rm(`${path}.db`, { force: true });
          continue;
        }
        await writeAtomically(path, text);
        written.push(path);
      }
      if (postfix.transportFileType === 'hash' && postfix.postmapCommand.trim()) {
        const [command, ...args] = postfix.postmapCommand.trim().split(/\s+/);
        for (const path of written) {
          try {
            await run(command, [...args, path], { timeout: 60_000 });
          } catch (err) {
            const e = err as { stderr?: string; message: string };
            throw new Error(`${postfix.postmapCommand} ${path} failed: ${(e.stderr || e.message).trim()}`);
          }
        }
      }
      return written;
    });
  }
}
