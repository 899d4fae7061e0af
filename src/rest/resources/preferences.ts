// The layers of the preference cascade over REST, in Mailman's shapes:
//   /members/<id>/preferences, /addresses/<email>/preferences, /users/<id>/preferences
//     GET: the preferences set on that layer (an unset one is left out), with self_link;
//     PATCH: sets the given ones; PUT: sets the given ones and unsets the rest;
//     DELETE: unsets them all. Each write answers 204; an unknown key or a bad value is 400.
//   /members/<id>/all/preferences: GET, every preference as the cascade decides it.
// /system/preferences, the bottom of the cascade, is in system.ts.
import { DELIVERY_MODES, DELIVERY_STATUSES } from '../../model/vocabulary.js';
import { LANGUAGE_CODE, PREFERENCE_NAMES, type Preferences } from '../../model/preferences.js';
import type { PreferenceOwner } from '../../services/preferences.js';
import { apiOf, noContent, okay, type Api, type Resource } from '../helpers.js';
import { bool, inputOf, oneOf, str, validate, type Converter } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';
import { requireMember } from './members.js';
import { requireAddress } from './addresses.js';
import { requireUser } from './users.js';

const language: Converter<string> = (value) => {
  const code = str(value).trim();
  if (!LANGUAGE_CODE.test(code)) throw new Error(`Not a language code: ${code.slice(0, 20)}`);
  return code;
};

const PREFERENCE_SPEC = {
  acknowledge_posts: bool,
  delivery_mode: oneOf(DELIVERY_MODES),
  delivery_status: oneOf(DELIVERY_STATUSES),
  hide_address: bool,
  preferred_language: language,
  receive_list_copy: bool,
  receive_own_postings: bool,
};

/** The preferences a request body names; anything else, or a value out of range, is a 400. */
function requested(ctx: RestContext): Partial<Preferences> {
  return validate(inputOf(ctx), PREFERENCE_SPEC, 'all') as Partial<Preferences>;
}

/** Only the preferences that have a value, as Mailman shows a layer; `base` is the owner's path. */
export function renderPreferences(api: Api, base: string, prefs: Partial<Preferences>): Resource {
  const out: Resource = {};
  for (const name of PREFERENCE_NAMES) if (prefs[name] !== null && prefs[name] !== undefined) out[name] = prefs[name];
  out.self_link = api.pathTo(`${base}/preferences`);
  return out;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  /** The four methods of one layer's resource; `find` gives the owner and its path, or throws 404. */
  const layer = (path: string, find: (ctx: RestContext) => Promise<{ owner: PreferenceOwner; base: string }>) => {
    router.get(path, async (ctx) => {
      const { owner, base } = await find(ctx);
      okay(ctx, renderPreferences(apiOf(ctx), base, services.preferences.of(owner)));
    });
    router.patch(path, async (ctx) => {
      const { owner } = await find(ctx);
      await services.preferences.update(owner, requested(ctx));
      noContent(ctx);
    });
    router.put(path, async (ctx) => {
      const { owner } = await find(ctx);
      await services.preferences.replace(owner, requested(ctx));
      noContent(ctx);
    });
    router.delete(path, async (ctx) => {
      const { owner } = await find(ctx);
      await services.preferences.clear(owner);
      noContent(ctx);
    });
  };

  layer('/members/:id/preferences', async (ctx) => {
    const api = apiOf(ctx);
    const { member } = await requireMember(services, api, ctx.params.id);
    return { owner: { member }, base: `members/${api.fromUuid(member.member_id)}` };
  });
  layer('/addresses/:email/preferences', async (ctx) => {
    const address = await requireAddress(services, ctx.params.email);
    return { owner: { address }, base: `addresses/${address.email}` };
  });
  layer('/users/:user/preferences', async (ctx) => {
    const api = apiOf(ctx);
    const user = await requireUser(services, api, ctx.params.user);
    return { owner: { user }, base: `users/${api.fromUuid(user.user_id)}` };
  });

  router.get('/members/:id/all/preferences', async (ctx) => {
    const api = apiOf(ctx);
    const { member } = await requireMember(services, api, ctx.params.id);
    // Mailman's combined view leaves hide_address out: it is not a per-list matter.
    const effective: Partial<Preferences> = { ...(await services.preferences.effective(member)) };
    delete effective.hide_address;
    okay(ctx, renderPreferences(api, `members/${api.fromUuid(member.member_id)}/all`, effective));
  });
}
