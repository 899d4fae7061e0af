// Broken sources and the exact diagnostics they produce, in the text format of docs/language.md#diagnostics:
// header, the source line as written, carets under the span, an optional hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compile,
  type CompileOptions,
  type Diagnostic,
  formatDiagnostic,
  formatReport,
  formatSummary,
} from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';

registry.rules.register({
  name: 'test-max-size',
  description: 'Test rule with a size parameter.',
  record: true,
  params: [{ name: 'limit', type: 'size', default: 'list.max_message_size' }],
  check: () => ({ hit: false }),
});
registry.rules.register({
  name: 'test-header-has',
  description: 'Test rule with a required parameter.',
  record: true,
  params: [{ name: 'header', type: 'string', required: true }],
  check: () => ({ hit: false }),
});
registry.effects.register({ name: 'test-hold-message', description: 'Test effect.', run: async () => {} });
registry.handlers.register({ name: 'test-cook-headers', description: 'Test handler.', process: () => {} });

const NAMES: CompileOptions = {
  chainNames: new Set(['accept', 'hold', 'reject', 'discard', 'moderation', 'big-posts', 'broken']),
  pipelineNames: new Set(['virgin']),
  registry,
};

/** Compiles and renders every diagnostic as `mailman validate` prints it. */
function report(file: string, text: string): string {
  const { diagnostics, ir } = compile(text, file, NAMES);
  if (diagnostics.some((d) => d.severity === 'error')) assert.equal(ir, undefined, 'an error means no IR');
  return diagnostics.map((d) => formatDiagnostic(d, text)).join('\n\n');
}

test('an unknown rule, with a "did you mean" (the example of docs/language.md#diagnostics)', () => {
  const text = [
    '# Posts over 2 MB wait for a moderator',
    'chain big-posts {',
    '    if test-max-sise(limit: 2MB) then hold',
    '    accept',
    '}',
    '',
  ].join('\n');
  assert.equal(
    report('var/chains/big-posts.chain', text),
    [
      "var/chains/big-posts.chain:3:8: error MM301: unknown rule 'test-max-sise'",
      '    if test-max-sise(limit: 2MB) then hold',
      '       ^^^^^^^^^^^^^',
      "hint: did you mean 'test-max-size'?",
    ].join('\n'),
  );
});

test('recovery: two syntax errors in one file, each at its place', () => {
  const text = ['chain broken {', '    if test-max-size hold', '    if any then jump', '}'].join('\n');
  assert.equal(
    report('broken.chain', text),
    [
      "broken.chain:2:22: error MM201: expected 'then' after 'test-max-size', found 'hold'",
      '    if test-max-size hold',
      '                     ^^^^',
      "hint: a link reads 'if CONDITION then ACTION'",
      '',
      "broken.chain:4:1: error MM201: expected a chain name or 'to' after 'jump', found '}'",
      '}',
      '^',
    ].join('\n'),
  );
});

test('lexical errors are all reported beside a syntax error', () => {
  const text = [
    'chain broken {',
    '    if header "X" exists then hold;',
    '    if test-max-size(limit: 40 KB) then reject "too big',
    '    if any then',
    '}',
  ].join('\n');
  assert.equal(
    report('broken.chain', text),
    [
      "broken.chain:2:35: error MM101: unexpected character ';'",
      '    if header "X" exists then hold;',
      '                                  ^',
      'hint: links and steps need no separator',
      '',
      "broken.chain:3:29: error MM103: malformed size '40 KB'",
      '    if test-max-size(limit: 40 KB) then reject "too big',
      '                            ^^^^^',
      "hint: write '40KB'",
      '',
      'broken.chain:3:48: error MM102: unterminated string',
      '    if test-max-size(limit: 40 KB) then reject "too big',
      '                                               ^^^^^^^^',
      'hint: a string ends with " on the same line',
      '',
      "broken.chain:5:1: error MM201: expected an action after 'then', found '}'",
      '}',
      '^',
      'hint: the actions are accept, hold, reject, discard, defer, stop, jump, detour and run',
    ].join('\n'),
  );
});

test('an unknown action word before a syntax error is still named (MM202)', () => {
  assert.equal(
    report('broken.chain', 'chain broken { iff test-max-size then hold }'),
    [
      "broken.chain:1:16: error MM202: unknown action 'iff'",
      'chain broken { iff test-max-size then hold }',
      '               ^^^',
      "hint: did you mean 'if'?",
      '',
      "broken.chain:1:34: error MM201: expected '}', found 'then'",
      'chain broken { iff test-max-size then hold }',
      '                                 ^^^^',
      "hint: each '{' needs a matching '}'",
    ].join('\n'),
  );
});

