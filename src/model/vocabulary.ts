// Mailman's fixed vocabularies of membership, apart from the entities so that code which
// only names them (the CLI, the language) does not load TypeORM.
export const ROLES = ['member', 'owner', 'moderator', 'nonmember'] as const;
export type MemberRole = (typeof ROLES)[number];
export const DELIVERY_MODES = ['regular', 'plaintext_digests', 'mime_digests', 'summary_digests'] as const;
export const DELIVERY_STATUSES = ['enabled', 'by_user', 'by_bounces', 'by_moderator', 'unknown'] as const;
