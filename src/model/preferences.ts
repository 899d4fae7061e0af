// Mailman's seven preferences, as a member, an address and a user each store them: every
// one nullable, null meaning "ask the next in the cascade". Kept apart from the entities so
// the REST validation and the SQL of the hot paths name them without loading TypeORM.
import { DELIVERY_MODES, DELIVERY_STATUSES } from './vocabulary.js';

export const PREFERENCE_NAMES = [
  'acknowledge_posts',
  'delivery_mode',
  'delivery_status',
  'hide_address',
  'preferred_language',
  'receive_list_copy',
  'receive_own_postings',
] as const;
export type PreferenceName = (typeof PREFERENCE_NAMES)[number];

export type DeliveryMode = (typeof DELIVERY_MODES)[number];
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One layer of the cascade as stored: null is "not set here". */
export interface Preferences {
  acknowledge_posts: boolean | null;
  delivery_mode: DeliveryMode | null;
  delivery_status: DeliveryStatus | null;
  hide_address: boolean | null;
  preferred_language: string | null;
  receive_list_copy: boolean | null;
  receive_own_postings: boolean | null;
}

/** What the cascade decides: every preference has a value. */
export type EffectivePreferences = { [K in keyof Preferences]: NonNullable<Preferences[K]> };

/** How each preference is stored and checked: a boolean, or a name from a fixed set, or a language code. */
export const PREFERENCE_KINDS: Record<PreferenceName, 'bool' | 'language' | readonly string[]> = {
  acknowledge_posts: 'bool',
  delivery_mode: DELIVERY_MODES,
  delivery_status: DELIVERY_STATUSES,
  hide_address: 'bool',
  preferred_language: 'language',
  receive_list_copy: 'bool',
  receive_own_postings: 'bool',
};

/**
 * The bottom of the cascade, but for the language, which is the site's
 * ([mailman] default_language) and so comes from the configuration.
 */
export const SYSTEM_PREFERENCES: Omit<EffectivePreferences, 'preferred_language'> = {
  acknowledge_posts: false,
  delivery_mode: 'regular',
  delivery_status: 'enabled',
  hide_address: true,
  receive_list_copy: true,
  receive_own_postings: true,
};

/**
 * A language code as Mailman names them (en, pt_BR, zh_Hant). There is no catalogue of
 * languages here to check against; the shape keeps a code usable as a template directory.
 */
export const LANGUAGE_CODE = /^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$/;

/** No preference set: what a new member, address or user starts with. */
export function noPreferences(): Preferences {
  return {
    acknowledge_posts: null,
    delivery_mode: null,
    delivery_status: null,
    hide_address: null,
    preferred_language: null,
    receive_list_copy: null,
    receive_own_postings: null,
  };
}
