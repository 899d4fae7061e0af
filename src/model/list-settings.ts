// The mailing-list settings: Mailman's names, types and defaults in one table. The entity's
// columns, the REST `config` resource and its validation all read this table, so a setting
// is added in one place (plus a migration for its column).

export type SettingType = 'string' | 'text' | 'bool' | 'int' | 'float' | 'days' | 'enum' | 'datetime' | 'string-list';
// 'string' is one line (it may be written into a header: display_name, description,
// subject_prefix); 'text' may have several (footers, notices, one-entry-per-line tables).
// 'string-list' is a list of strings, stored as JSON text (Mailman pickles these lists).
// 'days' is a whole number of days, Mailman's timedelta settings: REST shows it as "90d".

export interface SettingSpec {
  name: string;
  type: SettingType;
  /** Default for a new list; a function when it depends on the list's name. */
  default: unknown | ((ctx: { listName: string; mailHost: string }) => unknown);
  choices?: readonly string[];
  /** Read-only over REST (counters, identity). */
  readonly?: boolean;
  nullable?: boolean;
  /** One email address ('' for none): it is written into the headers of outgoing mail. */
  address?: true;
  /** Stored as text, one entry per line, and served over REST as a list of strings (as Mailman's). */
  lines?: true;
  /** Ours, not Mailman's: REST serves it but a PUT of the whole configuration may leave it out. */
  extension?: true;
  /** Names a chain or pipeline: must exist and compile to be assigned. */
  names?: 'chain' | 'pipeline';
  /** A password or key: chains and pipelines may not read it (src/dsl/resolve.ts). */
  secret?: true;
}

export const ACTIONS = ['hold', 'reject', 'discard', 'accept', 'defer'] as const;
export type ModerationAction = (typeof ACTIONS)[number];

/** Mailman's ResponseAction: whether an auto-response is sent, and whether the message then goes on. */
export const AUTORESPOND_ACTIONS = ['none', 'respond_and_discard', 'respond_and_continue'] as const;

/** Mailman's stock suspicious-header lines: known spam signatures of old. */
const DEFAULT_BOUNCE_MATCHING_HEADERS = [
  "# One 'header: regex' per line; a line starting with '#' is a comment.",
  'to: friend@public.com',
  'message-id: relay.comanche.denmark.eu',
  'from: list@listme.com',
  'from: .*@uplinkpro.com',
  '',
].join('\n');

const capitalise = (n: string) => n.charAt(0).toUpperCase() + n.slice(1);

