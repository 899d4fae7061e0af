// Subscribing and unsubscribing, as Mailman's workflows do it: one service for REST, the CLI
// and email commands. A request that must wait (for the subscriber's confirmation, for a
// moderator) is saved whole on a pending row, under a token owned by whoever acts next; each
// step gets a token of its own, so the subscriber's token cannot approve the moderator's step.
//
// Subscription: sanity checks → verification (an unverified address confirms, unless
//   pre_verified; an invitation asks the invitee) → the policy (open, confirm, moderate,
//   confirm_then_moderate; pre_confirmed skips confirming, pre_approved skips the moderator)
//   → the membership, a welcome message and the owners' notice.
// Unsubscription: the same with unsubscription_policy, ending in a goodbye.
import type { MailingList, Member, User } from '../model/entities.js';
import { DELIVERY_MODES, DELIVERY_STATUSES } from '../model/entities.js';
import type { Pended, PendType, TokenOwner } from '../model/pending.js';
import type { Config } from '../config/config.js';
import { listAddresses } from '../model/list-addresses.js';
import { isValidEmail } from '../email/addresses.js';
import { BadRequestError, ConflictError, NotFoundError } from './errors.js';
import type { PendingManager } from './pendings.js';
import type { Page, Paged } from './paging.js';
import type { MemberManager, MemberView } from './members.js';
import type { UserManager } from './users.js';
import type { BanManager } from './bans.js';
import type { TemplateLoader } from './templates.js';
import type { PreferenceManager } from './preferences.js';
import type { Switchboards } from '../queue/switchboard.js';
import { askModerators, askSubscriber, goodbye, refuse, welcome } from './workflow-notices.js';

/** Refusals a subscriber is told about in words (REST maps them to 409 or 400). */
export class AlreadySubscribedError extends ConflictError {}
export class MembershipIsBannedError extends BadRequestError {}
export class SubscriptionPendingError extends ConflictError {}
export class NotAMemberError extends BadRequestError {}

export interface SubscribeOptions {
  displayName?: string;
  preVerified?: boolean;
  preConfirmed?: boolean;
  preApproved?: boolean;
  /** Ask the address to join; accepting it is all it takes (implies every pre_ flag). */
  invitation?: boolean;
  /** Overrides the list's send_welcome_message for this subscription. */
  sendWelcome?: boolean | null;
  deliveryMode?: string;
  deliveryStatus?: string;
  /** Subscribe this user, whose preferred address `email` is, as the user (as_user). */
  asUser?: User;
}

export interface UnsubscribeOptions {
  preConfirmed?: boolean;
  preApproved?: boolean;
  /** Overrides the list's send_goodbye_message. */
  sendGoodbye?: boolean | null;
}

export type WorkflowType = 'subscription' | 'unsubscription';

/** Where a request stands: done (token null, member set for a subscription) or waiting on token. */
export interface WorkflowOutcome {
  type: WorkflowType;
  token: string | null;
  tokenOwner: TokenOwner;
  member: MemberView | null;
  email: string;
}

/** What a waiting workflow keeps on its pending row. */
interface WorkflowState {
  step: 'confirm' | 'invite' | 'moderate';
  email: string;
  display_name: string;
  pre_approved: boolean;
  send_welcome: boolean | null;
  send_goodbye: boolean | null;
  delivery_mode: string | null;
  delivery_status: string | null;
  /** The user (uid) to subscribe as the user; absent: the address is subscribed. */
  as_user?: string | null;
}

/** A list's waiting subscription or unsubscription, as `GET /lists/L/requests` shows it. */
export interface MembershipRequest {
  token: string;
  tokenOwner: TokenOwner;
  type: WorkflowType;
  email: string;
  displayName: string;
  listId: string;
  when: Date;
}

export type ModeratorAction = 'accept' | 'reject' | 'discard' | 'defer';

export interface WorkflowDeps {
  config: Config;
  pendings: PendingManager;
  members: MemberManager;
  users: UserManager;
  bans: BanManager;
  templates: TemplateLoader;
  queues: Switchboards;
  preferences: PreferenceManager;
}

export class WorkflowManager {
  constructor(private readonly d: WorkflowDeps) {}

