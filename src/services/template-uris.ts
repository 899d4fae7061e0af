// The template rows behind the `uris` REST resources: which URI a named template comes from
// for one list (its list id), one domain (its mail host) or the whole site (no context).
// TemplateLoader reads them; this is where they are written.
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource, Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { TemplateEntity, type TemplateRow } from '../model/pending.js';
import { BadRequestError } from './errors.js';
import type { TemplateName } from './templates.js';

/** Longer than any real URL of a template; a bound on what a client may store. */
export const MAX_URI_LENGTH = 2048;
const SCHEMES = ['http:', 'https:', 'file:', 'mailman:'];

export interface UriCredentials {
  username: string;
  password: string;
}

export class TemplateUriManager {
  private readonly repo: Repository<TemplateRow>;
  /** `dirs`: where a file: URI may point (the template directories). */
  constructor(
    ds: DataSource,
    private readonly dirs: readonly string[],
  ) {
    this.repo = ds.getRepository(TemplateEntity);
  }

  /** The rows of one context, by name. */
  async list(context: string | null): Promise<TemplateRow[]> {
    const rows = await this.repo.find({ where: { context: context === null ? IsNull() : context } });
    return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: TemplateName, context: string | null): Promise<TemplateRow | null> {
    return this.repo.findOneBy({ name, context: context === null ? IsNull() : context });
  }

  /** Stores the URI a template comes from in this context, replacing any earlier one. */
  async set(name: TemplateName, context: string | null, uri: string, auth?: UriCredentials): Promise<void> {
    this.check(uri);
    const row = (await this.get(name, context)) ?? this.repo.create({ name, context });
    row.uri = uri;
    row.username = auth?.username ?? null;
    row.password = auth?.password ?? null;
    await this.repo.save(row);
  }

  async delete(name: TemplateName, context: string | null): Promise<void> {
    await this.repo.delete({ name, context: context === null ? IsNull() : context });
  }

  /**
   * Refuses a URI the loader would never use, so the client hears of it now rather than the
   * log later: an unknown scheme, or a file outside the template directories (whoever may
   * set a URI must not be able to have the server mail them its own files). The loader
   * checks again at use, after `$list_id` and the like are filled in.
   */
  check(uri: string): void {
    if (uri.length > MAX_URI_LENGTH) throw new BadRequestError(`URI longer than ${MAX_URI_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new BadRequestError(`Not a URI: ${uri}`);
    }
    if (!SCHEMES.includes(url.protocol))
      throw new BadRequestError(`URI scheme must be one of http, https, file, mailman: ${uri}`);
    if (url.protocol === 'file:') {
      let path: string;
      try {
        path = resolve(fileURLToPath(url));
      } catch {
        throw new BadRequestError(`Not a local file: ${uri}`);
      }
      if (!this.dirs.some((d) => path.startsWith(resolve(d) + sep)))
        throw new BadRequestError(`A file: URI must name a file under the template directory: ${uri}`);
    }
  }
}
