// A member who left digest delivery for regular delivery, owed one last digest: the posts
// collected up to the switch go out in the list's next issue, not into nothing. Keyed by the
// email rather than an address row, so deleting the address later cannot orphan the record
// or stop the digest being sent.
import { EntitySchema } from 'typeorm';

export interface OneLastDigest {
  id: number;
  list_id: string;
  email: string;
  /** The digest mode the member left: which of the two digests is owed. */
  delivery_mode: string;
}

export const OneLastDigestEntity = new EntitySchema<OneLastDigest>({
  name: 'OneLastDigest',
  tableName: 'onelastdigest',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    list_id: { type: String },
    email: { type: String },
    delivery_mode: { type: String },
  },
  indices: [{ name: 'ix_onelastdigest_list_id', columns: ['list_id'] }],
});