  private get life(): { subscriber: number; moderator: number } {
    return {
      subscriber: this.d.config.durationMs('mailman', 'pending_request_life'),
      moderator: this.d.config.durationMs('mailman', 'moderator_request_life'),
    };
  }

  /** Starts (and, when nothing needs waiting for, finishes) a subscription to `mlist`. */
  async subscribe(mlist: MailingList, email: string, opts: SubscribeOptions = {}): Promise<WorkflowOutcome> {
    const lower = email.trim().toLowerCase();
    if (!isValidEmail(email.trim())) throw new BadRequestError(`Invalid email address: ${email}`);
    if (lower === listAddresses(mlist).posting)
      throw new BadRequestError('The list posting address cannot be subscribed');
    // The list's other addresses would have it mail itself: a confirmation sent to -request
    // would be read as a command and confirm itself.
    if (isListAddress(mlist, lower)) throw new BadRequestError(`${lower} is an address of the list itself`);
    if (opts.deliveryMode && !(DELIVERY_MODES as readonly string[]).includes(opts.deliveryMode))
      throw new BadRequestError(`Invalid delivery_mode: ${opts.deliveryMode}`);
    if (opts.deliveryStatus && !(DELIVERY_STATUSES as readonly string[]).includes(opts.deliveryStatus))
      throw new BadRequestError(`Invalid delivery_status: ${opts.deliveryStatus}`);
    if (await this.d.bans.isBanned(lower, mlist.list_id))
      throw new MembershipIsBannedError(`${lower} is not allowed to subscribe to ${listAddresses(mlist).posting}`);
    const address = await this.d.users.getAddress(lower);
    if (address && (await this.d.members.getMembership(mlist.list_id, 'member', address.id)))
      throw new AlreadySubscribedError(`${lower} is already a member of ${listAddresses(mlist).posting}`);
    if (await this.d.pendings.findFor(mlist.list_id, lower, 'subscription'))
      throw new SubscriptionPendingError(`${lower} has a pending subscription for ${listAddresses(mlist).posting}`);
    // As Mailman: the address exists from the request on (unverified), so it can be verified.
    const addr = address ?? (await this.d.users.createAddress(email.trim(), opts.displayName ?? ''));
    const state: WorkflowState = {
      step: 'confirm',
      email: lower,
      display_name: opts.displayName ?? addr.display_name ?? '',
      pre_approved: !!(opts.preApproved || opts.invitation),
      send_welcome: opts.sendWelcome ?? null,
      send_goodbye: null,
      delivery_mode: opts.deliveryMode ?? null,
      delivery_status: opts.deliveryStatus ?? null,
      as_user: opts.asUser?.user_id ?? null,
    };
    if (opts.invitation) return this.wait(mlist, 'subscription', { ...state, step: 'invite' });
    if (!addr.verified_on) {
      if (!opts.preVerified) return this.wait(mlist, 'subscription', state);
      await this.d.users.verify(addr);
    }
    const policy = String(mlist.subscription_policy);
    const mustConfirm = (policy === 'confirm' || policy === 'confirm_then_moderate') && !opts.preConfirmed;
    if (mustConfirm) return this.wait(mlist, 'subscription', state);
    return this.afterConfirmation(mlist, 'subscription', state);
  }

  /** Starts (and, when nothing needs waiting for, finishes) `email`'s unsubscription from `mlist`. */
  async unsubscribe(mlist: MailingList, email: string, opts: UnsubscribeOptions = {}): Promise<WorkflowOutcome> {
    const lower = email.trim().toLowerCase();
    const address = await this.d.users.getAddress(lower);
    const member = address ? await this.d.members.getMembership(mlist.list_id, 'member', address.id) : null;
    if (!member) throw new NotAMemberError(`${lower} is not a member of ${listAddresses(mlist).posting}`);
    if (await this.d.pendings.findFor(mlist.list_id, lower, 'unsubscription'))
      throw new SubscriptionPendingError(`${lower} has a pending unsubscription for ${listAddresses(mlist).posting}`);
    const state: WorkflowState = {
      step: 'confirm',
      email: lower,
      display_name: member.display_name,
      pre_approved: !!opts.preApproved,
      send_welcome: null,
      send_goodbye: opts.sendGoodbye ?? null,
      delivery_mode: null,
      delivery_status: null,
    };
    const policy = String(mlist.unsubscription_policy);
    const mustConfirm = (policy === 'confirm' || policy === 'confirm_then_moderate') && !opts.preConfirmed;
    if (mustConfirm) return this.wait(mlist, 'unsubscription', state);
    return this.afterConfirmation(mlist, 'unsubscription', state);
  }

