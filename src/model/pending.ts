// Mailman's pendings: a token somebody must present (by mail, REST or the web) to move a
// request on, with an expiry. A subscription or unsubscription workflow keeps its whole
// state on its pending row, so one row is one step of one workflow.
import { EntitySchema } from 'typeorm';

export const PEND_TYPES = ['subscription', 'unsubscription', 'held message', 'probe', 'data'] as const;
export type PendType = (typeof PEND_TYPES)[number];

/** Who must act on a token next: the person subscribing, a list moderator, or nobody. */
export const TOKEN_OWNERS = ['no_one', 'subscriber', 'moderator'] as const;
export type TokenOwner = (typeof TOKEN_OWNERS)[number];

export interface Pended {
  id: number;
  /** 40 lower-case hex digits. */
  token: string;
  type: PendType;
  list_id: string | null;
  /** The address the request is about, lower-cased (null for held messages). */
  email: string | null;
  token_owner: TokenOwner;
  created_at: Date;
  expires_at: Date;
  /** JSON: the request's data (a workflow's step and flags; a held message's request id). */
  data: string;
}

export const PendedEntity = new EntitySchema<Pended>({
  name: 'Pended',
  tableName: 'pended',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    token: { type: String, unique: true },
    type: { type: String },
    list_id: { type: String, nullable: true },
    email: { type: String, nullable: true },
    token_owner: { type: String },
    created_at: { type: Date },
    expires_at: { type: Date },
    data: { type: 'text' },
  },
  indices: [{ name: 'ix_pended_list', columns: ['list_id', 'type'] }],
});

/**
 * Mailman's template row: where the text of a named template comes from for a list (its
 * list id), a domain (its mail host) or the site (context null).
 */
export interface TemplateRow {
  id: number;
  name: string;
  context: string | null;
  uri: string;
  username: string | null;
  password: string | null;
}

export const TemplateEntity = new EntitySchema<TemplateRow>({
  name: 'Template',
  tableName: 'template',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    name: { type: String },
    context: { type: String, nullable: true },
    uri: { type: 'text' },
    username: { type: String, nullable: true },
    password: { type: String, nullable: true },
  },
  indices: [{ name: 'ix_template_name_context', columns: ['name', 'context'] }],
});
