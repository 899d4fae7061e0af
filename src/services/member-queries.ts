// The roster queries of MemberManager (members.ts), as SQL: the listing order, and the
// recipient queries delivery runs once per post over the whole roster.
import { cascadeSql, MEMBER_ADDRESS, USER_LAYER } from './preferences.js';

/** Mailman's order for membership listings: by list, then owners, moderators, members, nonmembers. */
const ROLE_ORDER: Record<string, number> = { owner: 0, moderator: 1, member: 2, nonmember: 3 };
export const ROLE_ORDER_SQL = `CASE m.role ${Object.entries(ROLE_ORDER)
  .map(([role, n]) => `WHEN '${role}' THEN ${n}`)
  .join(' ')} ELSE 9 END`;

/** What personalised delivery needs of a member, read without hydrating the member. */
export interface DeliveryMember {
  email: string;
  displayName: string;
  language?: string;
}

// Recipient calculation runs once per post over the whole roster: raw prepared SQL, one row
// of plain columns per member (TypeORM's hydration of Member and Address was most of the
// pipeline runner's CPU at 1000 members), with the preference cascade evaluated in the
// query. A member subscribed as a user counts under the user's preferred address
// (MEMBER_ADDRESS). The sender's receive_own_postings is asked in the query too, after the
// email comparison, so the cascade is evaluated for that one row and not carried back for each.
export const REGULAR_RECIPIENTS = `SELECT a.email AS email
  FROM member m ${MEMBER_ADDRESS} ${USER_LAYER}
  WHERE m.list_id = ? AND m.role = 'member' AND ${cascadeSql('delivery_mode')} = 'regular'
    AND ${cascadeSql('delivery_status')} = 'enabled' AND (a.email <> ? OR ${cascadeSql('receive_own_postings')})
  ORDER BY a.email`;
export const DIGEST_RECIPIENTS = `SELECT a.email AS email, ${cascadeSql('delivery_mode')} AS mode
  FROM member m ${MEMBER_ADDRESS} ${USER_LAYER}
  WHERE m.list_id = ? AND m.role = 'member' AND ${cascadeSql('delivery_mode')} <> 'regular'
    AND ${cascadeSql('delivery_status')} = 'enabled'
  ORDER BY a.email`;
export const ENABLED_IN_ROLE = `SELECT a.email AS email
  FROM member m ${MEMBER_ADDRESS} ${USER_LAYER}
  WHERE m.list_id = ? AND m.role = ? AND ${cascadeSql('delivery_status')} = 'enabled'
  ORDER BY a.email`;
// The language as far as the member, address and user say; decoration falls back to the list's.
export const DELIVERY_DATA = `SELECT a.email AS email, COALESCE(NULLIF(m.display_name, ''), a.display_name, '') AS name,
    ${cascadeSql('preferred_language')} AS language
  FROM member m ${MEMBER_ADDRESS} ${USER_LAYER}
  WHERE m.list_id = ? AND m.role = 'member'`;
