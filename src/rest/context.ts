// What a resource module receives: the services, the chain/pipeline catalogue checks, and
// the router it adds its routes to. Each module exports `routes(router, deps)`.
import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import type { Services } from '../services/services.js';
import type { RestState } from './helpers.js';
import type { LiveCatalog } from '../dsl/index.js';

export interface RestDeps {
  services: Services;
  /** Whether a chain of that name exists and compiles; absent: names are not checked. */
  chainExists?: (name: string) => boolean;
  pipelineExists?: (name: string) => boolean;
  /** The live chains and pipelines (the /chains and /pipelines resources); absent: 404. */
  catalog?: LiveCatalog;
  /** Registers what to release when the server closes (worker threads). */
  onClose?: (release: () => void) => void;
}

export type RestRouter = Router<RestState>;
export type RestContext = RouterContext<RestState>;

/** A resource module: it adds its routes to the router (src/rest/resources/index.ts lists them). */
export interface RestResource {
  routes(router: RestRouter, deps: RestDeps): void;
}
