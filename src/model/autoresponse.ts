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
