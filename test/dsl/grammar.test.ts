// The lexer and parser: every built-in file parses cleanly, tokens are classified as
// docs/language.md#lexical-structure says, and the generated grammar artefacts are up to date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenize } from '../../grammar/tokens.js';
import { dslParser, parseTokens } from '../../grammar/parser.js';
import { cstDts, diagramsHtml, grammarSourceDir } from '../../grammar/generate.js';
import { lexAndParse } from '../../src/dsl/lex-parse.js';
import { SourceText } from '../../src/dsl/index.js';
import { CHAINS_DIR, PIPELINES_DIR } from './support.js';

function tokenNames(text: string): string[] {
  const { tokens, errors } = tokenize(text);
  assert.deepEqual(errors, []);
  return tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

const builtins = [
  ...readdirSync(CHAINS_DIR)
    .filter((f) => f.endsWith('.chain'))
    .map((f) => join(CHAINS_DIR, f)),
  ...readdirSync(PIPELINES_DIR)
    .filter((f) => f.endsWith('.pipeline'))
    .map((f) => join(PIPELINES_DIR, f)),
];

test('the built-in chains and pipelines are all there', () => {
  const names = builtins.map((f) => f.split('/').pop()).sort();
  assert.deepEqual(names, [
    'accept.chain',
    'default-owner-chain.chain',
    'default-owner-pipeline.pipeline',
    'default-posting-chain.chain',
    'default-posting-pipeline.pipeline',
    'discard.chain',
    'dmarc.chain',
    'header-match.chain',
    'hold.chain',
    'moderation.chain',
    'reject.chain',
    'virgin.pipeline',
  ]);
});

for (const file of builtins) {
  test(`${file.split('/').pop()} lexes and parses without a diagnostic`, () => {
    const text = readFileSync(file, 'utf8');
    const result = lexAndParse(new SourceText(file, text));
    assert.deepEqual(result.diagnostics, []);
    assert.ok(result.comments.length >= 1, 'each built-in file opens with a comment');
    assert.match(text, /^#/);
  });
}

test('keywords fall back to NAME when the word goes on', () => {
  assert.deepEqual(tokenNames('run reject-message'), ['Run:run', 'Name:reject-message']);
  assert.deepEqual(tokenNames('a an and andy accept acceptance'), [
    'A:a',
    'An:an',
    'And:and',
    'Name:andy',
    'Accept:accept',
    'Name:acceptance',
  ]);
  assert.deepEqual(tokenNames('is in is_x into'), ['Is:is', 'In:in', 'Name:is_x', 'Name:into']);
  assert.deepEqual(tokenNames('member-moderation max_message_size'), [
    'Name:member-moderation',
    'Name:max_message_size',
  ]);
});

test('sizes before numbers, strings, regexes and punctuation', () => {
  assert.deepEqual(tokenNames('512B 40KB 1.5MB 2GB 42'), [
    'Size:512B',
    'Size:40KB',
    'Size:1.5MB',
    'Size:2GB',
    'NumberLit:42',
  ]);
  assert.deepEqual(tokenNames('"a \\"b\\"" /x\\/y[/]/i'), ['StringLit:"a \\"b\\""', 'RegexLit:/x\\/y[/]/i']);
  assert.deepEqual(tokenNames('< <= > >= ( ) [ ] { } , : = .'), [
    'Less:<',
    'LessEq:<=',
    'Greater:>',
    'GreaterEq:>=',
    'LParen:(',
    'RParen:)',
    'LBracket:[',
    'RBracket:]',
    'LBrace:{',
    'RBrace:}',
    'Comma:,',
    'Colon::',
    'Equals:=',
    'Dot:.',
  ]);
});

test('comments are kept in their own group, not among the tokens', () => {
  const { tokens, groups } = tokenize('# one\nchain x { # two\n accept }');
  assert.deepEqual(
    groups.comments.map((t) => t.image),
    ['# one', '# two'],
  );
  assert.ok(tokens.every((t) => t.tokenType.name !== 'Comment'));
});

test('the whole grammar parses: definitions, for, computed targets, every predicate', () => {
  const text = `
    let partners = ["partner.example", "example.org"]
    let limit = 2MB
    rule big "Big" = sender is not a member and size > 2MB
    chain everything "All of it" {
      if big then hold "Non-member post of {size}"
      if header "X-Campaign-Id" exists and sender.domain not in partners then reject "{list.display_name} refuses"
      if not (loop or any) and list.emergency is true then accept
      if header "Subject" matches /spam/i or header "To" contains "x" then discard
      if sender starts with "a" or sender ends with "b" or size <= 40KB or size >= 1 or size < 3 then defer
      if header "X" missing and recipients.count is an owner then stop
      for c in site.antispam.header_checks {
        if header-match(header: c.header, pattern: c.pattern, suffix: c.suffix) then defer
      }
      jump to r.action otherwise site.antispam.jump_chain
      detour to msgdata.x
      detour header-match
      jump accept
      run effect-name(a: 1, b: "two", c: [1, 2], d: true, e: false, f: /x/)
    }`;
  const { tokens } = tokenize(text);
  parseTokens(tokens);
  assert.deepEqual(
    dslParser.errors.map((e) => e.message),
    [],
  );
});

test('the parser is reused: a failed parse leaves nothing behind for the next one', () => {
  parseTokens(tokenize('chain x { if then }').tokens);
  assert.ok(dslParser.errors.length > 0);
  parseTokens(tokenize('pipeline p { first second(x: 1) when header "X" exists third }').tokens);
  assert.deepEqual(dslParser.errors, []);
});

test('grammar/cst.d.ts and grammar/diagrams.html are up to date', () => {
  const dir = grammarSourceDir();
  const stale = 'stale: run `npx tsc -p . && node dist/grammar/generate.js`';
  assert.equal(readFileSync(join(dir, 'cst.d.ts'), 'utf8'), cstDts(), `grammar/cst.d.ts is ${stale}`);
  assert.equal(readFileSync(join(dir, 'diagrams.html'), 'utf8'), diagramsHtml(), `grammar/diagrams.html is ${stale}`);
});
