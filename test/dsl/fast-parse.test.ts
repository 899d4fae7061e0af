// compile() parses well-formed text with fast-parse.ts (no CST) and everything else with the
// recovering CstParser and build-ast.ts. The two must agree: same AST, same MM104 reports of
// reasons, on every real file, every golden file that parses, a generated 10,000-line chain,
// and random token sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildAst } from '../../src/dsl/build-ast.js';
import { DiagnosticSink } from '../../src/dsl/diagnostics.js';
import { parseAstFast } from '../../src/dsl/fast-parse.js';
import { lex, lexAndParse } from '../../src/dsl/lex-parse.js';
import { SourceText } from '../../src/dsl/index.js';
import { generateChain } from '../../bench/gen-chain.js';
import { CHAINS_DIR, PIPELINES_DIR, ROOT } from './support.js';

/** Both parses of a text; `fast` undefined when the fast path declines (lexical or syntax error). */
function both(text: string, file = 'x.chain') {
  const source = new SourceText(file, text);
  const lexSink = new DiagnosticSink(source);
  const { tokens } = lex(source, lexSink);
  const fastSink = new DiagnosticSink(source);
  const fast = lexSink.items.length ? undefined : parseAstFast(tokens, file, fastSink);
  const parsed = lexAndParse(source);
  const slowSink = new DiagnosticSink(source);
  const slow = buildAst(parsed.cst, file, slowSink, parsed.syntaxErrorOffsets.length > 0);
  return { fast, fastSink, slow, slowSink, syntaxErrors: parsed.diagnostics.length };
}

function agree(text: string, file?: string): boolean {
  const r = both(text, file);
  if (!r.fast) {
    assert.ok(
      r.syntaxErrors > 0,
      `the fast path declined a text the recovering parser accepts: ${JSON.stringify(text.slice(0, 300))}`,
    );
    return false;
  }
  assert.equal(r.syntaxErrors, 0);
  assert.deepStrictEqual(r.fast, r.slow);
  // build-ast also reports MM203 (checkShape); compile() runs that after the fast path too.
  assert.deepStrictEqual(
    r.fastSink.items,
    r.slowSink.items.filter((d) => d.code !== 'MM203'),
  );
  return true;
}

const dirFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /\.(chain|pipeline|rules)$/.test(f))
    .map((f) => join(dir, f));

test('the built-in files: the fast path builds the same AST', () => {
  for (const f of [...dirFiles(CHAINS_DIR), ...dirFiles(PIPELINES_DIR)])
    assert.ok(agree(readFileSync(f, 'utf8'), f), f);
});

test('the golden files that parse: same AST, same reason problems (MM104)', () => {
  let parsed = 0;
  for (const f of dirFiles(join(ROOT, 'test', 'dsl', 'golden'))) if (agree(readFileSync(f, 'utf8'), f)) parsed++;
  assert.ok(parsed >= 30, `${parsed} golden files took the fast path`);
});

test('a generated 10,000-line chain: same AST', () => {
  assert.ok(agree(generateChain(10_000), 'big.chain'));
});

test('random token sequences: the fast path declines exactly what has a syntax error, and agrees otherwise', () => {
  const words = [
    'chain',
    'x',
    '{',
    '}',
    'if',
    'then',
    'else',
    'as',
    'number',
    'count',
    'body',
    'message.parts',
    'part',
    'part.header',
    '"H"',
    'accept',
    'hold',
    '"r {sender}"',
    '"{"',
    'jump',
    'detour',
    'to',
    'otherwise',
    'msgdata.dmarc_action',
    'for',
    'c',
    'in',
    'site.antispam.header_checks',
    'is',
    'not',
    'a',
    'an',
    'member',
    'sender',
    'and',
    'or',
    '(',
    ')',
    'header',
    '"X"',
    'exists',
    'matches',
    '/x/i',
    'starts',
    'ends',
    'with',
    '<',
    '>=',
    '40KB',
    '3',
    '[',
    ']',
    ',',
    'run',
    'e',
    'f',
    ':',
    'let',
    'rule',
    '=',
    'pipeline',
    'when',
    'true',
  ];
  const soup = fc.array(fc.constantFrom(...words), { maxLength: 30 }).map((ts) => `chain x {\n${ts.join(' ')}\n}`);
  fc.assert(
    fc.property(soup, (text) => void agree(text)),
    { numRuns: 300 },
  );
});

test('random pipeline bodies and definitions: the fast path declines exactly what has a syntax error', () => {
  const words = [
    'pipeline',
    'p',
    'from',
    'base',
    '"about"',
    '{',
    '}',
    'step',
    'other',
    '(',
    ')',
    'n',
    ':',
    ',',
    '"v"',
    '3',
    'when',
    'not',
    'list.emergency',
    'is',
    'true',
    'in',
    '[',
    ']',
    'before',
    'after',
    'replace',
    'without',
    'let',
    'rule',
    'r',
    '=',
    '"d"',
    'and',
    'or',
    'count',
    'as',
    'number',
    'header',
    '"X"',
    'exists',
    '>',
    '2MB',
  ];
  // Half inside a pipeline's braces, so that steps and edits are reached; half as a whole file.
  const soup = fc
    .tuple(fc.boolean(), fc.array(fc.constantFrom(...words), { maxLength: 30 }))
    .map(([inside, ts]) => (inside ? `pipeline p {\n${ts.join(' ')}\n}` : ts.join(' ')));
  fc.assert(
    fc.property(soup, (text) => void agree(text, 'x.pipeline')),
    { numRuns: 300 },
  );
});
