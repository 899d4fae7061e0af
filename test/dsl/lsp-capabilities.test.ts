// The language server's capabilities called directly (src/lsp/), for the cases the stdio
// session of lsp.test.ts does not reach: each completion context, hover on each kind of name,
// definitions of loop variables, ranges on a line with a character outside the BMP, and
// formatting left alone. Each answer is checked against the registry and the compiler's
// tables, never against a second copy of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Analyses } from '../../src/lsp/analysis.js';
import { completion } from '../../src/lsp/completion.js';
import { definition } from '../../src/lsp/definition.js';
import { publishable } from '../../src/lsp/diagnostics.js';
import { formatting } from '../../src/lsp/formatting.js';
import { WorkspaceGraph } from '../../src/lsp/graph.js';
import { hover } from '../../src/lsp/hover.js';
import { LspWorkspace } from '../../src/lsp/workspace.js';
import { ACTION_KEYWORDS, ROLE_NAMES } from '../../src/dsl/index.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../src/paths.js';
import { registry } from '../helpers/registry.js';

const root = mkdtempSync(join(tmpdir(), 'lsp-cap-'));
const workspace = new LspWorkspace([BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR], []);
workspace.setRoots([root]);
const analyses = new Analyses(registry, workspace);
let version = 0;

/** A document of `text` with `|` marking the cursor, and the cursor's position. */
function open(marked: string, name = 'c.chain') {
  const offset = marked.indexOf('|');
  const text = offset < 0 ? marked : marked.slice(0, offset) + marked.slice(offset + 1);
  const doc = TextDocument.create(pathToFileURL(join(root, name)).href, 'mailman-dsl', ++version, text);
  const position = doc.positionAt(Math.max(0, offset));
  return { analysis: analyses.get(doc), params: { textDocument: { uri: doc.uri }, position } };
}

function complete(marked: string, name?: string): string[] {
  const { analysis, params } = open(marked, name);
  return completion(analysis, registry, workspace, params).map((i) => i.label);
}

