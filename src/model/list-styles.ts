// List styles: named bundles of settings a new list starts from (Mailman's three), applied to
// the row before it is first written, so a list never exists without its style. REST
// (POST /lists {style_name}, GET /lists/styles) and `mailman create --style` name them;
// [styles] default says which one a list gets when none is named.
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
