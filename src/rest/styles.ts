// List styles: named bundles of settings applied when a list is created (Mailman's
// styles/default.py), so POST /lists {style_name} and GET /lists/styles work. Only
// settings the list table has are set; see the inventory, section 5.2 "Styles".
export interface ListStyle {
  name: string;
  description: string;
  settings: Record<string, unknown>;
}

export const LIST_STYLES: readonly ListStyle[] = [
  { name: 'legacy-default', description: 'A public discussion list.', settings: {} },
  {
    name: 'legacy-announce',
    description: 'A public list where only approved announcements are posted.',
    settings: { allow_list_posts: false },
  },
  {
    name: 'private-default',
    description: 'A discussion list that is not advertised, with private archives and moderated subscriptions.',
    settings: { advertised: false, archive_policy: 'private', subscription_policy: 'confirm_then_moderate' },
  },
];

export const DEFAULT_STYLE = 'legacy-default';

export function findStyle(name: string): ListStyle | undefined {
  return LIST_STYLES.find((s) => s.name === name);
}
