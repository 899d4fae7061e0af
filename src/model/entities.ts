// The database rows, with Mailman's field names. EntitySchema (not decorators) lets the
// mailing-list columns come straight from the settings table in list-settings.ts.
import { EntitySchema, EntitySchemaColumnOptions } from 'typeorm';
import { LIST_SETTINGS, SettingSpec } from './list-settings.js';
import { AutoResponseCountEntity, AutoResponseRecordEntity } from './autoresponse.js';
import { PendedEntity, TemplateEntity } from './pending.js';
import { BounceEventEntity } from './bounce.js';
import { OneLastDigestEntity } from './one-last-digest.js';
import { PREFERENCE_KINDS, PREFERENCE_NAMES, type Preferences } from './preferences.js';

export interface Domain {
  id: number;
  mail_host: string;
  description: string;
  alias_domain: string | null;
}

export const DomainEntity = new EntitySchema<Domain>({
  name: 'Domain',
  tableName: 'domain',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    mail_host: { type: String, unique: true },
    description: { type: String, default: '' },
    alias_domain: { type: String, nullable: true },
  },
});

/** A list row: identity plus every setting of LIST_SETTINGS. */
export interface MailingList {
  id: number;
  list_name: string;
  mail_host: string;
  list_id: string;
  display_name: string;
  description: string;
  info: string;
  preferred_language: string;
  advertised: boolean;
  created_at: Date;
  volume: number;
  post_id: number;
  next_digest_number: number;
  last_post_at: Date | null;
  posting_chain: string;
  owner_chain: string;
  posting_pipeline: string;
  owner_pipeline: string;
  emergency: boolean;
  default_member_action: string;
  default_nonmember_action: string;
  subject_prefix: string;
  include_rfc2369_headers: boolean;
  allow_list_posts: boolean;
  reply_goes_to_list: string;
  reply_to_address: string;
  first_strip_reply_to: boolean;
  anonymous_list: boolean;
  personalize: string;
  admin_immed_notify: boolean;
  respond_to_post_requests: boolean;
  max_message_size: number;
  max_num_recipients: number;
  archive_policy: string;
  gateway_to_news: boolean;
  linked_newsgroup: string;
  nntp_host: string;
  newsgroup_moderation: string;
  nntp_prefix_subject_too: boolean;
  gateway_to_mail: boolean;
  usenet_watermark: number | null;
  [setting: string]: unknown;
}

/** A list of strings in a text column, as JSON; unreadable or absent text reads as []. */
export const STRING_LIST = {
  to: (value: unknown) =>
    value === undefined ? undefined : JSON.stringify(Array.isArray(value) ? value.map(String) : []),
  from: (value: unknown): string[] => {
    if (typeof value !== 'string' || value === '') return [];
    try {
      const parsed = JSON.parse(value);
      return Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      return [];
    }
  },
};

export function settingColumn(spec: SettingSpec): EntitySchemaColumnOptions {
  switch (spec.type) {
    case 'bool':
      return { type: Boolean, nullable: spec.nullable };
    case 'int':
    case 'days':
      return { type: Number, nullable: spec.nullable };
    case 'float':
      return { type: 'float', nullable: spec.nullable };
    case 'datetime':
      return { type: Date, nullable: true };
    case 'text':
      return { type: 'text', nullable: spec.nullable };
    case 'string-list':
      return { type: 'text', nullable: spec.nullable, transformer: STRING_LIST };
    default:
      return { type: String, nullable: spec.nullable };
  }
}

const listColumns: Record<string, EntitySchemaColumnOptions> = {
  id: { type: Number, primary: true, generated: 'increment' },
};
for (const spec of LIST_SETTINGS) listColumns[spec.name] = settingColumn(spec);
listColumns.list_id = { type: String, unique: true };

export const MailingListEntity = new EntitySchema<MailingList>({
  name: 'MailingList',
  tableName: 'mailinglist',
  columns: listColumns as never,
});

/** The seven preferences, each nullable: a member, an address and a user each have them. */
function preferenceColumns(): Record<keyof Preferences, EntitySchemaColumnOptions> {
  const out = {} as Record<keyof Preferences, EntitySchemaColumnOptions>;
  for (const name of PREFERENCE_NAMES)
    out[name] = { type: PREFERENCE_KINDS[name] === 'bool' ? Boolean : String, nullable: true };
  return out;
}

export interface User extends Preferences {
  id: number;
  user_id: string; // uuid hex
  display_name: string;
  password: string | null;
  created_on: Date;
  is_server_owner: boolean;
  preferred_address_id: number | null;
}

export const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'user',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    user_id: { type: String, unique: true },
    display_name: { type: String, default: '' },
    password: { type: String, nullable: true },
    created_on: { type: Date },
    is_server_owner: { type: Boolean, default: false },
    preferred_address_id: { type: Number, nullable: true },
    ...preferenceColumns(),
  },
});

export interface Address extends Preferences {
  id: number;
  email: string;
  original_email: string;
  display_name: string;
  registered_on: Date;
  verified_on: Date | null;
  user_id: number | null;
}

export const AddressEntity = new EntitySchema<Address>({
  name: 'Address',
  tableName: 'address',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    email: { type: String, unique: true },
    original_email: { type: String },
    display_name: { type: String, default: '' },
    registered_on: { type: Date },
    verified_on: { type: Date, nullable: true },
    user_id: { type: Number, nullable: true },
    ...preferenceColumns(),
  },
  indices: [{ name: 'ix_address_user_id', columns: ['user_id'] }],
});

