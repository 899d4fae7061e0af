// /domains: the mail hosts lists live under, and their owners (users). Deleting a domain deletes
// its lists and its owner links.
import type { Domain } from '../../model/entities.js';
import { apiOf, collection, created, noContent, okay, pagedCollection, type Api } from '../helpers.js';
import { inputOf, oneLine, str, validate, listOfStrings, email } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';
import { advertisedOnly, renderLists } from './lists.js';
import { userView } from './users.js';

export function domainView(api: Api, d: Domain): Record<string, unknown> {
  return {
    alias_domain: d.alias_domain,
    description: d.description,
    mail_host: d.mail_host,
    self_link: api.pathTo(`domains/${d.mail_host}`),
  };
}

const optionalString = (v: unknown) => (v === null ? null : str(v));
/** One or more emails, each an owner to add (a user found by email, or made for it). */
const owners = (v: unknown) => listOfStrings(v).map(email);

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/domains', async (ctx) => {
    const api = apiOf(ctx);
    ctx.body = await pagedCollection(
      ctx,
      (page) => services.domains.page(page),
      (ds) => ds.map((d) => domainView(api, d)),
    );
  });

  router.post('/domains', async (ctx) => {
    const args = validate(inputOf(ctx), { mail_host: str, description: oneLine, alias_domain: str, owner: owners }, [
      'description',
      'alias_domain',
      'owner',
    ]);
    const d = await services.domains.create(args.mail_host!, args.description ?? '', args.alias_domain || null);
    if (args.owner) await services.domainOwners.add(d, args.owner);
    created(ctx, apiOf(ctx).pathTo(`domains/${d.mail_host}`));
  });

  router.get('/domains/:host', async (ctx) => {
    okay(ctx, domainView(apiOf(ctx), await services.domains.require(ctx.params.host)));
  });

  const update = (all: boolean) => async (ctx: RestContext) => {
    const d = await services.domains.require(ctx.params.host);
    const args = validate(
      inputOf(ctx),
      { description: oneLine, alias_domain: optionalString, owner: owners },
      all ? ['owner'] : 'all',
    );
    const changes: Partial<Domain> = {};
    if (args.description !== undefined) changes.description = args.description;
    if (args.alias_domain !== undefined) changes.alias_domain = args.alias_domain || null;
    await services.domains.update(d, changes);
    // Owners named here are added to the ones the domain has, as Mailman does.
    if (args.owner) await services.domainOwners.add(d, args.owner);
    noContent(ctx);
  };
  router.patch('/domains/:host', update(false));
  router.put('/domains/:host', update(true));

  router.delete('/domains/:host', async (ctx) => {
    await services.domains.remove(ctx.params.host);
    noContent(ctx);
  });

  router.get('/domains/:host/lists', async (ctx) => {
    const d = await services.domains.require(ctx.params.host);
    ctx.body = await pagedCollection(
      ctx,
      (page) => services.lists.page({ mailHost: d.mail_host, advertised: advertisedOnly(ctx) }, page),
      (ls) => renderLists(services, apiOf(ctx), ls),
    );
  });

  router.get('/domains/:host/owners', async (ctx) => {
    const d = await services.domains.require(ctx.params.host);
    const api = apiOf(ctx);
    ctx.body = await collection(ctx, await services.domainOwners.of(d), (us) => us.map((u) => userView(api, u)));
  });

  router.post('/domains/:host/owners', async (ctx) => {
    const d = await services.domains.require(ctx.params.host);
    const args = validate(inputOf(ctx), { owner: owners });
    await services.domainOwners.add(d, args.owner!);
    noContent(ctx);
  });

  router.delete('/domains/:host/owners', async (ctx) => {
    validate(inputOf(ctx), {});
    await services.domainOwners.removeAll(await services.domains.require(ctx.params.host));
    noContent(ctx);
  });
}