test('the name must be the file name (MM308), and the kind its extension (MM309)', () => {
  assert.equal(
    report('chains/big-posts.chain', 'chain big-post { accept }'),
    [
      "chains/big-posts.chain:1:7: error MM308: chain 'big-post' is in a file named 'big-posts.chain'",
      'chain big-post { accept }',
      '      ^^^^^^^^',
      "hint: name it 'big-posts', or rename the file to big-post.chain",
    ].join('\n'),
  );
  assert.equal(
    report('x.chain', 'pipeline x { test-cook-headers }'),
    [
      'x.chain:1:10: error MM309: a pipeline in a .chain file',
      'pipeline x { test-cook-headers }',
      '         ^',
      'hint: declare a chain here, or rename the file to x.pipeline',
      '',
      "x.chain:1:10: warning MM506: pipeline 'x' has no 'to-outgoing' step, so nothing it handles is delivered",
      'pipeline x { test-cook-headers }',
      '         ^',
      "hint: add 'to-outgoing' as the last step",
    ].join('\n'),
  );
});

test('tabs are copied under the line so the carets line up', () => {
  const text = 'chain broken {\n\tif\ttest-max-size then jump moderatoin\n}';
  assert.equal(
    report('broken.chain', text),
    [
      "broken.chain:2:29: error MM303: unknown chain 'moderatoin'",
      '\tif\ttest-max-size then jump moderatoin',
      '\t  \t                        ^^^^^^^^^^',
      "hint: did you mean 'moderation'?",
    ].join('\n'),
  );
});

test('columns count code points, not UTF-16 units', () => {
  const text = 'chain broken { hold "🙂" frob }';
  const [d] = compile(text, 'broken.chain', NAMES).diagnostics;
  assert.equal(d.code, 'MM202');
  assert.equal(d.column, 25);
  assert.equal(formatDiagnostic(d, text).split('\n')[2], `${' '.repeat(24)}^^^^`);
});

test('unknown effect, handler, action word; wrong kind of target', () => {
  assert.equal(
    report(
      'broken.chain',
      'chain broken { if test-max-size then run test-hold-mesage  jump virgin  test-hold-message }',
    ),
    [
      "broken.chain:1:42: error MM305: unknown effect 'test-hold-mesage'",
      'chain broken { if test-max-size then run test-hold-mesage  jump virgin  test-hold-message }',
      '                                         ^^^^^^^^^^^^^^^^',
      "hint: did you mean 'test-hold-message'?",
      '',
      "broken.chain:1:65: error MM309: 'virgin' is a pipeline, not a chain",
      'chain broken { if test-max-size then run test-hold-mesage  jump virgin  test-hold-message }',
      '                                                                ^^^^^^',
      'hint: jump and detour go to chains',
      '',
      "broken.chain:1:73: error MM202: unknown action 'test-hold-message'",
      'chain broken { if test-max-size then run test-hold-mesage  jump virgin  test-hold-message }',
      '                                                                        ^^^^^^^^^^^^^^^^^',
      "hint: to call the effect, write 'run test-hold-message'",
    ].join('\n'),
  );
  assert.equal(
    report('p.pipeline', 'pipeline p { test-cook-header }')
      .split('\n\n')
      .filter((d) => !d.includes('MM506'))
      .join('\n\n'),
    [
      "p.pipeline:1:14: error MM302: unknown handler 'test-cook-header'",
      'pipeline p { test-cook-header }',
      '             ^^^^^^^^^^^^^^^^',
      "hint: did you mean 'test-cook-headers'?",
    ].join('\n'),
  );
});

test('parameters: unknown (MM401) and missing (MM402)', () => {
  assert.equal(
    report('broken.chain', 'chain broken { if test-max-size(limt: 1KB) or test-header-has then hold }'),
    [
      "broken.chain:1:33: error MM401: rule 'test-max-size' has no parameter 'limt'",
      'chain broken { if test-max-size(limt: 1KB) or test-header-has then hold }',
      '                                ^^^^',
      "hint: did you mean 'limit'?",
      '',
      "broken.chain:1:47: error MM402: rule 'test-header-has' needs the argument 'header'",
      'chain broken { if test-max-size(limt: 1KB) or test-header-has then hold }',
      '                                              ^^^^^^^^^^^^^^^',
      'hint: write test-header-has(header: …)',
    ].join('\n'),
  );
});

