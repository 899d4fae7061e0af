// /lists/<list>/held: messages held for moderation, in Mailman's shape, and the moderator's
// decision on one (POST {action, comment}).
import type { MailingList } from '../../model/entities.js';
import type { HeldMessage } from '../../services/requests.js';
import type { Services } from '../../services/services.js';
import { Message } from '../../email/message.js';
import {
  apiOf,
  isoDate,
  methodNotAllowed,
  pagedCollection,
  noContent,
  okay,
  type Api,
  type Resource,
} from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { email, listOfStrings, inputOf, multiLine, oneOf, rowNumber, validate } from '../validate.js';
import { ACTIONS } from '../../model/list-settings.js';
import { moderateHeldMessage, UnknownHeldMessage, type HeldAction } from '../../moderation/moderator.js';
import type { RestDeps, RestRouter } from '../context.js';

/** The Subject as written in the message: folded lines joined, RFC 2047 words not decoded. */
function rawSubject(raw: Buffer): string | undefined {
  return new Message(raw).getEncoded('subject');
}

const RENAMED = ['_mod_message_id', '_mod_sender', '_mod_subject', '_mod_reason', '_mod_hold_date'];

async function renderHeld(services: Services, api: Api, mlist: MailingList, held: HeldMessage): Promise<Resource> {
  const { request, data } = held;
  const r: Resource = {};
  // The message's metadata as it was held, less our private keys (those starting with _).
  for (const [k, v] of Object.entries(data)) if (!k.startsWith('_')) r[k] = v;
  for (const k of RENAMED) r[k.slice(5)] = data[k];
  const raw = await services.messages.get(data._mod_message_id);
  // A message missing from the store still shows, so a moderator can see and dispose of it.
  r.msg = raw ? raw.toString('utf8') : '';
  r.original_subject = (raw && rawSubject(raw)) ?? data._mod_subject;
  // Stored as text already (Message.get decoded it): decoding again would mangle a literal "=?".
  r.subject = data._mod_subject ?? '';
  r.hold_date = isoDate(data._mod_hold_date);
  // Mailman's metadata of a held message always has these: the time the message came in (we
  // keep it in epoch milliseconds), its language, and whether the stored copy is parsed.
  if (typeof r.received_time === 'number') r.received_time = isoDate(new Date(r.received_time));
  r.lang ??= mlist.preferred_language;
  r._parsemsg = false;
  r.request_id = request.id;
  r.self_link = api.pathTo(`lists/${mlist.list_id}/held/${request.id}`);
  return r;
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/lists/:list/held', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const api = apiOf(ctx);
    ctx.body = await pagedCollection(
      ctx,
      (page) => services.requests.heldPage(mlist.list_id, page),
      (held) => Promise.all(held.map((h) => renderHeld(services, api, mlist, h))),
    );
  });

  router.get('/lists/:list/held/count', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    okay(ctx, { count: await services.requests.heldCount(mlist.list_id) });
  });

  router.get('/lists/:list/held/:id', async (ctx) => {
    const mlist = await services.lists.require(ctx.params.list);
    const id = rowNumber(ctx.params.id);
    const held = id !== undefined ? await services.requests.heldMessage(mlist.list_id, id) : undefined;
    if (!held) throw notFound();
    okay(ctx, await renderHeld(services, apiOf(ctx), mlist, held));
  });

  router.post('/lists/:list/held/:id', async (ctx) => {
    if (ctx.params.id === 'count') throw methodNotAllowed(['HEAD', 'GET']);
    const mlist = await services.lists.require(ctx.params.list);
    const id = rowNumber(ctx.params.id);
    if (id === undefined) throw notFound();
    // mailmanclient sends `comment`; Mailman's own tests have used `reason` too.
    const args = validate(
      inputOf(ctx),
      {
        // Mailman's order of the actions, which its refusal lists.
        action: oneOf(ACTIONS),
        comment: multiLine,
        reason: multiLine,
        forward: (v) => listOfStrings(v).map(email),
      },
      ['comment', 'reason', 'forward'],
    );
    if (!args.action) throw badRequest('Missing parameters: action');
    try {
      await moderateHeldMessage(services, mlist, id, args.action as HeldAction, {
        comment: args.comment ?? args.reason,
        forward: args.forward,
      });
    } catch (e) {
      if (e instanceof UnknownHeldMessage) throw notFound();
      throw e;
    }
    noContent(ctx);
  });
}
