// Property: whatever text it is given, compile() returns, quickly, and either gives an IR or
// at least one error, every diagnostic pointing inside the source (1-based line and column,
// the column at most one past the end of its line). Inputs: random strings, random sequences
// of the language's own tokens, and random edits of the real built-in files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { compile, format, type PipelineIr } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { DirRulesFiles, givenRules } from '../../src/dsl/rules-files.js';
import { CHAINS_DIR, PIPELINES_DIR } from './support.js';

const REAL = [
  ...readdirSync(CHAINS_DIR)
    .filter((f) => f.endsWith('.chain'))
    .map((f) => ({ file: f, text: readFileSync(join(CHAINS_DIR, f), 'utf8') })),
  ...readdirSync(PIPELINES_DIR)
    .filter((f) => f.endsWith('.pipeline'))
    .map((f) => ({ file: f, text: readFileSync(join(PIPELINES_DIR, f), 'utf8') })),
];
/** The built-in pipelines as compiled: the bases derived pipelines are checked against. */
const BASES = new Map(
  REAL.filter((r) => r.file.endsWith('.pipeline')).map((r) => [
    r.file.replace(/\.pipeline$/, ''),
    compile(r.text, r.file, { registry }).ir as PipelineIr,
  ]),
);
const NAMES = {
  chainNames: new Set(REAL.filter((r) => r.file.endsWith('.chain')).map((r) => r.file.replace(/\.chain$/, ''))),
  pipelineNames: new Set(
    REAL.filter((r) => r.file.endsWith('.pipeline')).map((r) => r.file.replace(/\.pipeline$/, '')),
  ),
  registry,
  pipelineBase: (name: string) => (BASES.has(name) ? { ir: BASES.get(name)! } : undefined),
};
// A derived pipeline, so random edits reach `from`, `before`, `after`, `replace` and `without` too.
REAL.push({
  file: 'strict.pipeline',
  text: `pipeline strict from default-posting-pipeline "Stricter" {
    before subject-prefix: add-header(name: "X-Policy", value: "strict")
    after cook-headers: remove-header(name: "X-Spam") when header "X-Spam" exists
    without tagger
    replace mime-delete: strip-parts(types: ["text/html"])
}
`,
});

/** A generous bound: a hang guard, not a performance assertion. */
const HANG_MS = 2000;