export const LIST_SETTINGS: readonly SettingSpec[] = [
  // identity
  { name: 'list_name', type: 'string', default: '', readonly: true },
  { name: 'mail_host', type: 'string', default: '', readonly: true },
  { name: 'list_id', type: 'string', default: '', readonly: true },
  { name: 'display_name', type: 'string', default: ({ listName }: { listName: string }) => capitalise(listName) },
  { name: 'description', type: 'string', default: '' },
  { name: 'info', type: 'text', default: '' },
  { name: 'preferred_language', type: 'string', default: 'en' },
  { name: 'advertised', type: 'bool', default: true },
  { name: 'created_at', type: 'datetime', default: null, readonly: true },
  // counters
  { name: 'volume', type: 'int', default: 1, readonly: true },
  { name: 'post_id', type: 'int', default: 1, readonly: true },
  { name: 'next_digest_number', type: 'int', default: 1, readonly: true },
  { name: 'last_post_at', type: 'datetime', default: null, readonly: true, nullable: true },
  // chains and pipelines
  { name: 'posting_chain', extension: true, type: 'string', default: 'default-posting-chain', names: 'chain' },
  { name: 'owner_chain', extension: true, type: 'string', default: 'default-owner-chain', names: 'chain' },
  { name: 'posting_pipeline', type: 'string', default: 'default-posting-pipeline', names: 'pipeline' },
  { name: 'owner_pipeline', extension: true, type: 'string', default: 'default-owner-pipeline', names: 'pipeline' },
  // posting and moderation
  { name: 'emergency', type: 'bool', default: false },
  { name: 'default_member_action', type: 'enum', choices: ACTIONS, default: 'defer' },
  { name: 'default_nonmember_action', type: 'enum', choices: ACTIONS, default: 'hold' },
  { name: 'administrivia', type: 'bool', default: true },
  { name: 'require_explicit_destination', type: 'bool', default: true },
  { name: 'max_num_recipients', type: 'int', default: 10 },
  { name: 'max_message_size', type: 'int', default: 40 },
  { name: 'respond_to_post_requests', type: 'bool', default: true },
  { name: 'admin_immed_notify', type: 'bool', default: true },
  { name: 'admin_notify_mchanges', type: 'bool', default: false },
  // posting headers
  {
    name: 'subject_prefix',
    type: 'string',
    default: ({ listName }: { listName: string }) => `[${capitalise(listName)}] `,
  },
  { name: 'include_rfc2369_headers', type: 'bool', default: true },
  { name: 'allow_list_posts', type: 'bool', default: true },
  {
    name: 'reply_goes_to_list',
    type: 'enum',
    choices: ['no_munging', 'point_to_list', 'explicit_header', 'explicit_header_only'],
    default: 'no_munging',
  },
  { name: 'reply_to_address', type: 'string', default: '', address: true },
  { name: 'first_strip_reply_to', type: 'bool', default: false },
  { name: 'anonymous_list', type: 'bool', default: false },
  { name: 'personalize', type: 'enum', choices: ['none', 'individual', 'full'], default: 'none' },
  // membership and archives
  {
    name: 'subscription_policy',
    type: 'enum',
    choices: ['open', 'confirm', 'moderate', 'confirm_then_moderate'],
    default: 'confirm',
  },
  {
    name: 'unsubscription_policy',
    type: 'enum',
    choices: ['open', 'confirm', 'moderate', 'confirm_then_moderate'],
    default: 'confirm',
  },
  { name: 'send_welcome_message', type: 'bool', default: true },
  { name: 'send_goodbye_message', type: 'bool', default: true },
  {
    name: 'member_roster_visibility',
    type: 'enum',
    choices: ['public', 'members', 'moderators'],
    default: 'moderators',
  },
  { name: 'archive_policy', type: 'enum', choices: ['never', 'private', 'public'], default: 'public' },
  { name: 'digests_enabled', type: 'bool', default: true },
  // auto-responses to mail for -owner, -request and the list (src/services/replybot.ts)
  { name: 'autorespond_owner', type: 'enum', choices: AUTORESPOND_ACTIONS, default: 'none' },
  { name: 'autorespond_postings', type: 'enum', choices: AUTORESPOND_ACTIONS, default: 'none' },
  { name: 'autorespond_requests', type: 'enum', choices: AUTORESPOND_ACTIONS, default: 'none' },
  { name: 'autoresponse_owner_text', type: 'text', default: '' },
  { name: 'autoresponse_postings_text', type: 'text', default: '' },
  { name: 'autoresponse_request_text', type: 'text', default: '' },
  /** Days during which one sender gets no second response of the same kind; 0 answers every message. */
  { name: 'autoresponse_grace_period', type: 'days', default: 90 },
  // moderation rules
  /** A password hash (REST hashes what it is given); null: the approved rule always misses. */
  { name: 'moderator_password', type: 'string', default: null, nullable: true, secret: true },
  { name: 'accept_these_nonmembers', type: 'string-list', default: [] },
  { name: 'hold_these_nonmembers', type: 'string-list', default: [] },
  { name: 'reject_these_nonmembers', type: 'string-list', default: [] },
  { name: 'discard_these_nonmembers', type: 'string-list', default: [] },
  { name: 'acceptable_aliases', type: 'string-list', default: [] },
  { name: 'bounce_matching_headers', extension: true, type: 'text', default: DEFAULT_BOUNCE_MATCHING_HEADERS },
  { name: 'newsgroup_moderation', type: 'enum', choices: ['none', 'open_moderated', 'moderated'], default: 'none' },
  {
    name: 'dmarc_mitigate_action',
    type: 'enum',
    choices: ['no_mitigation', 'munge_from', 'wrap_message', 'reject', 'discard'],
    default: 'no_mitigation',
  },
  { name: 'dmarc_mitigate_unconditionally', type: 'bool', default: false },
  { name: 'dmarc_moderation_notice', type: 'text', default: '' },
  { name: 'dmarc_wrapped_message_text', type: 'text', default: '' },
  // delivery handlers
  { name: 'filter_content', type: 'bool', default: false },
  { name: 'filter_action', type: 'enum', choices: ['discard', 'reject', 'forward', 'preserve'], default: 'discard' },
  // Content filter rows, one MIME type or file extension per line (Mailman keeps a table).
  { name: 'filter_types', type: 'text', default: '', lines: true },
  { name: 'pass_types', type: 'text', default: '', lines: true },
  { name: 'filter_extensions', type: 'text', default: '', lines: true },
  { name: 'pass_extensions', type: 'text', default: '', lines: true },
  { name: 'collapse_alternatives', type: 'bool', default: true },
  { name: 'convert_html_to_plaintext', type: 'bool', default: false },
  { name: 'topics_enabled', extension: true, type: 'bool', default: false },
  // One topic per line, `NAME: REGEX` (Mailman's pickled (name, pattern, desc, flag) rows).
  { name: 'topics', extension: true, type: 'text', default: '' },
  { name: 'topics_bodylines_limit', extension: true, type: 'int', default: 5 },
  { name: 'gateway_to_news', type: 'bool', default: false },
  { name: 'linked_newsgroup', type: 'string', default: '' },
  // The news server of the gateway: HOST or HOST:PORT ([nntp] port when none is given). Mailman
  // keeps it on the list but its REST API does not serve it.
  { name: 'nntp_host', extension: true, type: 'string', default: '' },
  // The list:member:regular:header and :footer templates; a null footer is the built-in one.
  { name: 'member_regular_header', extension: true, type: 'text', default: '' },
  { name: 'member_regular_footer', extension: true, type: 'text', default: null, nullable: true },
  // Stored and served with Mailman's defaults for its clients (Postorius shows them); the
  // bounce runner and the digest schedule of this server do not read them yet.
  { name: 'archive_rendering_mode', type: 'enum', choices: ['text', 'markdown'], default: 'text' },
  { name: 'process_bounces', type: 'bool', default: true },
  { name: 'bounce_info_stale_after', type: 'days', default: 7 },
  { name: 'bounce_notify_owner_on_bounce_increment', type: 'bool', default: false },
  { name: 'bounce_notify_owner_on_disable', type: 'bool', default: true },
  { name: 'bounce_notify_owner_on_removal', type: 'bool', default: true },
  { name: 'bounce_score_threshold', type: 'int', default: 5 },
  { name: 'bounce_you_are_disabled_warnings', type: 'int', default: 3 },
  { name: 'bounce_you_are_disabled_warnings_interval', type: 'days', default: 7 },
  {
    name: 'forward_unrecognized_bounces_to',
    type: 'enum',
    choices: ['discard', 'administrators', 'site_owner'],
    default: 'administrators',
  },
  { name: 'digest_send_periodic', type: 'bool', default: true },
  { name: 'digest_size_threshold', type: 'float', default: 30 },
  {
    name: 'digest_volume_frequency',
    type: 'enum',
    choices: ['yearly', 'monthly', 'quarterly', 'weekly', 'daily'],
    default: 'monthly',
  },
  { name: 'digest_last_sent_at', type: 'datetime', default: null, readonly: true, nullable: true },
  { name: 'gateway_to_mail', type: 'bool', default: false },
  { name: 'nntp_prefix_subject_too', type: 'bool', default: true },
  { name: 'usenet_watermark', type: 'int', default: null, readonly: true, nullable: true },
  { name: 'max_days_to_hold', type: 'int', default: 0 },
];

export const SETTINGS_BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(LIST_SETTINGS.map((s) => [s.name, s]));

export function defaultSettings(listName: string, mailHost: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of LIST_SETTINGS) {
    const d =
      typeof spec.default === 'function'
        ? (spec.default as (c: object) => unknown)({ listName, mailHost })
        : spec.default;
    out[spec.name] = Array.isArray(d) ? [...d] : d;
  }
  return out;
}
