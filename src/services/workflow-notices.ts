// What the membership workflows mail, each from its named template: the request to confirm
// (or the invitation), the moderators' request, the welcome and the goodbye with the owners'
// notices that go with them.
import type { MailingList } from '../model/entities.js';
import { listAddresses } from '../model/list-addresses.js';
import type { Config } from '../config/config.js';
import type { MemberView } from './members.js';
import type { PreferenceManager } from './preferences.js';
import type { TemplateName } from './templates.js';
import { confirmationAddresses, sendTemplateNotice, sendToListAdmins, type TemplateNoticeDeps } from './notices.js';

export type NoticeDeps = TemplateNoticeDeps & { config: Config; preferences: PreferenceManager };

const ASK_TEMPLATE: Record<'subscription' | 'unsubscription' | 'invitation', TemplateName> = {
  subscription: 'list:user:action:subscribe',
  unsubscription: 'list:user:action:unsubscribe',
  invitation: 'list:user:action:invite',
};

function formatMember(email: string, displayName: string): string {
  return displayName ? `${displayName} <${email}>` : email;
}

/** Asks the subscriber (or invitee) to confirm `token` by replying. */
export async function askSubscriber(
  d: NoticeDeps,
  mlist: MailingList,
  kind: keyof typeof ASK_TEMPLATE,
  email: string,
  token: string,
): Promise<void> {
  const addrs = listAddresses(mlist);
  const { confirmEmail, from } = confirmationAddresses(d.config, mlist, token);
  const subject = `confirm ${token}`;
  await sendTemplateNotice(d, mlist, ASK_TEMPLATE[kind], {
    to: email,
    // Replying to a -confirm+TOKEN address is the whole confirmation; without VERP the
    // subject carries the token to -request instead.
    from,
    subject,
    // A confirmation is not bulk mail: it must not be dropped as list traffic by the
    // recipient's filters. Auto-Submitted tells an autoresponder not to answer it.
    precedence: null,
    headers: { 'Auto-Submitted': 'auto-generated' },
    subs: {
      token,
      subject,
      confirm_email: confirmEmail,
      user_email: email,
      domain_name: mlist.mail_host,
      contact_address: addrs.owner,
    },
  });
}

/** Tells the list's admins a request waits for them under `token`. */
export async function askModerators(
  d: NoticeDeps,
  mlist: MailingList,
  type: 'subscription' | 'unsubscription',
  who: { email: string; display_name: string },
  token: string,
): Promise<void> {
  const name: TemplateName = type === 'subscription' ? 'list:admin:action:subscribe' : 'list:admin:action:unsubscribe';
  await sendToListAdmins(d, mlist, name, {
    subject: `New ${type} request to ${mlist.display_name} from ${who.email}`,
    subs: { member: formatMember(who.email, who.display_name), token },
  });
}

/** The welcome message and the owners' notice that follow a new membership; null: as the list says. */
export async function welcome(
  d: NoticeDeps,
  mlist: MailingList,
  view: MemberView,
  sendWelcome: boolean | null,
  adminNotify: boolean | null,
): Promise<void> {
  const email = view.address.email;
  const display = view.member.display_name || view.address.display_name;
  if (sendWelcome ?? !!mlist.send_welcome_message) {
    await sendTemplateNotice(d, mlist, 'list:user:notice:welcome', {
      to: email,
      from: listAddresses(mlist).request,
      subject: `Welcome to the "${mlist.display_name}" mailing list`,
      headers: { 'X-No-Archive': 'yes' },
      language: (await d.preferences.effective(view.member)).preferred_language,
      subs: { user_email: email, user_address: email, user_name: display || email },
    });
  }
  if (adminNotify ?? !!mlist.admin_notify_mchanges) {
    await sendToListAdmins(d, mlist, 'list:admin:notice:subscribe', {
      subject: `${mlist.display_name} subscription notification`,
      subs: { member: formatMember(email, display) },
    });
  }
}

/** The goodbye message and the owners' notice after a membership ended; null: as the list says. */
export async function goodbye(
  d: NoticeDeps,
  mlist: MailingList,
  former: { email: string; displayName: string; language: string },
  sendGoodbye: boolean | null,
  adminNotify: boolean | null,
): Promise<void> {
  if (sendGoodbye ?? !!mlist.send_goodbye_message) {
    await sendTemplateNotice(d, mlist, 'list:user:notice:goodbye', {
      to: former.email,
      from: listAddresses(mlist).bounces,
      subject: `You have been unsubscribed from the ${mlist.display_name} mailing list`,
      language: former.language,
      subs: { user_email: former.email, user_address: former.email },
    });
  }
  if (adminNotify ?? !!mlist.admin_notify_mchanges) {
    await sendToListAdmins(d, mlist, 'list:admin:notice:unsubscribe', {
      subject: `${mlist.display_name} unsubscription notification`,
      subs: { member: formatMember(former.email, former.displayName) },
    });
  }
}

/** Tells whoever asked to join or leave that a moderator said no, and why. */
export async function refuse(
  d: NoticeDeps,
  mlist: MailingList,
  type: 'subscription' | 'unsubscription',
  email: string,
  reason: string | undefined,
): Promise<void> {
  await sendTemplateNotice(d, mlist, 'list:user:notice:refuse', {
    to: email,
    from: listAddresses(mlist).owner,
    subject: `Request to mailing list "${mlist.display_name}" rejected`,
    subs: {
      request: type === 'subscription' ? 'Subscription request' : 'Unsubscription request',
      reason: reason || 'No reason given',
      member: email,
    },
  });
}