function check(text: string, file: string): void {
  const started = Date.now();
  const result = compile(text, file, NAMES);
  const took = Date.now() - started;
  assert.ok(took < HANG_MS, `compile took ${took} ms on ${JSON.stringify(text.slice(0, 200))}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.ok(result.ir !== undefined || errors.length > 0, `neither IR nor error for ${JSON.stringify(text)}`);
  if (result.ir) assert.equal(errors.length, 0);
  const lines = text.split('\n').map((l) => [...l.replace(/\r$/, '')].length);
  for (const d of result.diagnostics) {
    const where = `${d.code} at ${d.line}:${d.column} in ${JSON.stringify(text)}`;
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines.length, `line out of range: ${where}`);
    assert.ok(
      Number.isInteger(d.column) && d.column >= 1 && d.column <= lines[d.line - 1] + 1,
      `column out of range: ${where}`,
    );
    assert.ok(d.endLine > d.line || (d.endLine === d.line && d.endColumn >= d.column), `end before start: ${where}`);
    assert.match(d.code, /^MM[1-5]\d\d$/);
  }
}

// The language's vocabulary, for token soups that get much further into the parser than noise.
const WORDS = [
  'chain',
  'pipeline',
  'let',
  'rule',
  'if',
  'then',
  'for',
  'in',
  'when',
  'accept',
  'hold',
  'reject',
  'discard',
  'defer',
  'stop',
  'jump',
  'detour',
  'run',
  'to',
  'otherwise',
  'and',
  'or',
  'not',
  'is',
  'a',
  'an',
  'contains',
  'matches',
  'starts',
  'ends',
  'with',
  'exists',
  'missing',
  'header',
  'else',
  'as',
  'number',
  'body',
  'part',
  'message.parts',
  'part.header',
  'part.size',
  'true',
  'false',
  'from',
  'before',
  'after',
  'without',
  'replace',
  'default-posting-pipeline',
  'subject-prefix',
  'add-header',
  'loop',
  'any',
  'member-moderation',
  'header-match',
  'moderation',
  'accept-message',
  'cook-headers',
  'to-outgoing',
  'sender',
  'senders',
  'recipients',
  'size',
  'list',
  'msgdata',
  'site',
  'c',
  'x',
  'member',
  'antispam',
  'jump_chain',
  'header_checks',
  'max_message_size',
  'member_moderation_action',
  'count',
  'domain',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ',',
  ':',
  '=',
  '.',
  '<',
  '<=',
  '>',
  '>=',
  '"Subject"',
  '"a {sender} b"',
  '"{"',
  '"\\q"',
  '"unterminated',
  '/a+/i',
  '/(a+)+/',
  '/(/',
  '/unterminated',
  '/x/g',
  '42',
  '99999999999999999999',
  '40KB',
  '1.5MB',
  '40 KB',
  '3x',
  '1.5',
  '#comment\n',
  '\n',
  '\t',
  ';',
  "'q'",
  '@',
  '🙂',
];
const token = fc.constantFrom(...WORDS);
const tokenSoup = fc.array(token, { maxLength: 40 }).map((ts) => ts.join(' '));
const chainSoup = fc.array(token, { maxLength: 30 }).map((ts) => `chain x {\n  ${ts.join(' ')}\n}\n`);
const derivedSoup = fc
  .array(token, { maxLength: 30 })
  .map((ts) => `pipeline x from default-posting-pipeline {\n  ${ts.join(' ')}\n}\n`);

/** One edit of a text: delete, insert or swap characters, or delete, insert or swap tokens. */
const edit = (text: string) =>
  fc.oneof(
    fc
      .record({ at: fc.nat(text.length), n: fc.integer({ min: 1, max: 8 }) })
      .map(({ at, n }) => text.slice(0, at) + text.slice(at + n)),
    fc
      .record({ at: fc.nat(text.length), s: fc.string({ maxLength: 6 }) })
      .map(({ at, s }) => text.slice(0, at) + s + text.slice(at)),
    fc.record({ a: fc.nat(text.length), b: fc.nat(text.length) }).map(({ a, b }) => {
      const c = [...text];
      if (a < c.length && b < c.length) [c[a], c[b]] = [c[b], c[a]];
      return c.join('');
    }),
    fc.record({ i: fc.nat(200), t: token }).map(({ i, t }) => {
      const parts = text.split(/(\s+)/);
      parts.splice(i % (parts.length + 1), 0, ` ${t} `);
      return parts.join('');
    }),
    fc.nat(200).map((i) => {
      const parts = text.split(/(\s+)/);
      parts.splice(i % Math.max(1, parts.length), 1);
      return parts.join('');
    }),
    fc.record({ a: fc.nat(200), b: fc.nat(200) }).map(({ a, b }) => {
      const parts = text.split(/(\s+)/);
      const i = a % parts.length;
      const j = b % parts.length;
      [parts[i], parts[j]] = [parts[j], parts[i]];
      return parts.join('');
    }),
  );
const mutated = fc
  .constantFrom(...REAL)
  .chain((r) =>
    fc
      .array(fc.constant(null), { minLength: 1, maxLength: 4 })
      .chain((edits) =>
        edits.reduce((acc) => acc.chain((t) => edit(t)), fc.constant(r.text)).map((text) => ({ file: r.file, text })),
      ),
  );

test('random strings: compile never throws, and reports inside the source', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => check(s, 'x.chain')),
    { numRuns: 250 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (s) => check(s, 'x.pipeline')),
    { numRuns: 100 },
  );
});

test('random token sequences of the language', () => {
  fc.assert(
    fc.property(tokenSoup, (s) => check(s, 'x.chain')),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(chainSoup, (s) => check(s, 'x.chain')),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(derivedSoup, (s) => check(s, 'x.pipeline')),
    { numRuns: 200 },
  );
});

/** Handlers an edit may add: ones that take no arguments, so the step is its name. */
const ADDED = ['cleanse', 'acknowledge', 'to-archive', 'rfc-2369'];

test('a derived pipeline has the steps of its base with the edits made in order, as if written out', () => {
  const base = BASES.get('default-posting-pipeline')!.steps.map((s) => s.handler);
  const editArb = fc.record({
    op: fc.constantFrom('before', 'after', 'replace', 'without'),
    anchor: fc.nat(),
    step: fc.constantFrom(...ADDED),
  });
  fc.assert(
    fc.property(fc.array(editArb, { minLength: 1, maxLength: 8 }), (edits) => {
      // The model: a list of handler names, edited at the first step of each anchor.
      const model = [...base];
      const lines: string[] = [];
      for (const e of edits) {
        if (model.length === 0) break;
        const anchor = model[e.anchor % model.length];
        const i = model.indexOf(anchor);
        if (e.op === 'without') model.splice(i, 1);
        else if (e.op === 'replace') model.splice(i, 1, e.step);
        else model.splice(e.op === 'before' ? i : i + 1, 0, e.step);
        lines.push(e.op === 'without' ? `    without ${anchor}` : `    ${e.op} ${anchor}: ${e.step}`);
      }
      const text = `pipeline x from default-posting-pipeline {\n${lines.join('\n')}\n}\n`;
      const result = compile(text, 'x.pipeline', NAMES);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], text);
      assert.deepEqual(result.lowered?.kind === 'pipeline' && result.lowered.steps.map((s) => s.handler), model, text);
      // Written out, the same steps compile to the same IR (positions aside).
      const written = compile(`pipeline x {\n${model.map((h) => `    ${h}`).join('\n')}\n}\n`, 'x.pipeline', NAMES);
      const strip = (ir: PipelineIr | undefined) =>
        ir?.steps.map(({ handler, args, when }) => ({ handler, args, when }));
      assert.deepEqual(strip(result.lowered as PipelineIr), strip(written.lowered as PipelineIr));
    }),
    { numRuns: 200 },
  );
});

test('edits of the real chains and pipelines', () => {
  fc.assert(
    fc.property(mutated, ({ file, text }) => check(text, file)),
    { numRuns: 300 },
  );
});

test('the real files themselves compile to an IR', () => {
  for (const r of REAL) check(r.text, r.file);
});

// ---- well-formed programs of the newer constructs -----------------------------------------
// Random chains built from the grammar: `if … then … else …` with blocks and `else if`, header
// numbers and counts, `body`, and `for part in message.parts` with its fields. Each must
// compile without an error, parse to the same tree on both paths (fast-parse.test.ts checks
// the same on token soups), and format idempotently to a text that compiles to the same IR.

/** A test valid anywhere; `inParts`: inside a parts loop, where `part.` fields may be read too. */
const testText = (inParts: boolean) => {
  const anywhere = [
    fc.integer({ min: 0, max: 99 }).map((n) => `header "X-Spam-Score" as number > ${n}`),
    fc.integer({ min: 0, max: 99 }).map((n) => `header "Received" count >= ${n}`),
    fc.integer({ min: 0, max: 20 }).map((n) => `recipients count < ${n}`),
    fc.constantFrom('body contains "offer"', 'body matches /unsub(scribe)?/i', 'body starts with "Hi"'),
    fc.constantFrom('size > 1MB', 'sender.domain is "example.org"', 'loop', 'max-size', 'true'),
  ];
  const parts = [
    fc.constantFrom('part.type is "application/x-msdownload"', 'part.subtype in ["zip", "x-msdownload"]'),
    fc.constantFrom('part.size > 1MB', 'part.filename ends with ".exe"', 'part.charset is "utf-8"'),
    fc.constantFrom('part.body contains "virus"', 'part.header "X-Scan" contains "infected"'),
    fc.integer({ min: 0, max: 9 }).map((n) => `part.header "X-Score" as number >= ${n}`),
  ];
  const one = fc.oneof(...anywhere, ...(inParts ? parts : []));
  return fc.oneof(
    one,
    fc.tuple(one, one).map(([a, b]) => `${a} and ${b}`),
    fc.tuple(one, one).map(([a, b]) => `not (${a} or ${b})`),
  );
};

const simpleAction = fc.constantFrom('hold', 'reject "no {sender}"', 'discard', 'accept', 'jump moderation');

/** Links as lines, `depth` levels deep in blocks; a block is at most `depth` levels deeper. */
function linksArb(depth: number, inParts: boolean): fc.Arbitrary<string[]> {
  const indent = '    '.repeat(depth + 1);
  const block = (d: number): fc.Arbitrary<string[]> =>
    d >= 3
      ? fc.constant([`${indent}    hold`])
      : linksArb(d + 1, inParts).map((ls) => (ls.length ? ls : [`${indent}    hold`]));
  const ifLink = fc.oneof(
    fc.tuple(testText(inParts), simpleAction).map(([c, a]) => [`${indent}if ${c} then ${a}`]),
    fc
      .tuple(testText(inParts), simpleAction, simpleAction)
      .map(([c, a, b]) => [`${indent}if ${c} then ${a} else ${b}`]),
    fc
      .tuple(testText(inParts), block(depth), fc.option(block(depth)))
      .map(([c, a, b]) => [`${indent}if ${c} then {`, ...a, ...(b ? [`${indent}} else {`, ...b] : []), `${indent}}`]),
    fc
      .tuple(testText(inParts), testText(inParts), block(depth), simpleAction)
      .map(([c, c2, a, b]) => [`${indent}if ${c} then {`, ...a, `${indent}} else if ${c2} then ${b}`]),
  );
  const parts =
    depth < 2 && !inParts
      ? [linksArb(depth + 1, true).map((ls) => [`${indent}for part in message.parts {`, ...ls, `${indent}}`])]
      : [];
  return fc.array(fc.oneof(ifLink, ...parts), { minLength: 1, maxLength: 4 }).map((ls) => ls.flat());
}

const program = linksArb(0, false).map((links) => ['chain x {', ...links, '    accept', '}', ''].join('\n'));

/** The IR with source positions left out: formatting may move them. */
function placeless(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(placeless);
  if (x && typeof x === 'object') {
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k]) => k !== 'at' && k !== 'file')
        .map(([k, v]) => [k, placeless(v)]),
    );
  }
  return x;
}

test('generated programs with blocks, else, header numbers, counts and parts loops compile, and format keeps them', () => {
  fc.assert(
    fc.property(program, (text) => {
      check(text, 'x.chain');
      const result = compile(text, 'x.chain', NAMES);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], text);
      const once = format(text);
      assert.equal(once.skipped, undefined, `${once.reason}\n${text}`);
      assert.equal(format(once.text).text, once.text, `not idempotent:\n${text}`);
      const again = compile(once.text, 'x.chain', NAMES);
      assert.deepEqual(placeless(again.ir), placeless(result.ir), `formatting changed the IR of:\n${text}`);
    }),
    { numRuns: 150 },
  );
});

/**
 * Definitions moved out of a chain into .rules files it uses (some into a second file the first
 * one uses) mean the same: the IR is the one of the chain with the definitions written in it,
 * and formatting the .rules files changes nothing.
 */
test('definitions moved into .rules files the chain uses compile to the same IR', () => {
  const definitions = fc.array(fc.tuple(testText(false), fc.boolean()), { minLength: 1, maxLength: 5 });
  fc.assert(
    fc.property(definitions, fc.nat(), linksArb(0, false), (defs, cut, links) => {
      const lines = defs.map(([c, isRule], i) =>
        isRule ? `rule r${i} "shared ${i}" = ${c}` : `let v${i} = ${i + 1}KB`,
      );
      const uses = defs.map(([, isRule], i) =>
        isRule ? `    if r${i} then hold` : `    if max-size(limit: v${i}) then reject`,
      );
      const chain = (head: string[]) => [...head, '', 'chain x {', ...uses, ...links, '    accept', '}', ''].join('\n');
      const k = cut % (lines.length + 1);
      const deep = lines.slice(0, k).join('\n') + '\n';
      const top = ['use "deep.rules"', '', ...lines.slice(k), ''].join('\n');
      const rulesFiles = new DirRulesFiles(
        [],
        givenRules([
          { file: 'top.rules', text: top },
          { file: 'deep.rules', text: deep },
        ]),
      );
      const inline = compile(chain(lines), 'x.chain', NAMES);
      const shared = compile(chain(['use "top.rules"']), 'x.chain', { ...NAMES, rulesFiles });
      assert.deepEqual(
        shared.diagnostics.filter((d) => d.severity === 'error'),
        [],
        `${top}\n${deep}`,
      );
      assert.ok(inline.ir, 'the inline version compiles');
      assert.deepEqual(placeless(shared.ir), placeless(inline.ir));
      for (const text of [top, deep]) {
        const once = format(text);
        assert.equal(once.skipped, undefined, `${once.reason}\n${text}`);
        assert.equal(format(once.text).text, once.text, `not idempotent:\n${text}`);
      }
      const formatted = new DirRulesFiles(
        [],
        givenRules([
          { file: 'top.rules', text: format(top).text },
          { file: 'deep.rules', text: format(deep).text },
        ]),
      );
      const again = compile(chain(['use "top.rules"']), 'x.chain', { ...NAMES, rulesFiles: formatted });
      assert.deepEqual(placeless(again.ir), placeless(shared.ir));
    }),
    { numRuns: 100 },
  );
});
