// /system: versions, the effective configuration (read-only), default preferences; and
// /reserved/uids/orphans, Mailman's hook for test set-ups.
import { SYSTEM_VERSION } from '../../version.js';
import { apiOf, noContent, okay } from '../helpers.js';
import { notFound } from '../errors.js';
import { shownValue } from '../../config/schema.js';
import type { RestDeps, RestRouter, RestContext } from '../context.js';
import { renderPreferences } from './preferences.js';

export function routes(router: RestRouter, { services }: RestDeps): void {
  const versions = (ctx: RestContext) => {
    const api = apiOf(ctx);
    okay(ctx, {
      mailman_version: SYSTEM_VERSION,
      // Mailman reports its Python; the runtime here is Node, and clients only display it.
      python_version: `Node.js ${process.version}`,
      api_version: api.version,
      self_link: api.pathTo('system/versions'),
    });
  };
  router.get('/system', versions);
  router.get('/system/versions', versions);

  router.get('/system/configuration', (ctx) => {
    okay(ctx, { sections: Object.keys(services.config.dump()).sort() });
  });

  router.get('/system/configuration/:section', (ctx) => {
    const dump = services.config.dump();
    const section = Object.hasOwn(dump, ctx.params.section) ? dump[ctx.params.section] : undefined;
    if (!section) throw notFound(`No such configuration section: ${ctx.params.section}`);
    // Passwords stay in mailman.conf: the API shows that one is set, not what it is.
    const name = ctx.params.section;
    okay(ctx, Object.fromEntries(Object.entries(section).map(([key, value]) => [key, shownValue(name, key, value)])));
  });

  // The bottom of the preference cascade; read-only (405 on a write, as Mailman).
  router.get('/system/preferences', (ctx) => {
    okay(ctx, renderPreferences(apiOf(ctx), 'system', services.preferences.system()));
  });

  // Mailman keeps every user id it ever handed out, so one is never reused, and test set-ups
  // cull those of deleted users with this DELETE. Here a user's id lives on the user's row
  // only and goes with it, so there is never an orphan to cull: the call succeeds, as clients
  // written for Mailman expect.
  router.delete('/reserved/uids/orphans', (ctx) => noContent(ctx));
}
