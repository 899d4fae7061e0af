// A bounce as recorded: which address of which list bounced, when, and whether it answered a
// probe. The bounce runner records events as bounces arrive; the scoring reads them apart, so
// a burst of bounces costs one insert each and no member row is fought over.
import { EntitySchema } from 'typeorm';

export const BOUNCE_CONTEXTS = ['normal', 'probe'] as const;
export type BounceContext = (typeof BOUNCE_CONTEXTS)[number];

export interface BounceEvent {
  id: number;
  list_id: string;
  email: string;
  timestamp: Date;
  message_id: string;
  context: BounceContext;
  processed: boolean;
}

export const BounceEventEntity = new EntitySchema<BounceEvent>({
  name: 'BounceEvent',
  tableName: 'bounceevent',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    list_id: { type: String },
    email: { type: String },
    timestamp: { type: Date },
    message_id: { type: String, default: '' },
    context: { type: String, default: 'normal' },
    processed: { type: Boolean, default: false },
  },
  indices: [{ name: 'ix_bounceevent_processed', columns: ['processed'] }],
});
