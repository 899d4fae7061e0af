// /members: memberships in every role. A member joins and leaves through the subscription
// workflows (202 with a token while a confirmation or an approval is awaited); owners,
// moderators and nonmembers are added and removed at once, as in Mailman.
import type { Member, User } from '../../model/entities.js';
import { DELIVERY_MODES, DELIVERY_STATUSES, ROLES } from '../../model/entities.js';
import { ACTIONS } from '../../model/list-settings.js';
import type { Services } from '../../services/services.js';
import type { MemberQuery, MemberView } from '../../services/members.js';
import { ConflictError } from '../../services/errors.js';
import { AlreadySubscribedError, MembershipIsBannedError, SubscriptionPendingError } from '../../services/workflows.js';
import { isValidEmail } from '../../email/addresses.js';
import {
  accepted,
  apiOf,
  created,
  isoDate,
  noContent,
  okay,
  pagedCollection,
  type Api,
  type Resource,
} from '../helpers.js';
import { badRequest, notFound } from '../errors.js';
import { bool, inputOf, listOfStrings, oneLine, oneOf, str, validate, type Input } from '../validate.js';
import type { RestContext, RestDeps, RestRouter } from '../context.js';

const NEVER = '0001-01-01T00:00:00';

export function article(role: string): string {
  return /^[aeiou]/.test(role) ? 'an' : 'a';
}

/** Member entries; the linked users are loaded in one query for the whole page. */
export async function renderMembers(services: Services, api: Api, views: MemberView[]): Promise<Resource[]> {
  const users = await services.users.usersById(views.flatMap((v) => [v.member.user_id, v.address.user_id]));
  // Mailman shows the delivery mode the member gets: through the cascade, not only their own.
  const effective = await services.preferences.effectiveOf(views.map((v) => v.member));
  return views.map(({ member: m, address: a }) => {
    const id = api.fromUuid(m.member_id);
    const r: Resource = {
      address: api.pathTo(`addresses/${a.email}`),
      bounce_score: m.bounce_score,
      delivery_mode: (effective.get(m.id) ?? services.preferences.system()).delivery_mode,
      display_name: m.display_name,
      email: a.email,
      list_id: m.list_id,
      member_id: id,
      role: m.role,
      self_link: api.pathTo(`members/${id}`),
      // Subscribing a user (always their preferred address) is not offered yet.
      subscription_mode: m.address_id != null ? 'as_address' : 'as_user',
      total_warnings_sent: m.total_warnings_sent,
    };
    // Absent rather than null when unset, as Mailman: null means "the list's default".
    if (m.moderation_action != null) r.moderation_action = m.moderation_action;
    if (m.last_bounce_received) r.last_bounce_received = isoDate(m.last_bounce_received);
    // Mailman's "never" is the earliest datetime there is, shown to the second.
    r.last_warning_sent = m.last_warning_sent ? isoDate(m.last_warning_sent) : NEVER;
    const user = users.get(m.user_id ?? a.user_id ?? -1);
    if (user) r.user = api.pathTo(`users/${api.fromUuid(user.user_id)}`);
    return r;
  });
}

/** `?fields=a&fields=b` (or a `fields` input) keeps only those keys of each entry. */
function pickFields(fields: string[] | undefined, resources: Resource[]): Resource[] {
  if (!fields?.length) return resources;
  return resources.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k))));
}

/**
 * The memberships `q` finds as a collection, paged in the database; a roster is listed by
 * email, other searches in Mailman's listing order (list, role, email).
 */
export async function memberCollection(
  ctx: RestContext,
  services: Services,
  q: MemberQuery,
  opts: { order?: 'listing' | 'email'; fields?: string[] } = {},
): Promise<Resource> {
  const api = apiOf(ctx);
  const requested =
    opts.fields ??
    (ctx.query.fields === undefined ? undefined : listOfStrings(ctx.query.fields).flatMap((f) => f.split(',')));
  return pagedCollection(
    ctx,
    (page) => services.members.findPage(memberQuery(api, q), opts.order, page),
    async (views) => pickFields(requested, await renderMembers(services, api, views)),
  );
}

/** A REST `subscriber` is an email, part of one, or a user id in the API's form. */
function memberQuery(api: Api, q: MemberQuery): MemberQuery {
  const s = q.subscriber?.trim();
  const uid = s !== undefined && !s.includes('@') ? api.toUuid(s) : undefined;
  return uid ? { ...q, subscriber: undefined, subscriberUid: uid } : q;
}