  /**
   * The subscriber's confirmation (or accepted invitation) of a token: the workflow moves on.
   * Undefined when the token is unknown, expired, or not the subscriber's to confirm.
   */
  async confirm(token: string, resolveList: (listId: string) => Promise<MailingList | null>) {
    const pending = await this.d.pendings.get<WorkflowState>(token);
    if (!pending || pending.row.token_owner !== 'subscriber' || !isWorkflow(pending.row.type)) return undefined;
    const mlist = pending.row.list_id ? await resolveList(pending.row.list_id) : null;
    const taken = await this.d.pendings.confirm<WorkflowState>(token);
    if (!taken || !mlist) return undefined;
    const type = pending.row.type as WorkflowType;
    const state = taken.data;
    if (type === 'subscription') {
      const addr = await this.d.users.getAddress(state.email);
      if (addr) await this.d.users.verify(addr);
    }
    return this.afterConfirmation(mlist, type, state);
  }

  /** A moderator's decision on a request waiting for one. */
  async moderate(
    mlist: MailingList,
    token: string,
    action: ModeratorAction,
    reason?: string,
  ): Promise<WorkflowOutcome | undefined> {
    const pending = await this.d.pendings.get<WorkflowState>(token);
    if (!pending || pending.row.list_id !== mlist.list_id || !isWorkflow(pending.row.type))
      throw new NotFoundError(`No request with token ${token}`);
    const type = pending.row.type as WorkflowType;
    if (action === 'defer') return undefined;
    // A moderator may also drop a request still waiting for its subscriber; only an accept
    // needs the request to have reached the moderator.
    if (action === 'accept' && pending.row.token_owner !== 'moderator')
      throw new ConflictError('The request is waiting for the subscriber, not a moderator');
    const taken = await this.d.pendings.confirm<WorkflowState>(token);
    if (!taken) throw new NotFoundError(`No request with token ${token}`);
    if (action === 'accept') return this.finish(mlist, type, taken.data);
    if (action === 'reject') await refuse(this.d, mlist, type, taken.data.email, reason);
    return undefined;
  }

  /** A list's waiting requests, oldest first. */
  async requests(
    listId: string,
    filter: { type?: WorkflowType; tokenOwner?: TokenOwner } = {},
  ): Promise<MembershipRequest[]> {
    return (await this.requestsPage(listId, filter)).items;
  }

  /** A list's waiting requests, oldest first; one page of them, counted in the database. */
  async requestsPage(
    listId: string,
    filter: { type?: WorkflowType; tokenOwner?: TokenOwner } = {},
    page?: Page,
  ): Promise<Paged<MembershipRequest>> {
    const types: WorkflowType[] = filter.type ? [filter.type] : ['subscription', 'unsubscription'];
    const { items, total } = await this.d.pendings.forListPage(listId, { types, tokenOwner: filter.tokenOwner }, page);
    return { items: items.map(toRequest), total };
  }

  async request(listId: string, token: string): Promise<MembershipRequest | undefined> {
    const pending = await this.d.pendings.get(token);
    if (!pending || pending.row.list_id !== listId || !isWorkflow(pending.row.type)) return undefined;
    return toRequest(pending.row);
  }

  /** After the subscriber's step: the moderator's, unless the policy or pre_approved skips it. */
  private async afterConfirmation(
    mlist: MailingList,
    type: WorkflowType,
    state: WorkflowState,
  ): Promise<WorkflowOutcome> {
    const policy = String(type === 'subscription' ? mlist.subscription_policy : mlist.unsubscription_policy);
    const invited = state.step === 'invite';
    const moderated = (policy === 'moderate' || policy === 'confirm_then_moderate') && !invited;
    if (!moderated || state.pre_approved) return this.finish(mlist, type, state);
    const outcome = await this.wait(mlist, type, { ...state, step: 'moderate' });
    if (mlist.admin_immed_notify) await askModerators(this.d, mlist, type, state, outcome.token ?? '');
    return outcome;
  }

