// The REST application: Mailman's API 3.0 and 3.1 on one Koa app. Order matters: the
// error boundary wraps everything, then authentication, then the API root (which strips
// /3.0 or /3.1 and remembers which), then body parsing, then the routes.
import Koa from 'koa';
import type { Context, Next } from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Services } from '../services/services.js';
import { errorBoundary } from './errors.js';
import { basicAuth } from './auth.js';
import { Api, API_VERSIONS, type ApiVersion, type RestState } from './helpers.js';
import type { RestDeps, RestRouter } from './context.js';
import { RESOURCES } from './resources/index.js';
import type { LiveCatalog } from '../dsl/index.js';

export interface RestAppOptions {
  /** `http://host:port`, no trailing slash: self_links and Locations are built on it. */
  baseUrl: string;
  chainExists?: (name: string) => boolean;
  pipelineExists?: (name: string) => boolean;
  /** The live catalog: /chains, /pipelines, and the checks above when they are not given. */
  catalog?: LiveCatalog;
  onClose?: (release: () => void) => void;
}

/** Strips the API root off the path; anything outside /3.0 and /3.1 is left to 404. */
function apiRoot(baseUrl: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const m = /^\/(3\.[01])(\/.*)?$/.exec(ctx.path);
    if (!m || !(API_VERSIONS as readonly string[]).includes(m[1])) return;
    (ctx.state as RestState).api = new Api(baseUrl, m[1] as ApiVersion);
    ctx.path = m[2] || '/';
    await next();
  };
}

export function createRestApp(services: Services, opts: RestAppOptions): Koa {
  const app = new Koa();
  const live = opts.catalog;
  const deps: RestDeps = {
    services,
    // A name is assignable when some version of it is in force (ok or stale).
    chainExists: opts.chainExists ?? (live && ((n) => live.snapshot().hasChain(n))),
    pipelineExists: opts.pipelineExists ?? (live && ((n) => live.snapshot().hasPipeline(n))),
    catalog: live,
    onClose: opts.onClose,
  };
  const router: RestRouter = new Router<RestState>();
  for (const resource of RESOURCES) resource.routes(router, deps);

  app.use(errorBoundary);
  app.use(basicAuth(services.config.get('webservice', 'admin_user'), services.config.get('webservice', 'admin_pass')));
  app.use(apiRoot(opts.baseUrl.replace(/\/+$/, '')));
  // DELETE too: mailmanclient sends form bodies with it (mass unsubscribe, pre_* flags).
  app.use(bodyParser({ enableTypes: ['json', 'form'], parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'] }));
  app.use(router.routes());
  // A known path with the wrong method: 405 with Allow (501 for a method never routed);
  // the boundary adds the error body.
  app.use(router.allowedMethods());
  return app;
}