/** The memberships a REST search names; the search itself is the member service's. */
export function findMembers(services: Services, api: Api, q: MemberQuery): Promise<MemberView[]> {
  return services.members.find(memberQuery(api, q));
}

export async function requireMember(services: Services, api: Api, id: string): Promise<MemberView> {
  const hex = api.toUuid(id);
  const member = hex ? await services.members.getByMemberId(hex) : null;
  const [view] = member ? await services.members.withAddresses([member]) : [];
  if (!view) throw notFound();
  return view;
}

/**
 * DELETE of a membership: a member leaves through the unsubscription workflow as the list's
 * policy says (202 with a token while it waits); the other roles are removed at once.
 */
export async function deleteMembership(ctx: RestContext, services: Services, view: MemberView): Promise<void> {
  const { member, address } = view;
  const args = validate(inputOf(ctx), { pre_confirmed: bool, pre_approved: bool }, 'all');
  if (member.role !== 'member') {
    await services.members.unsubscribe(member);
    noContent(ctx);
    return;
  }
  const mlist = await services.lists.require(member.list_id);
  // As Mailman's API: an administrator's DELETE counts as confirmed unless it says otherwise;
  // the moderator's approval is still asked for under a moderate policy.
  const outcome = await services.workflows.unsubscribe(mlist, address.email, {
    preConfirmed: args.pre_confirmed ?? true,
    preApproved: !!args.pre_approved,
  });
  if (outcome.token) accepted(ctx, { token: outcome.token, token_owner: outcome.tokenOwner });
  else noContent(ctx);
}

/** The workflow's refusals in the words Mailman's REST API uses for them. */
async function subscribeWithMailmanErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AlreadySubscribedError) throw new ConflictError('Member already subscribed');
    if (err instanceof MembershipIsBannedError) throw badRequest('Membership is banned');
    if (err instanceof SubscriptionPendingError) throw new ConflictError('Subscription request already pending');
    throw err;
  }
}

