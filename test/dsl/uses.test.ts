// `use` on hostile input (src/dsl/uses.ts): nesting and the number of files read are bounded,
// a loop of any length is printed whole, and a file reached by two paths is one set of
// definitions, not a duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, DirRulesFiles, givenRules } from '../../src/dsl/index.js';
import { MAX_USE_DEPTH, MAX_USE_FILES } from '../../src/dsl/uses.js';
import { registry } from '../helpers/registry.js';

const files = (entries: Record<string, string>) =>
  new DirRulesFiles([], givenRules(Object.entries(entries).map(([file, text]) => ({ file, text }))));
const chain = (uses: string[], test = 'accept') =>
  `${uses.map((u) => `use "${u}"`).join('\n')}\n\nchain x {\n    ${test}\n}\n`;
const errors = (text: string, rulesFiles: DirRulesFiles) =>
  compile(text, 'x.chain', { registry, rulesFiles }).diagnostics.filter((d) => d.severity === 'error');

test(`use nests at most ${MAX_USE_DEPTH} files deep: the file one deeper is MM317, reported through MM320`, () => {
  const deep = (n: number) => {
    const map: Record<string, string> = {};
    for (let i = 0; i < n; i++)
      map[`d${i}.rules`] = `${i + 1 < n ? `use "d${i + 1}.rules"\n` : ''}let v${i} = ${i + 1}KB\n`;
    return files(map);
  };
  assert.deepEqual(
    errors(chain(['d0.rules'], 'if max-size(limit: v0) then hold\n    accept'), deep(MAX_USE_DEPTH)),
    [],
  );
  const [d] = errors(chain(['d0.rules']), deep(MAX_USE_DEPTH + 1));
  assert.equal(d.code, 'MM320');
  assert.match(d.hint!, /MM317 'use' nests 17 files deep here; the limit is 16/);
});

test(`one compile reads at most ${MAX_USE_FILES} .rules files, however they are reached`, () => {
  const map: Record<string, string> = {};
  const names = Array.from({ length: MAX_USE_FILES + 1 }, (_, i) => `p${i}.rules`);
  for (const [i, n] of names.entries()) map[n] = `let p${i} = ${i}\n`;
  // Half used through a hub file, half directly: the count is of files, wherever they are used.
  map['hub.rules'] =
    names
      .slice(0, 40)
      .map((n) => `use "${n}"`)
      .join('\n') + '\n';
  const found = errors(chain(['hub.rules', ...names.slice(40)]), files(map));
  assert.deepEqual(
    found.map((d) => d.code),
    ['MM317', 'MM317'],
  );
  assert.match(found[0].message, /more than 64 \.rules files are used in all/);
});

test('a loop of many files is printed whole, from the file that closes it', () => {
  const map: Record<string, string> = {};
  for (let i = 0; i < 5; i++) map[`l${i}.rules`] = `use "l${(i + 1) % 5}.rules"\n`;
  const [d] = errors(chain(['l0.rules']), files(map));
  assert.equal(d.code, 'MM320');
  assert.match(
    d.hint!,
    /MM316 'l0\.rules' is used in a loop: l0\.rules → l1\.rules → l2\.rules → l3\.rules → l4\.rules → l0\.rules/,
  );
});

test('a file reached by two paths is one set of definitions', () => {
  const rulesFiles = files({
    'base.rules': 'rule spammy = header "X-Spam" exists\n',
    'a.rules': 'use "base.rules"\nrule a-side = spammy and header "X-A" exists\n',
    'b.rules': 'use "base.rules"\nrule b-side = spammy or header "X-B" exists\n',
  });
  const text = chain(['a.rules', 'b.rules'], 'if a-side or b-side or spammy then hold\n    accept');
  assert.deepEqual(errors(text, rulesFiles), []);
  const ir = compile(text, 'x.chain', { registry, rulesFiles }).ir;
  assert.equal(ir?.kind, 'chain');
  assert.deepEqual(Object.keys(ir.kind === 'chain' ? ir.rules : {}).sort(), ['a-side', 'b-side', 'spammy']);
});

test(`the "defined in" hint searches the first ${MAX_USE_FILES} .rules files by name, no more`, () => {
  const map: Record<string, string> = {};
  // Names sort as f000 … f064: the file defining `late` is one past the bound.
  for (let i = 0; i <= MAX_USE_FILES; i++) map[`f${String(i).padStart(3, '0')}.rules`] = `let v${i} = ${i}KB\n`;
  map['f000.rules'] += 'rule early = loop\n';
  map[`f${String(MAX_USE_FILES).padStart(3, '0')}.rules`] += 'rule late = loop\n';
  const hint = (name: string) =>
    errors(chain([], `if ${name} then hold\n    accept`), files(map)).find((d) => d.code === 'MM301')?.hint;
  assert.match(hint('early') ?? '', /^defined in f000\.rules:2:6; add `use "f000\.rules"`$/);
  assert.doesNotMatch(hint('late') ?? '', /defined in/);
});