export { ROLES, DELIVERY_MODES, DELIVERY_STATUSES, type MemberRole } from './vocabulary.js';
import type { MemberRole } from './vocabulary.js';

/** A membership; its preferences are the first layer of the cascade (services/preferences.ts). */
export interface Member extends Preferences {
  id: number;
  member_id: string; // uuid hex
  role: MemberRole;
  list_id: string;
  /** Subscribed as an address (address_id) or as a user (user_id: their preferred address). */
  address_id: number | null;
  user_id: number | null;
  display_name: string;
  moderation_action: string | null;
  bounce_score: number;
  last_bounce_received: Date | null;
  last_warning_sent: Date | null;
  total_warnings_sent: number;
  subscribed_on: Date;
}

export const MemberEntity = new EntitySchema<Member>({
  name: 'Member',
  tableName: 'member',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    member_id: { type: String, unique: true },
    role: { type: String },
    list_id: { type: String },
    address_id: { type: Number, nullable: true },
    user_id: { type: Number, nullable: true },
    display_name: { type: String, default: '' },
    moderation_action: { type: String, nullable: true },
    ...preferenceColumns(),
    bounce_score: { type: 'float', default: 0 },
    last_bounce_received: { type: Date, nullable: true },
    last_warning_sent: { type: Date, nullable: true },
    total_warnings_sent: { type: Number, default: 0 },
    subscribed_on: { type: Date },
  },
  indices: [
    { name: 'ix_member_list_role', columns: ['list_id', 'role'] },
    { name: 'ix_member_address', columns: ['address_id'] },
  ],
});

/** A stored message (Mailman's message store): the bytes live in a file under messages_dir. */
export interface StoredMessage {
  id: number;
  message_id: string;
  message_id_hash: string;
  path: string;
}

export const StoredMessageEntity = new EntitySchema<StoredMessage>({
  name: 'StoredMessage',
  tableName: 'message',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    message_id: { type: String, unique: true },
    message_id_hash: { type: String },
    path: { type: String },
  },
});

/** A moderation request (Mailman's _request): for now, held messages. */
export interface ListRequest {
  id: number;
  list_id: string;
  request_type: string;
  key: string;
  data: string; // JSON
  created_at: Date;
}

export const ListRequestEntity = new EntitySchema<ListRequest>({
  name: 'ListRequest',
  tableName: '_request',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    list_id: { type: String },
    request_type: { type: String },
    key: { type: String },
    data: { type: 'text' },
    created_at: { type: Date },
  },
  indices: [{ name: 'ix_request_list', columns: ['list_id', 'request_type'] }],
});

// moderation rules

/** Mailman's `ban`: an email (exact, or a `^regex`) banned from one list, or globally (list_id null). */
export interface Ban {
  id: number;
  email: string;
  list_id: string | null;
}

export const BanEntity = new EntitySchema<Ban>({
  name: 'Ban',
  tableName: 'ban',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    email: { type: String },
    list_id: { type: String, nullable: true },
  },
  indices: [{ name: 'ix_ban_list_email', columns: ['list_id', 'email'] }],
});

/** Mailman's `headermatch`: a list's header filter, in position order. */
export interface HeaderMatch {
  id: number;
  mailing_list_id: number;
  position: number;
  /** Lower-cased header name. */
  header: string;
  pattern: string;
  /** An action name (accept hold reject discard defer); null: [antispam] jump_chain. */
  chain: string | null;
  tag: string | null;
}

export const HeaderMatchEntity = new EntitySchema<HeaderMatch>({
  name: 'HeaderMatch',
  tableName: 'headermatch',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    mailing_list_id: { type: Number },
    position: { type: Number },
    header: { type: String },
    pattern: { type: String },
    chain: { type: String, nullable: true },
    tag: { type: String, nullable: true },
  },
  indices: [{ name: 'ix_headermatch_list', columns: ['mailing_list_id', 'position'] }],
});

/** Mailman's `domain_owner`: a user who owns a domain (many to many). */
export interface DomainOwner {
  id: number;
  domain_id: number;
  user_id: number;
}

export const DomainOwnerEntity = new EntitySchema<DomainOwner>({
  name: 'DomainOwner',
  tableName: 'domainowner',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    domain_id: { type: Number },
    user_id: { type: Number },
  },
  indices: [{ name: 'ux_domainowner', columns: ['domain_id', 'user_id'], unique: true }],
});

/** Mailman's `listarchiver`: a list's switch for one site archiver; no row means enabled. */
export interface ListArchiver {
  id: number;
  mailing_list_id: number;
  name: string;
  is_enabled: boolean;
}

export const ListArchiverEntity = new EntitySchema<ListArchiver>({
  name: 'ListArchiver',
  tableName: 'listarchiver',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    mailing_list_id: { type: Number },
    name: { type: String },
    is_enabled: { type: Boolean },
  },
  indices: [{ name: 'ux_listarchiver', columns: ['mailing_list_id', 'name'], unique: true }],
});

export const ALL_ENTITIES = [
  DomainEntity,
  MailingListEntity,
  UserEntity,
  AddressEntity,
  MemberEntity,
  StoredMessageEntity,
  ListRequestEntity,
  AutoResponseRecordEntity,
  AutoResponseCountEntity,
  BanEntity,
  HeaderMatchEntity,
  PendedEntity,
  TemplateEntity,
  DomainOwnerEntity,
  ListArchiverEntity,
  BounceEventEntity,
  OneLastDigestEntity,
];