  /** Saves the workflow under a new token for whoever acts next, and asks them. */
  private async wait(mlist: MailingList, type: WorkflowType, state: WorkflowState): Promise<WorkflowOutcome> {
    const owner: TokenOwner = state.step === 'moderate' ? 'moderator' : 'subscriber';
    const row = await this.d.pendings.add(type, state, {
      listId: mlist.list_id,
      email: state.email,
      tokenOwner: owner,
      lifeMs: owner === 'moderator' ? this.life.moderator : this.life.subscriber,
    });
    if (owner === 'subscriber')
      await askSubscriber(this.d, mlist, state.step === 'invite' ? 'invitation' : type, state.email, row.token);
    return { type, token: row.token, tokenOwner: owner, member: null, email: state.email };
  }

  private async finish(mlist: MailingList, type: WorkflowType, state: WorkflowState): Promise<WorkflowOutcome> {
    if (type === 'subscription') {
      const view = await this.d.members.subscribe(mlist, state.email, {
        displayName: state.display_name || undefined,
        deliveryMode: state.delivery_mode ?? undefined,
        deliveryStatus: state.delivery_status ?? undefined,
        verified: true,
        asUser: await this.stillPreferring(state),
      });
      await this.afterSubscribe(mlist, view, state.send_welcome);
      return { type, token: null, tokenOwner: 'no_one', member: view, email: state.email };
    }
    const address = await this.d.users.getAddress(state.email);
    const member = address ? await this.d.members.getMembership(mlist.list_id, 'member', address.id) : null;
    if (member) await this.deleteMember(mlist, member, state.email, state.send_goodbye);
    return { type, token: null, tokenOwner: 'no_one', member: null, email: state.email };
  }

  /**
   * The user a waiting subscription was for, when the address is still their preferred one;
   * if it no longer is (or the user is gone), the address the subscriber confirmed is subscribed.
   */
  private async stillPreferring(state: WorkflowState): Promise<User | undefined> {
    if (!state.as_user) return undefined;
    const user = await this.d.users.getUserByUid(state.as_user);
    const address = await this.d.users.getAddress(state.email);
    return user && address && user.preferred_address_id === address.id ? user : undefined;
  }

  /** The welcome message and the owners' notice that follow a new membership; null means as the list says. */
  afterSubscribe(
    mlist: MailingList,
    view: MemberView,
    sendWelcome: boolean | null = null,
    adminNotify: boolean | null = null,
  ): Promise<void> {
    return welcome(this.d, mlist, view, sendWelcome, adminNotify);
  }

  /** Removes a membership now, with the goodbye message and the owners' notice (null: as the list says). */
  async deleteMember(
    mlist: MailingList,
    member: Member,
    email: string,
    sendGoodbye: boolean | null = null,
    adminNotify: boolean | null = null,
  ): Promise<void> {
    // The language is the member's, read before the membership (its first layer) is gone.
    const { preferred_language: language } = await this.d.preferences.effective(member);
    await this.d.members.unsubscribe(member);
    await goodbye(this.d, mlist, { email, displayName: member.display_name, language }, sendGoodbye, adminNotify);
  }
}

/** Whether `email` is one of the list's own addresses, a -confirm+TOKEN one included. */
function isListAddress(mlist: MailingList, email: string): boolean {
  const at = email.lastIndexOf('@');
  if (email.slice(at + 1) !== mlist.mail_host) return false;
  const local = email.slice(0, at);
  if (!local.startsWith(`${mlist.list_name}-`)) return false;
  const suffix = local.slice(mlist.list_name.length + 1).split('+')[0];
  return ['owner', 'request', 'bounces', 'join', 'leave', 'subscribe', 'unsubscribe', 'confirm'].includes(suffix);
}

function isWorkflow(type: PendType): boolean {
  return type === 'subscription' || type === 'unsubscription';
}

function toRequest(row: Pended): MembershipRequest {
  const data = JSON.parse(row.data) as Partial<WorkflowState>;
  return {
    token: row.token,
    tokenOwner: row.token_owner,
    type: row.type as WorkflowType,
    email: row.email ?? data.email ?? '',
    displayName: data.display_name ?? '',
    listId: row.list_id ?? '',
    when: row.created_at,
  };
}
