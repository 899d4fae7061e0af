// docs/language.md is the reference of the chain and pipeline language, and code comments cite
// its headings. It is written by hand, so these tests keep it current: every registered rule,
// effect, handler and link source, and every diagnostic code, has its place in it, its tables
// name nothing that is gone, and its links to its own headings resolve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { Codes } from '../../src/dsl/diagnostics.js';

interface Listed {
  name: string;
  params: { name: string }[];
}

type Registered = Record<'rules' | 'effects' | 'handlers' | 'sources', Listed[]>;

/** What files can name, as `mailman components --json` reads it from the one registry. */
function registered(): Promise<Registered> {
  return new Promise((resolve, reject) => {
    const cli = join(PACKAGE_ROOT, 'bin', 'mailman.js');
    execFile(process.execPath, [cli, 'components', '--json'], (err, stdout, stderr) => {
      if (err) reject(new Error(`mailman components failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as Registered);
    });
  });
}

const DOC = readFileSync(join(PACKAGE_ROOT, 'docs', 'language.md'), 'utf8');

/** The text of a section, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const lines = DOC.split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `docs/language.md has no heading '${heading}'`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? lines.length : end).join('\n');
}

/** The first cells of a section's table rows, backticks removed (header and rule rows skipped). */
function firstCells(text: string): string[] {
  const cells: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\| ([^|]+?) \|/.exec(line);
    if (m && !/^-+$/.test(m[1]) && /^`[^`]+`$/.test(m[1])) cells.push(m[1].slice(1, -1));
  }
  return cells;
}

/** The table row of a name in a section. */
function rowOf(text: string, name: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
}

test('each registered rule, effect and handler has a row, naming its parameters; no row is stale', async () => {
  const listing = await registered();
  const tables = { rules: '### Rules', effects: '### Effects', handlers: '### Handlers' } as const;
  for (const [kind, heading] of Object.entries(tables) as [keyof typeof tables, string][]) {
    const text = section(heading);
    const names = listing[kind].map((c) => c.name);
    assert.ok(names.length > 0, `nothing registered as ${kind}`);
    for (const c of listing[kind]) {
      const row = rowOf(text, c.name);
      assert.ok(row, `docs/language.md '${heading}' has no row for the registered ${kind} entry '${c.name}'`);
      for (const p of c.params) {
        assert.ok(row.includes(`\`${p.name}`), `the row of '${c.name}' does not name its parameter '${p.name}'`);
      }
    }
    const listed = firstCells(text).sort();
    assert.deepEqual(listed, [...names].sort(), `the table under '${heading}' lists names not registered as ${kind}`);
  }
});

test('every registered link source is described under its heading', async () => {
  const { sources } = await registered();
  assert.ok(sources.length > 0);
  const text = section('## Link sources and for loops');
  for (const s of sources) assert.ok(text.includes(`\`${s.name}\``), `link source '${s.name}' is not described`);
});

test('the code table has exactly the codes of src/dsl/diagnostics.ts', () => {
  const codes = Object.values(Codes) as string[];
  const text = section('### Codes');
  const rows = [...text.matchAll(/^\| (MM\d{3}) \|/gm)].map((m) => m[1]);
  for (const code of codes) assert.ok(rows.includes(code), `docs/language.md has no row for ${code}`);
  const known = [...new Set(codes)].sort();
  assert.deepEqual([...rows].sort(), known, 'the code table lists a code src/dsl/diagnostics.ts does not have');
});

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

test('links to headings of the document resolve', () => {
  const anchors = new Set([...DOC.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1])));
  const links = [...DOC.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length > 0);
  for (const link of links) assert.ok(anchors.has(link), `#${link} is not a heading of docs/language.md`);
});
