// Every text the server mails (confirmations, welcomes, notices to owners, footers) is a named
// template, as in Mailman. Where a template's text comes from, first match wins:
//   1. a template row (the `uris` REST resources) for the list, then its domain, then the site;
//   2. a file under [paths] template_dir: lists/LIST_ID/LANG, domains/HOST/LANG, site/LANG;
//   3. the built-in text under the package's templates/LANG.
// Languages are tried in Mailman's order: the one asked for, the list's, the site's, English.
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource, Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { TemplateEntity, type TemplateRow } from '../model/pending.js';
import type { MailingList } from '../model/entities.js';
import { listAddresses } from '../model/list-addresses.js';
import { BUILTIN_TEMPLATE_DIR } from '../paths.js';
import { logger } from '../logging.js';

/** Every template name the server knows, as Mailman names them. */
export const TEMPLATE_NAMES = [
  'domain:admin:notice:new-list',
  'list:admin:action:post',
  'list:admin:action:subscribe',
  'list:admin:action:unsubscribe',
  'list:admin:notice:disable',
  'list:admin:notice:increment',
  'list:admin:notice:pending',
  'list:admin:notice:removal',
  'list:admin:notice:subscribe',
  'list:admin:notice:unrecognized',
  'list:admin:notice:unsubscribe',
  'list:member:digest:footer',
  'list:member:digest:header',
  'list:member:digest:masthead',
  'list:member:generic:footer',
  'list:member:regular:footer',
  'list:member:regular:header',
  'list:user:action:invite',
  'list:user:action:subscribe',
  'list:user:action:unsubscribe',
  'list:user:notice:goodbye',
  'list:user:notice:hold',
  'list:user:notice:no-more-today',
  'list:user:notice:post',
  'list:user:notice:probe',
  'list:user:notice:refuse',
  'list:user:notice:rejected',
  'list:user:notice:warning',
  'list:user:notice:welcome',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** Templates that fall back to another name when nothing defines them. */
const FALLBACK: Partial<Record<TemplateName, TemplateName>> = {
  'list:member:regular:footer': 'list:member:generic:footer',
  'list:member:digest:footer': 'list:member:generic:footer',
};

// A language code names a directory: nothing else may get through.
const LANGUAGE = /^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$/;
const MAX_TEMPLATE_BYTES = 64 * 1024;
const FETCH_TIMEOUT_MS = 5000;

/** `$name` / `${name}` substitution; unknown names stay as written, `$$` is a dollar. */
export function expandTemplate(text: string, subs: Record<string, string>): string {
  return text.replace(/\$(?:\$|(\w+)|\{(\w+)\})/g, (whole, a?: string, b?: string) => {
    if (whole === '$$') return '$';
    const key = (a ?? b)!;
    return Object.prototype.hasOwnProperty.call(subs, key) ? subs[key] : whole;
  });
}

/** The substitutions every list template may use, by Mailman's names. */
export function listSubstitutions(mlist: MailingList, siteOwner?: string): Record<string, string> {
  const addrs = listAddresses(mlist);
  return {
    listname: addrs.posting,
    fqdn_listname: addrs.posting,
    list_name: mlist.list_name,
    short_listname: mlist.list_name,
    list_id: mlist.list_id,
    display_name: mlist.display_name,
    real_name: mlist.display_name,
    description: mlist.description ?? '',
    info: mlist.info ?? '',
    domain: mlist.mail_host,
    domain_name: mlist.mail_host,
    request_email: addrs.request,
    owner_email: addrs.owner,
    posting_address: addrs.posting,
    language: mlist.preferred_language,
    ...(siteOwner ? { site_email: siteOwner } : {}),
  };
}

export interface TemplateContext {
  mlist?: MailingList;
  /** A domain's mail host, for domain templates (a list's comes from the list). */
  mailHost?: string;
  language?: string;
}

export class TemplateLoader {
  private readonly repo: Repository<TemplateRow>;
  private readonly fetched = new Map<string, { text: string; until: number }>();
  constructor(
    ds: DataSource,
    private readonly dir: string,
    private readonly defaultLanguage: string,
    private readonly cacheLifeMs: number,
    private readonly builtinDir = BUILTIN_TEMPLATE_DIR,
    /** `$site_email` in every template, as Mailman's expand gives it. */
    private readonly siteOwner?: string,
  ) {
    this.repo = ds.getRepository(TemplateEntity);
  }

  /** The only directories a template row's file: URI may point into. */
  get fileDirs(): string[] {
    return [this.dir, this.builtinDir];
  }

  /** The languages to try, in order, each a safe directory name. */
  languages(ctx: TemplateContext): string[] {
    const wanted = [ctx.language, ctx.mlist?.preferred_language, this.defaultLanguage, 'en'];
    return [...new Set(wanted.filter((l): l is string => typeof l === 'string' && LANGUAGE.test(l)))];
  }

  /** The raw text of a template, unexpanded; '' when nothing defines it. */
  async get(name: TemplateName, ctx: TemplateContext = {}): Promise<string> {
    const own = await this.lookup(name, ctx);
    if (own !== undefined) return own;
    const fallback = FALLBACK[name];
    return fallback ? this.get(fallback, ctx) : '';
  }

  /** The template expanded with the list's substitutions and `subs`. */
  async render(name: TemplateName, ctx: TemplateContext, subs: Record<string, string> = {}): Promise<string> {
    const base = ctx.mlist
      ? listSubstitutions(ctx.mlist, this.siteOwner)
      : this.siteOwner
        ? { site_email: this.siteOwner }
        : {};
    return expandTemplate(await this.get(name, ctx), { ...base, ...subs });
  }

  private async lookup(name: TemplateName, ctx: TemplateContext): Promise<string | undefined> {
    const host = ctx.mlist?.mail_host ?? ctx.mailHost;
    const contexts: (string | null)[] = [...(ctx.mlist ? [ctx.mlist.list_id] : []), ...(host ? [host] : []), null];
    for (const context of contexts) {
      const row = await this.repo.findOneBy({ name, context: context === null ? IsNull() : context });
      if (!row) continue;
      const text = await this.fromUri(row, ctx);
      if (text !== undefined) return text;
    }
    for (const lang of this.languages(ctx)) {
      const dirs = [
        ...(ctx.mlist ? [join(this.dir, 'lists', ctx.mlist.list_id, lang)] : []),
        ...(host ? [join(this.dir, 'domains', host, lang)] : []),
        join(this.dir, 'site', lang),
        join(this.builtinDir, lang),
      ];
      for (const dir of dirs) {
        const text = await readSmallFile(join(dir, `${name}.txt`));
        if (text !== undefined) return text;
      }
    }
    return undefined;
  }

  /**
   * A template row's text. `file:` URIs may only name files under the template directories
   * (an owner who can set a URI must not be able to mail themselves the server's secrets);
   * `http(s):` is fetched with a time and size limit and cached; `mailman:///NAME` is the
   * built-in text of NAME.
   */
  private async fromUri(row: TemplateRow, ctx: TemplateContext): Promise<string | undefined> {
    const lang = this.languages(ctx)[0] ?? 'en';
    const subs: Record<string, string> = { language: lang };
    if (ctx.mlist) Object.assign(subs, { list_id: ctx.mlist.list_id, listname: listAddresses(ctx.mlist).posting });
    const host = ctx.mlist?.mail_host ?? ctx.mailHost;
    if (host) subs.domain_name = host;
    const uri = expandTemplate(row.uri, subs);
    try {
      const url = new URL(uri);
      if (url.protocol === 'file:') {
        const path = resolve(fileURLToPath(url));
        const allowed = this.fileDirs.some((d) => path.startsWith(resolve(d) + sep));
        if (!allowed) throw new Error(`file URI outside ${this.dir}`);
        return await readSmallFile(path);
      }
      if (url.protocol === 'mailman:') {
        const builtin = url.pathname.replace(/^\/+/, '').replace(/\.txt$/, '');
        if (!isTemplateName(builtin)) throw new Error(`no built-in template ${builtin}`);
        return await readSmallFile(join(this.builtinDir, lang, `${builtin}.txt`));
      }
      if (url.protocol === 'http:' || url.protocol === 'https:') return await this.fetch(url, row);
      throw new Error(`unsupported scheme ${url.protocol}`);
    } catch (err) {
      logger('mailman').warn({ template: row.name, context: row.context, err: String(err) }, 'template URI unusable');
      return undefined;
    }
  }

  private async fetch(url: URL, row: TemplateRow): Promise<string> {
    const key = url.href;
    const cached = this.fetched.get(key);
    if (cached && cached.until > Date.now()) return cached.text;
    const headers: Record<string, string> = {};
    if (row.username)
      headers.authorization = `Basic ${Buffer.from(`${row.username}:${row.password ?? ''}`).toString('base64')}`;
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = (await readBounded(res)).toString('utf8');
    this.fetched.set(key, { text, until: Date.now() + this.cacheLifeMs });
    return text;
  }
}

/** A response body, given up on as soon as it passes the limit, so a huge one is never held whole. */
async function readBounded(res: Response): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      size += chunk.length;
      // Leaving the loop cancels the stream: the rest is never downloaded.
      if (size > MAX_TEMPLATE_BYTES) throw new Error(`larger than ${MAX_TEMPLATE_BYTES} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

async function readSmallFile(path: string): Promise<string | undefined> {
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_TEMPLATE_BYTES) {
      logger('mailman').warn({ path }, `template larger than ${MAX_TEMPLATE_BYTES} bytes ignored`);
      return undefined;
    }
    return buf.toString('utf8');
  } catch {
    return undefined;
  }
}
