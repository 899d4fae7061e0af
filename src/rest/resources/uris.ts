// Where named templates come from, per site, domain and list (API 3.1, as Mailman):
//   GET           /uris, /domains/HOST/uris, /lists/LIST/uris   the rows set there, by name
//   PUT, PATCH    the same: {NAME: uri, ..., username?, password?}; PUT names every template of
//                 the scope, PATCH some; an empty uri removes that row
//   DELETE        the same: every row of the scope
//   GET           .../uris/NAME                                 {uri, self_link}, 404 when unset
//   PUT, PATCH    .../uris/NAME  {uri (or NAME), username?, password?}; '' removes the row
//   DELETE        .../uris/NAME
// A list names list:* templates, a domain list:* and domain:*, the site all of them; any other
// name is a 404 in the path and a 400 in a body. Passwords are stored for fetching over HTTP
// and never shown again.
import type { TemplateRow } from '../../model/pending.js';
import { TEMPLATE_NAMES, isTemplateName, type TemplateName } from '../../services/templates.js';
import type { UriCredentials } from '../../services/template-uris.js';
import { apiOf, collection, noContent, okay, withEtag, type Api, type Resource } from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { inputOf, oneLine, validate, type Converter } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

/** What a username or password may be: more than any HTTP server needs. */
const MAX_CREDENTIAL = 255;

/** The template rows of one site, domain or list, and the names it may set. */
interface Scope {
  context: string | null;
  /** The path of its collection under the API root. */
  path: string;
  names: readonly TemplateName[];
}

const SITE_NAMES = TEMPLATE_NAMES;
const DOMAIN_NAMES = TEMPLATE_NAMES.filter((n) => n.startsWith('list:') || n.startsWith('domain:'));
const LIST_NAMES = TEMPLATE_NAMES.filter((n) => n.startsWith('list:'));

const text =
  (max: number): Converter<string> =>
  (value) => {
    const t = oneLine(value);
    if (t.length > max) throw new Error(`Longer than ${max} characters`);
    return t;
  };
// The service bounds the URI's length with a clearer message; this only refuses control characters.
const uriText = text(Number.MAX_SAFE_INTEGER);
const credential = text(MAX_CREDENTIAL);

function render(api: Api, scope: Scope, row: TemplateRow): Resource {
  return {
    name: row.name,
    uri: row.uri,
    ...(row.username ? { username: row.username } : {}),
    self_link: api.pathTo(`${scope.path}/${row.name}`),
  };
}

/** Both a username and a password, or neither ('' being none), as Mailman insists. */
function credentialsOf(args: { username?: string; password?: string }): UriCredentials | undefined {
  const { username, password } = args;
  if (!username && !password) return undefined;
  if (!username || !password) throw badRequest('Specify both username and password, or neither');
  return { username, password };
}

/** The scope's name from the path, or 404 for a name it cannot have. */
function nameIn(scope: Scope, name: string): TemplateName {
  if (!isTemplateName(name) || !scope.names.includes(name)) throw notFound();
  return name;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  const uris = services.templateUris;

  const bases: [string, (ctx: RestContext) => Promise<Scope>][] = [
    ['/uris', async () => ({ context: null, path: 'uris', names: SITE_NAMES })],
    [
      '/domains/:host/uris',
      async (ctx) => {
        const domain = await services.domains.require(ctx.params.host);
        return { context: domain.mail_host, path: `domains/${domain.mail_host}/uris`, names: DOMAIN_NAMES };
      },
    ],
    [
      '/lists/:list/uris',
      async (ctx) => {
        const mlist = await services.lists.require(ctx.params.list);
        return { context: mlist.list_id, path: `lists/${mlist.list_id}/uris`, names: LIST_NAMES };
      },
    ],
  ];

  for (const [base, scopeOf] of bases) {
    // Templates by URI are new in API 3.1; 3.0 has no such resource.
    const scope = async (ctx: RestContext): Promise<Scope> => {
      if (apiOf(ctx).version !== '3.1') throw notFound();
      return scopeOf(ctx);
    };

    router.get(base, async (ctx) => {
      const s = await scope(ctx);
      const api = apiOf(ctx);
      const rows = (await uris.list(s.context)).filter((r) => (s.names as readonly string[]).includes(r.name));
      const body = await collection(ctx, rows, (page) => page.map((r) => render(api, s, r)));
      // Mailman's collection carries its own self_link, inside its etag.
      delete body.http_etag;
      ctx.body = withEtag({ ...body, self_link: api.pathTo(s.path) });
    });

    const setMany = (partial: boolean) => async (ctx: RestContext) => {
      const s = await scope(ctx);
      const spec: Record<string, Converter<string>> = { username: credential, password: credential };
      for (const name of s.names) spec[name] = uriText;
      const args = validate(inputOf(ctx), spec, partial ? 'all' : ['username', 'password']);
      const auth = credentialsOf(args);
      const changes = s.names.filter((n) => args[n] !== undefined).map((n) => [n, args[n]!] as const);
      // Every URI is checked before any is stored, so a 400 changes nothing.
      for (const [, uri] of changes) if (uri !== '') uris.check(uri);
      for (const [name, uri] of changes) {
        if (uri === '') await uris.delete(name, s.context);
        else await uris.set(name, s.context, uri, auth);
      }
      noContent(ctx);
    };
    router.put(base, setMany(false));
    router.patch(base, setMany(true));

    router.delete(base, async (ctx) => {
      const s = await scope(ctx);
      for (const name of s.names) await uris.delete(name, s.context);
      noContent(ctx);
    });

    router.get(`${base}/:name`, async (ctx) => {
      const s = await scope(ctx);
      const row = await uris.get(nameIn(s, ctx.params.name), s.context);
      if (!row) throw notFound();
      const api = apiOf(ctx);
      okay(ctx, {
        uri: row.uri,
        ...(row.username ? { username: row.username } : {}),
        self_link: api.pathTo(`${s.path}/${row.name}`),
      });
    });

    const setOne = (partial: boolean) => async (ctx: RestContext) => {
      const s = await scope(ctx);
      const name = nameIn(s, ctx.params.name);
      const args = validate(
        inputOf(ctx),
        { uri: uriText, [name]: uriText, username: credential, password: credential },
        'all',
      );
      if (args.uri !== undefined && args[name] !== undefined) throw badRequest(`Give either uri or ${name}, not both`);
      const uri = args.uri ?? args[name];
      const auth = credentialsOf(args);
      if (uri === undefined) {
        if (!partial) throw badRequest('Missing Parameter: uri');
        // A PATCH of the credentials alone keeps the URI.
        if (auth) {
          const row = await uris.get(name, s.context);
          if (!row) throw notFound();
          await uris.set(name, s.context, row.uri, auth);
        }
      } else if (uri === '') await uris.delete(name, s.context);
      else await uris.set(name, s.context, uri, auth);
      noContent(ctx);
    };
    router.put(`${base}/:name`, setOne(false));
    router.patch(`${base}/:name`, setOne(true));

    router.delete(`${base}/:name`, async (ctx) => {
      const s = await scope(ctx);
      await uris.delete(nameIn(s, ctx.params.name), s.context);
      noContent(ctx);
    });
  }
}
