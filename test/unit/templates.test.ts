// The built-in templates against docs/templates.md: every name Mailman uses has a text (or
// falls back to one), a row in the table, and uses no substitution the table does not give it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, BUILTIN_TEMPLATE_DIR } from '../../src/paths.js';
import { TEMPLATE_NAMES, listSubstitutions } from '../../src/services/templates.js';
import { defaultSettings } from '../../src/model/list-settings.js';
import type { MailingList } from '../../src/model/entities.js';

const FOOTERS_THAT_FALL_BACK = ['list:member:digest:footer', 'list:member:regular:footer'];

/** The table's rows: template name -> the substitutions its third column names. */
function documented(): Map<string, Set<string>> {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'templates.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z:-]+)` \| [^|]+ \| ([^|]+) \|$/.exec(line);
    if (m) rows.set(m[1], m[2]);
  }
  const subs = (name: string): Set<string> => {
    const cell = rows.get(name) ?? '';
    const as = /^as `([a-z:-]+)`/.exec(cell.trim());
    if (as) return subs(as[1]);
    return new Set([...cell.matchAll(/`\$(\w+)`/g)].map((m) => m[1]));
  };
  return new Map([...rows.keys()].map((name) => [name, subs(name)]));
}

const common = new Set(
  Object.keys(
    listSubstitutions(
      { ...defaultSettings('ant', 'example.com'), list_id: 'ant.example.com' } as unknown as MailingList,
      'postmaster@example.com',
    ),
  ),
);

test('docs/templates.md has a row for every template name, and for no other', () => {
  assert.deepEqual([...documented().keys()].sort(), [...TEMPLATE_NAMES].sort());
});

test('every template has a built-in English text, but the footers that fall back to the generic one', () => {
  const missing = TEMPLATE_NAMES.filter((n) => !existsSync(join(BUILTIN_TEMPLATE_DIR, 'en', `${n}.txt`)));
  assert.deepEqual(missing, FOOTERS_THAT_FALL_BACK);
  assert.ok(existsSync(join(BUILTIN_TEMPLATE_DIR, 'en', 'list:member:generic:footer.txt')));
});

test('the built-in texts use only the substitutions the table gives them', () => {
  const table = documented();
  for (const name of TEMPLATE_NAMES) {
    const file = join(BUILTIN_TEMPLATE_DIR, 'en', `${name}.txt`);
    if (!existsSync(file)) continue;
    const used = [...readFileSync(file, 'utf8').matchAll(/\$(?:\{(\w+)\}|(\w+))/g)].map((m) => m[1] ?? m[2]);
    const unknown = used.filter((s) => !common.has(s) && !table.get(name)!.has(s));
    assert.deepEqual(unknown, [], `${name} uses ${unknown.join(', ')}`);
  }
});