export function routes(router: RestRouter, { services }: RestDeps): void {
  router.get('/members', async (ctx) => {
    // As Mailman: every list's owners, moderators and members; nonmembers only through find.
    ctx.body = await memberCollection(ctx, services, { notNonmembers: true });
  });

  router.post('/members', async (ctx) => {
    const api = apiOf(ctx);
    const subscriber = (v: unknown) => {
      const s = str(v).trim();
      const uid = s.includes('@') ? undefined : api.toUuid(s);
      if (uid) return { uid };
      if (isValidEmail(s)) return { email: s };
      throw new Error(`Expected an email address or a user id, got ${s}`);
    };
    const spec = {
      list_id: str,
      subscriber,
      display_name: oneLine,
      role: oneOf(ROLES),
      delivery_mode: oneOf(DELIVERY_MODES),
      delivery_status: oneOf(DELIVERY_STATUSES),
      pre_verified: bool,
      pre_confirmed: bool,
      pre_approved: bool,
      send_welcome_message: bool,
      invitation: bool,
    };
    const args = validate(inputOf(ctx), spec, [
      'display_name',
      'role',
      'delivery_mode',
      'delivery_status',
      'pre_verified',
      'pre_confirmed',
      'pre_approved',
      'send_welcome_message',
      'invitation',
    ]);
    const mlist = await services.lists.get(args.list_id!);
    if (!mlist) throw badRequest('No such list');
    const role = args.role ?? 'member';
    let email: string;
    let asUser: User | undefined;
    const sub = args.subscriber!;
    if ('uid' in sub) {
      // A user is subscribed as the user (as_user): delivery follows their preferred address.
      asUser = (await services.users.getUserByUid(sub.uid!)) ?? undefined;
      if (!asUser) throw badRequest('No such user');
      const preferred = await services.users.preferredAddress(asUser);
      if (!preferred) throw badRequest('User has no preferred address');
      email = preferred.email;
    } else {
      email = sub.email!;
    }
    if (role === 'member') {
      // Members join through the subscription workflow: the list's policy decides whether
      // the address confirms and a moderator approves, unless the pre_ flags say it is done.
      const outcome = await subscribeWithMailmanErrors(() =>
        services.workflows.subscribe(mlist, email, {
          displayName: args.display_name,
          preVerified: !!args.pre_verified,
          preConfirmed: !!args.pre_confirmed,
          preApproved: !!args.pre_approved,
          invitation: !!args.invitation,
          sendWelcome: args.send_welcome_message ?? null,
          deliveryMode: args.delivery_mode ?? undefined,
          deliveryStatus: args.delivery_status ?? undefined,
          asUser,
        }),
      );
      if (outcome.member) {
        created(ctx, api.pathTo(`members/${api.fromUuid(outcome.member.member.member_id)}`));
      } else {
        accepted(ctx, { token: outcome.token, token_owner: outcome.tokenOwner });
      }
      return;
    }
    // As Mailman's add_member: a name given names a new address only (Postorius sends the
    // string "None" for an owner it adds without one), and the member's own delivery mode is
    // regular unless asked for.
    const known = await services.users.getAddress(email.toLowerCase());
    let view: MemberView;
    try {
      view = await services.members.subscribe(mlist, email, {
        role,
        displayName: known ? undefined : args.display_name,
        deliveryMode: args.delivery_mode ?? 'regular',
        deliveryStatus: args.delivery_status ?? undefined,
        verified: !!(args.pre_verified || args.invitation),
        makeUser: true,
        asUser,
      });
    } catch (err) {
      // Mailman answers 400 naming the role for the rosters other than members.
      if (err instanceof ConflictError) {
        throw badRequest(
          `${email.toLowerCase()} is already ${article(role)} ${role} of ${mlist.list_name}@${mlist.mail_host}`,
        );
      }
      throw err;
    }
    created(ctx, api.pathTo(`members/${api.fromUuid(view.member.member_id)}`));
  });

  const find = async (ctx: RestContext) => {
    const input: Input = inputOf(ctx, { query: true });
    const args = validate(
      input,
      {
        list_id: str,
        subscriber: str,
        role: oneOf(ROLES),
        moderation_action: oneOf(ACTIONS),
        delivery_mode: oneOf(DELIVERY_MODES),
        delivery_status: oneOf(DELIVERY_STATUSES),
        fields: listOfStrings,
        // Paging is read from the query string by collection(); listed so it is not "unexpected".
        count: str,
        page: str,
      },
      'all',
    );
    let listId = args.list_id;
    if (listId !== undefined) listId = (await services.lists.get(listId))?.list_id ?? listId;
    const q: MemberQuery = {
      subscriber: args.subscriber,
      listId,
      role: args.role ?? undefined,
      moderation_action: args.moderation_action ?? undefined,
      delivery_mode: args.delivery_mode ?? undefined,
      delivery_status: args.delivery_status ?? undefined,
    };
    ctx.body = await memberCollection(ctx, services, q, { fields: args.fields?.flatMap((f) => f.split(',')) });
  };
  router.get('/members/find', find);
  router.post('/members/find', find);

  router.get('/members/:id', async (ctx) => {
    const api = apiOf(ctx);
    const view = await requireMember(services, api, ctx.params.id);
    okay(ctx, (await renderMembers(services, api, [view]))[0]);
  });

  router.patch('/members/:id', async (ctx) => {
    const { member } = await requireMember(services, apiOf(ctx), ctx.params.id);
    const args = validate(
      inputOf(ctx),
      {
        address: str,
        delivery_mode: oneOf(DELIVERY_MODES),
        delivery_status: oneOf(DELIVERY_STATUSES),
        moderation_action: oneOf(ACTIONS, { allowBlank: true }),
      },
      'all',
    );
    const changes: Partial<Member> = {};
    if (args.address !== undefined) {
      const address = await services.users.getAddress(args.address);
      if (!address) throw badRequest('Address not registered');
      const clash = await services.members.getMembership(member.list_id, member.role, address.id);
      if (clash && clash.id !== member.id)
        throw badRequest(`${address.email} is already ${article(member.role)} ${member.role} of ${member.list_id}`);
      // Given an address, the member is that address's from now on (as_address).
      changes.address_id = address.id;
      changes.user_id = null;
    }
    // The member's own layer of the preference cascade, as /members/<id>/preferences sets it.
    if (args.delivery_mode) changes.delivery_mode = args.delivery_mode;
    if (args.delivery_status) changes.delivery_status = args.delivery_status;
    // '' clears the override, so the list's default action applies again.
    if (args.moderation_action !== undefined) changes.moderation_action = args.moderation_action;
    await services.members.update(member, changes);
    noContent(ctx);
  });

  router.delete('/members/:id', async (ctx) => {
    await deleteMembership(ctx, services, await requireMember(services, apiOf(ctx), ctx.params.id));
  });
}