function hoverText(marked: string, name?: string): string | undefined {
  const { analysis, params } = open(marked, name);
  const h = hover(analysis, { registry, workspace, openText: () => undefined }, params);
  return h ? (h.contents as { value: string }).value : undefined;
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('completion offers what the compiler accepts at each place', () => {
  assert.deepEqual(complete('chain c {\n    if sender is a |'), [...ROLE_NAMES]);
  assert.deepEqual(complete('chain c {\n    if sender is not an |'), [...ROLE_NAMES]);
  const jump = complete('chain c {\n    if max-size then jump |');
  for (const name of ['default-posting-chain', 'moderation', 'hold', 'to']) assert.ok(jump.includes(name), name);
  assert.ok(!jump.includes('virgin'), 'a pipeline is no jump target');
  assert.deepEqual(complete('chain c {\n    run |'), registry.effects.names());
  assert.deepEqual(complete('chain c {\n    for row in |'), registry.linkSources.names());
  assert.deepEqual(complete('chain c {\n    if max-size then |'), ACTION_KEYWORDS);
  assert.deepEqual(complete('chain c {\n    if header-match(|'), ['header', 'pattern', 'suffix']);
  assert.deepEqual(complete('chain c {\n    if header-match(header: "X-Spam", |'), ['pattern', 'suffix']);
  const grouped = complete('chain c {\n    if (|');
  for (const name of ['max-size', 'list', 'msgdata', 'sender', 'header', 'not'])
    assert.ok(grouped.includes(name), name);
  const local = complete('let cap = 2MB\nrule big = max-size(limit: cap)\nchain c {\n    if big or |');
  assert.ok(local.includes('big') && local.includes('cap') && local.includes('max-size'));
  assert.ok(complete('chain c {\n    if msgdata.|').includes('approved'));
  assert.ok(complete('chain c {\n    if site.|').includes('antispam'));
  assert.ok(complete('chain c {\n    if site.antispam.|').includes('jump_chain'));
  const webservice = complete('chain c {\n    if site.webservice.|');
  assert.ok(webservice.length > 0 && !webservice.includes('admin_pass'), 'no secret key is offered');
  assert.deepEqual(complete('chain c {\n    if sender.|'), ['domain', 'localpart']);
  assert.deepEqual(complete('chain c {\n    if list.max_me|'), complete('chain c {\n    if list.|'));
  assert.deepEqual(complete('pipeline p {\n    |', 'p.pipeline'), registry.handlers.names());
  assert.ok(complete('pipeline p {\n    decorate when |', 'p.pipeline').includes('max-size'));
  assert.deepEqual(complete('|'), ['chain', 'pipeline', 'let', 'rule']);
  assert.deepEqual(complete('chain c {\n    accept # then |'), [], 'nothing inside a comment');
  assert.ok(
    complete('chain c {\n    if max-size then hold "# {list.|').includes('display_name'),
    'a reason reads paths',
  );
  assert.deepEqual(complete('chain c {\n    |\n}'), ['if', 'for', ...ACTION_KEYWORDS]);
});

test('a completion replaces the part of the name already typed', () => {
  const { analysis, params } = open('chain c {\n    if max-si|');
  const item = completion(analysis, registry, workspace, params).find((i) => i.label === 'max-size')!;
  assert.deepEqual((item.textEdit as { range: unknown }).range, {
    start: { line: 1, character: 7 },
    end: { line: 1, character: 13 },
  });
  assert.equal(item.detail, 'max-size(limit: size?)');
});

test('hover names the type of a setting, key or field, and the description of a component or parameter', () => {
  const setting = hoverText('chain c {\n    if list.max_mes|sage_size > 1MB then hold\n}');
  assert.match(setting ?? '', /list setting.*`list\.max_message_size`: size/);
  assert.match(hoverText('chain c {\n    if msgdata.appr|oved then accept\n}') ?? '', /msgdata key.*bool/);
  assert.equal(hoverText('chain c {\n    if list.moderator_pass|word is "x" then accept\n}'), undefined);
  const handler = registry.handlers.get('decorate')!;
  assert.ok(hoverText('pipeline p {\n    deco|rate\n}', 'p.pipeline')?.includes(handler.description));
  const effect = registry.effects.get('hold-message')!;
  assert.ok(hoverText('chain c {\n    run hold-mes|sage\n}')?.includes(effect.description));
  const param = registry.rules.get('max-size')!.params![0];
  assert.ok(hoverText('chain c {\n    if max-size(li|mit: 2MB) then hold\n}')?.includes(param.description!));
  const loop = 'chain c {\n    for row in site.antispam.header_checks {\n        if header-match(header: row.hea|der, ';
  assert.match(hoverText(`${loop}pattern: row.pattern) then hold\n    }\n}`) ?? '', /field.*`row\.header`.*string/);
  const source = registry.linkSources.get('site.antispam.header_checks')!;
  assert.ok(
    hoverText('chain c {\n    for row in site.antispam.header_ch|ecks {\n    }\n}')?.includes(source.description),
  );
  assert.match(
    hoverText('chain c {\n    if max-size then ho|ld "too big"\n}') ?? '',
    /\*\*action\*\* `hold`.*moderator/,
  );
  assert.match(hoverText('chain c {\n    det|our moderation\n}') ?? '', /\*\*action\*\* `detour`/);
  // A jump target: the description its own file gives it, and where that file is.
  const chain = hoverText('chain c {\n    jump default-posting-ch|ain\n}') ?? '';
  assert.ok(chain.includes('Default moderation for list posts'), chain);
  assert.ok(chain.includes('default-posting-chain.chain'), chain);
  assert.match(hoverText('chain c {\n    jump nowh|ere\n}') ?? '', /no file in the workspace/);
});

test('definition: a loop variable goes to its for, a let to its line, a built-in chain to its file', () => {
  const text = 'let cap = 2MB\nchain c {\n    for row in list.header_matches {\n        if max-size(limit: cap) and ';
  const { analysis, params } = open(
    `${text}header-match(header: ro|w.header, pattern: row.pattern) then hold\n    }\n}`,
  );
  assert.deepEqual(definition(analysis, params, workspace, registry, () => undefined)?.range, {
    start: { line: 2, character: 8 },
    end: { line: 2, character: 11 },
  });
  const toLet = open(`${text.replace('limit: cap', 'limit: ca|p')}max-size then hold\n    }\n}`);
  assert.deepEqual(definition(toLet.analysis, toLet.params, workspace, registry, () => undefined)?.range, {
    start: { line: 0, character: 4 },
    end: { line: 0, character: 7 },
  });
  const jump = open('chain c {\n    jump moder|ation\n}');
  const found = definition(jump.analysis, jump.params, workspace, registry, () => undefined);
  assert.equal(found?.uri, pathToFileURL(join(BUILTIN_CHAIN_DIR, 'moderation.chain')).href);
  const unknown = open('chain c {\n    jump nowh|ere\n}');
  assert.equal(
    definition(unknown.analysis, unknown.params, workspace, registry, () => undefined),
    null,
  );
});

test('a range after a character outside the BMP counts UTF-16 units, as LSP does', () => {
  const line = '    if header "subject" contains "\u{1F600}" and max-sise then hold';
  const { analysis } = open(`chain c {\n${line}\n}\n`);
  const [d] = publishable(analysis).diagnostics;
  assert.equal(d.code, 'MM301');
  const at = line.indexOf('max-sise');
  assert.deepEqual(d.range, { start: { line: 1, character: at }, end: { line: 1, character: at + 8 } });
});

test('formatting leaves a laid-out file, and one that does not lex, alone', () => {
  assert.deepEqual(formatting(open('chain c {\n    accept\n}\n').analysis), []);
  assert.deepEqual(formatting(open("chain c {\nif header 'x' exists then hold\n}\n").analysis), []);
  assert.equal(formatting(open('chain c {\naccept\n}\n').analysis).length, 1);
});

test('graph checks: a cycle through a file on disk, and a chain that may run out, are reported on the document', () => {
  writeFileSync(join(root, 'loop-b.chain'), 'chain loop-b {\n    jump loop-a\n}\n');
  workspace.rescan();
  const graph = new WorkspaceGraph(registry, workspace);
  const none = () => undefined;
  const cycle = open('chain loop-a {\n    if max-size then jump loop-b\n    accept\n}\n', 'loop-a.chain').analysis;
  const found = publishable(cycle, graph.diagnostics(cycle, none)).diagnostics;
  assert.deepEqual(
    found.map((d) => [d.code, d.range.start, d.range.end]),
    [['MM501', { line: 1, character: 26 }, { line: 1, character: 32 }]],
  );
  assert.match(found[0].message, /loop-a → loop-b → loop-a/);
  const runsOut = open('chain c {\n    if max-size then hold\n}\n').analysis;
  assert.deepEqual(
    graph.diagnostics(runsOut, none).map((d) => [d.code, d.severity, d.line, d.column]),
    [['MM503', 'warning', 1, 7]],
  );
  // The open document's text wins over the file on disk: loop-b as edited no longer jumps back.
  const edited = open('chain loop-b {\n    accept\n}\n', 'loop-b.chain').analysis;
  assert.deepEqual(
    graph.diagnostics(cycle, (path) => (path === edited.file ? edited : undefined)),
    [],
  );
});
