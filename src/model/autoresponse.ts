// Mailman's autoresponserecord: one row per automatic reply sent to an address for a list,
// so that a mail loop or a flood cannot make the list answer without end.
import { EntitySchema } from 'typeorm';

export const RESPONSE_TYPES = ['hold', 'command', 'postings', 'owner'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

export interface AutoResponseRecord {
  id: number;
  address: string;
  list_id: string;
  response_type: ResponseType;
  /** The UTC day, YYYY-MM-DD: limits count per day, as Mailman's do. */
  date_sent: string;
}

export const AutoResponseRecordEntity = new EntitySchema<AutoResponseRecord>({
  name: 'AutoResponseRecord',
  tableName: 'autoresponserecord',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    address: { type: String },
    list_id: { type: String },
    response_type: { type: String },
    date_sent: { type: String },
  },
  indices: [{ name: 'ix_autoresponse_lookup', columns: ['list_id', 'address', 'response_type', 'date_sent'] }],
});

/**
 * How many automatic replies of a type one address has had from one list on one day: a
 * counter bumped in one statement, so concurrent messages can never both take the last
 * reply the limit allows (counting rows, then inserting, could).
 */
export interface AutoResponseCount {
  id: number;
  list_id: string;
  address: string;
  response_type: ResponseType;
  date_sent: string;
  count: number;
}

export const AutoResponseCountEntity = new EntitySchema<AutoResponseCount>({
  name: 'AutoResponseCount',
  tableName: 'autoresponsecount',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    list_id: { type: String },
    address: { type: String },
    response_type: { type: String },
    date_sent: { type: String },
    count: { type: Number },
  },
  indices: [
    { name: 'ux_autoresponsecount_key', columns: ['list_id', 'address', 'response_type', 'date_sent'], unique: true },
  ],
});