test('escapes, regex flags, regex syntax and reason interpolation', () => {
  const text = 'chain broken { if header "X\\q" matches /a(/x then hold "From {sendr}, {" }';
  assert.equal(
    report('broken.chain', text),
    [
      "broken.chain:1:28: error MM104: bad escape '\\q'",
      text,
      '                           ^^',
      'hint: the escapes are \\" \\\\ \\n \\t and \\u{…}',
      '',
      'broken.chain:1:40: error MM405: invalid regex: missing closing ): `a(`',
      text,
      '                                       ^^^^^',
      '',
      "broken.chain:1:44: error MM104: bad regex flag 'x'",
      text,
      '                                           ^',
      'hint: the flags are i, m, s and u, each at most once',
      '',
      "broken.chain:1:63: error MM304: unknown name 'sendr'",
      text,
      '                                                              ^^^^^',
      "hint: did you mean 'sender'?",
      '',
      "broken.chain:1:71: error MM104: unclosed '{' in a reason",
      text,
      '                                                                      ^',
      "hint: write '{{' for a literal brace",
    ].join('\n'),
  );
});

test('roles: an unknown role (MM306), a role test on a value that is not an address (MM404)', () => {
  assert.equal(
    report('broken.chain', 'chain broken { if sender is a membr or size is not an owner then accept }'),
    [
      "broken.chain:1:31: error MM306: unknown role 'membr'",
      'chain broken { if sender is a membr or size is not an owner then accept }',
      '                              ^^^^^',
      "hint: did you mean 'member'?",
      '',
      "broken.chain:1:45: error MM404: 'is not an' is not defined for size, which is a size",
      'chain broken { if sender is a membr or size is not an owner then accept }',
      '                                            ^^^^^^^^^^^^^^^',
      'hint: roles belong to addresses: sender, senders, recipients',
    ].join('\n'),
  );
});

test('exactly one chain or pipeline, last (MM203)', () => {
  assert.equal(
    report('broken.chain', 'let x = 1'),
    [
      'broken.chain:1:1: error MM203: the file declares no chain or pipeline',
      'let x = 1',
      '^',
      "hint: a file ends with one 'chain NAME { … }' or 'pipeline NAME { … }'",
    ].join('\n'),
  );
  assert.equal(
    report('broken.chain', 'chain broken { accept }\nchain other { accept }'),
    [
      "broken.chain:2:7: error MM203: a second chain 'other' in one file",
      'chain other { accept }',
      '      ^^^^^',
      'hint: put each chain or pipeline in its own file, named after it',
    ].join('\n'),
  );
});

test('diagnostics carry the JSON fields of `--format json`, end exclusive', () => {
  const [{ hint, ...d }] = compile('chain broken {\n  if nope then accept\n}', 'broken.chain', NAMES).diagnostics;
  // Nothing is close to 'nope': the hint lists the choices, bounded.
  assert.match(hint ?? '', /^the rules are administrivia, any, .* … and \d+ more, see `mailman components rules`$/);
  assert.deepEqual(d, {
    file: 'broken.chain',
    line: 2,
    column: 6,
    endLine: 2,
    endColumn: 10,
    severity: 'error',
    code: 'MM301',
    message: "unknown rule 'nope'",
  });
});

test('the report ends with a summary line', () => {
  const d = (file: string, severity: Diagnostic['severity']): Diagnostic => ({
    file,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 2,
    severity,
    code: 'MM301',
    message: 'm',
  });
  assert.equal(formatSummary([d('a', 'error'), d('b', 'error'), d('c', 'warning')]), '2 errors, 1 warning in 3 files');
  assert.equal(formatSummary([d('a', 'error')]), '1 error, 0 warnings in 1 file');
  const text = formatReport(
    [d('b.chain', 'error'), d('a.chain', 'warning')],
    new Map([
      ['a.chain', 'x'],
      ['b.chain', 'y'],
    ]),
  );
  assert.equal(
    text,
    [
      'a.chain:1:1: warning MM301: m',
      'x',
      '^',
      '',
      'b.chain:1:1: error MM301: m',
      'y',
      '^',
      '',
      '1 error, 1 warning in 2 files',
    ].join('\n'),
  );
});
