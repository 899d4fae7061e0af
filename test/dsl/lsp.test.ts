// `mailman lsp --stdio`, spoken to as an editor would: JSON-RPC with Content-Length framing,
// written here by hand (not the library's client, so a framing mistake on either side shows).
// One server goes through a session: initialize, didOpen with a mistake (diagnostics), an
// incremental change, hover, completion, definition in the file and in another file,
// formatting of a messy and of a broken file, a failing request that leaves the server
// serving, a document over the size limit, then shutdown and exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from '../../src/dsl/index.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { registry } from '../helpers/registry.js';
import { startLsp, type Position, type Published, type Range } from '../helpers/lsp-client.js';

/** Applies LSP edits (ranges in UTF-16 positions) to a text, last first. */
function applyEdits(text: string, edits: { range: Range; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

const SITE_POSTS = [
  'rule big = max-size(limit: 2MB)',
  'chain site-posts "Posts to the site\'s lists" {',
  '    if big then jump spam-check',
  '    if max-sise then hold',
  '    accept',
  '}',
  '',
].join('\n');

const SPAM_CHECK = [
  '# Held when the filter upstream says so.',
  'chain spam-check {',
  '    if header "X-Spam" exists then hold',
  '    accept',
  '}',
  '',
].join('\n');

test('mailman lsp answers an editor over stdio: diagnostics, hover, completion, definition, formatting', async () => {
  const lsp = startLsp('lsp-', { 'spam-check.chain': SPAM_CHECK });
  const { root, client, uri, at } = lsp;
  const open = (name: string, text: string) => lsp.open(name, text);
  try {
    const init = await client.result<{ capabilities: Record<string, unknown> }>('initialize', {
      processId: null,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'site' }],
      capabilities: {},
    });
    assert.equal(init.capabilities.hoverProvider, true);
    assert.equal(init.capabilities.definitionProvider, true);
    assert.equal(init.capabilities.documentFormattingProvider, true);
    assert.deepEqual(init.capabilities.textDocumentSync, { openClose: true, change: 2, save: { includeText: false } });
    client.notify('initialized', {});

    // A typo'd rule: MM301 at its name, with the compiler's hint; the jump to the chain in the
    // other file is known (no MM303).
    open('site-posts.chain', SITE_POSTS);
    const first = await client.diagnostics(uri('site-posts.chain'), 1);
    assert.deepEqual(
      first.diagnostics.map((d) => [d.code, d.severity, d.range]),
      [['MM301', 1, { start: { line: 3, character: 7 }, end: { line: 3, character: 15 } }]],
    );
    assert.match(first.diagnostics[0].message, /unknown rule 'max-sise'/);
    assert.deepEqual(
      first.diagnostics[0].relatedInformation?.map((r) => r.message),
      ["hint: did you mean 'max-size'?"],
    );

    // An incremental change fixes it; the next diagnostics are for version 2 and empty.
    client.notify('textDocument/didChange', {
      textDocument: { uri: uri('site-posts.chain'), version: 2 },
      contentChanges: [
        { range: { start: { line: 3, character: 7 }, end: { line: 3, character: 15 } }, text: 'max-size' },
      ],
    });
    assert.deepEqual((await client.diagnostics(uri('site-posts.chain'), 2)).diagnostics, []);

    // A derived pipeline is checked against its base: an anchor the base lacks is MM313.
    open('strict.pipeline', 'pipeline strict from default-posting-pipeline {\n    without taggr\n}\n');
    const derived = await client.diagnostics(uri('strict.pipeline'), 1);
    assert.deepEqual(
      derived.diagnostics.map((d) => [d.code, d.range]),
      [['MM313', { start: { line: 1, character: 12 }, end: { line: 1, character: 17 } }]],
    );
    assert.deepEqual(
      derived.diagnostics[0].relatedInformation?.map((r) => r.message),
      ["hint: did you mean 'tagger'?"],
    );
    // Its base goes to the built-in pipeline's declaration.
    const base = await client.result<{ uri: string; range: Range }>(
      'textDocument/definition',
      at('strict.pipeline', 0, 25),
    );
    assert.ok(base.uri.endsWith('/pipelines/default-posting-pipeline.pipeline'), base.uri);
    assert.equal(base.range.start.line, 2);

    // Hover: a registered rule shows its description and parameters from the registry.
    const maxSize = registry.rules.get('max-size')!;
    const hover = await client.result<{ contents: { kind: string; value: string }; range: Range }>(
      'textDocument/hover',
      at('site-posts.chain', 0, 13),
    );
    assert.equal(hover.contents.kind, 'markdown');
    assert.ok(hover.contents.value.includes(maxSize.description), hover.contents.value);
    assert.ok(hover.contents.value.includes(maxSize.params![0].description!), hover.contents.value);
    assert.deepEqual(hover.range, { start: { line: 0, character: 11 }, end: { line: 0, character: 19 } });
    // … and a local rule its definition as written.
    const local = await client.result<{ contents: { value: string } }>(
      'textDocument/hover',
      at('site-posts.chain', 2, 8),
    );
    assert.ok(local.contents.value.includes('rule big = max-size(limit: 2MB)'), local.contents.value);

    // Completion after `if `: registered rules and the file's own; after `list.`: settings.
    const labels = async (line: number, character: number) =>
      (
        await client.result<{ label: string }[]>('textDocument/completion', at('site-posts.chain', line, character))
      ).map((i) => i.label);
    const afterIf = await labels(3, 7);
    for (const name of ['max-size', 'banned-address', 'big', 'list', 'sender']) assert.ok(afterIf.includes(name), name);
    assert.equal(afterIf.length, new Set(afterIf).size);
    client.notify('textDocument/didChange', {
      textDocument: { uri: uri('site-posts.chain'), version: 3 },
      contentChanges: [
        { range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, text: '    if list.' },
      ],
    });
    const afterList = await labels(4, 12);
    for (const name of ['max_message_size', 'display_name', 'emergency']) assert.ok(afterList.includes(name), name);
    assert.ok(!afterList.includes('moderator_password'), 'a secret is never offered');
    assert.ok(!afterList.includes('max-size'), 'no rules after list.');

    // Definition: the local rule, then the jump target in its own file.
    const toRule = await client.result<{ uri: string; range: Range }>(
      'textDocument/definition',
      at('site-posts.chain', 2, 8),
    );
    assert.deepEqual(toRule, {
      uri: uri('site-posts.chain'),
      range: { start: { line: 0, character: 5 }, end: { line: 0, character: 8 } },
    });
    const toChain = await client.result<{ uri: string; range: Range }>(
      'textDocument/definition',
      at('site-posts.chain', 2, 24),
    );
    assert.deepEqual(toChain, {
      uri: uri('spam-check.chain'),
      range: { start: { line: 1, character: 6 }, end: { line: 1, character: 16 } },
    });

    // A burst of changes read together is compiled once, at its last version.
    const change = (v: number, text: string) => ({
      method: 'textDocument/didChange',
      params: { textDocument: { uri: uri('site-posts.chain'), version: v }, contentChanges: [{ text }] },
    });
    client.notifyTogether([
      change(4, SITE_POSTS),
      change(5, SITE_POSTS.replace('max-sise', 'max-sixe')),
      change(6, SITE_POSTS.replace('max-sise', 'max-size')),
    ]);
    assert.deepEqual((await client.diagnostics(uri('site-posts.chain'), 6)).diagnostics, []);
    const versions = client.notifications
      .filter((n) => n.method === 'textDocument/publishDiagnostics')
      .map((n) => n.params as Published)
      .filter((p) => p.uri === uri('site-posts.chain'))
      .map((p) => p.version);
    assert.deepEqual(versions, [1, 2, 3, 6]);

    // Formatting: a messy file gets fmt's layout; a broken one gets no edit at all.
    const messy = 'chain messy   {\nif max-size then hold\n        if   no-subject then   discard\naccept }\n';
    open('messy.chain', messy);
    const edits = await client.result<{ range: Range; newText: string }[]>('textDocument/formatting', {
      textDocument: { uri: uri('messy.chain') },
      options: { tabSize: 4, insertSpaces: true },
    });
    const expected = format(messy);
    assert.ok(expected.changed && !expected.skipped);
    assert.equal(applyEdits(messy, edits), expected.text);
    open('broken.chain', 'chain broken {\n  if max-size then\n    accept\n');
    assert.equal((await client.diagnostics(uri('broken.chain'), 1)).diagnostics[0]?.code, 'MM201');
    const none = await client.result<unknown[]>('textDocument/formatting', {
      textDocument: { uri: uri('broken.chain') },
      options: { tabSize: 4, insertSpaces: true },
    });
    assert.deepEqual(none, []);

    // A request that fails is answered with an error, and the server goes on serving.
    const failed = await client.request('textDocument/hover', at('never-opened.chain', 0, 0));
    assert.equal(failed.error?.code, -32603);
    assert.match(failed.error!.message, /not open/);

    // Over the size limit: one diagnostic, no compile.
    open('huge.chain', `chain huge {\n${'# padding\n'.repeat(100_001)}}\n`);
    const huge = await client.diagnostics(uri('huge.chain'), 1);
    assert.deepEqual(
      huge.diagnostics.map((d) => d.code),
      ['MM205'],
    );

    assert.equal((await client.request('shutdown', null)).result, null);
    client.notify('exit', null);
    assert.equal(await client.exited, 0, client.stderr);
  } finally {
    lsp.close();
  }
});

const SITE_RULES =
  '# Shared by the site\'s chains.\nlet big = 2MB\nrule spammy "flagged" = header "X-Spam-Flag" is "YES"\n';
const MEMBERS = [
  'use "site.rules"',
  '',
  'chain members {',
  '    if spammy then hold',
  '    if max-size(limit: big) then reject',
  '    accept',
  '}',
  '',
].join('\n');

test('mailman lsp and shared definitions: a .rules file checked, definition into it and to it, completion of its names', async () => {
  const lsp = startLsp('lsp-rules-', { 'site.rules': SITE_RULES });
  const { root, client, uri, at } = lsp;
  const open = (name: string, text: string) => lsp.open(name, text);
  try {
    await client.result('initialize', {
      processId: null,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'site' }],
      capabilities: {},
    });
    client.notify('initialized', {});

    // A .rules file is checked as validate checks it; a chain using a sound one is clean.
    open('broken.rules', 'let limit = nowhere\n');
    const broken = await client.diagnostics(uri('broken.rules'), 1);
    assert.deepEqual(
      broken.diagnostics.map((d) => [d.code, d.range]),
      [['MM304', { start: { line: 0, character: 12 }, end: { line: 0, character: 19 } }]],
    );
    open('members.chain', MEMBERS);
    assert.deepEqual((await client.diagnostics(uri('members.chain'), 1)).diagnostics, []);

    // A shared rule and a shared constant go to their definitions in site.rules …
    const toRule = await client.result<{ uri: string; range: Range }>(
      'textDocument/definition',
      at('members.chain', 3, 9),
    );
    assert.deepEqual(toRule, {
      uri: uri('site.rules'),
      range: { start: { line: 2, character: 5 }, end: { line: 2, character: 11 } },
    });
    const toLet = await client.result<{ uri: string; range: Range }>(
      'textDocument/definition',
      at('members.chain', 4, 25),
    );
    assert.deepEqual(toLet.range, { start: { line: 1, character: 4 }, end: { line: 1, character: 7 } });
    // … and the `use` string to the file.
    const toFile = await client.result<{ uri: string }>('textDocument/definition', at('members.chain', 0, 8));
    assert.equal(toFile.uri, uri('site.rules'));

    // Completion after `if ` offers the used file's names.
    const items = await client.result<{ label: string; detail?: string }[]>(
      'textDocument/completion',
      at('members.chain', 3, 7),
    );
    const spammy = items.find((i) => i.label === 'spammy');
    assert.ok(spammy, items.map((i) => i.label).join(', '));
    assert.ok(items.some((i) => i.label === 'big'));

    // An unknown name some .rules file defines: the hint says where and what to add.
    open('other.chain', 'chain other {\n    if spammy then hold\n    accept\n}\n');
    const other = await client.diagnostics(uri('other.chain'), 1);
    assert.deepEqual(
      other.diagnostics[0].relatedInformation?.map((r) => r.message),
      ['hint: defined in site.rules:3:6; add `use "site.rules"`'],
    );

    assert.equal((await client.request('shutdown', null)).result, null);
    client.notify('exit', null);
    assert.equal(await client.exited, 0, client.stderr);
  } finally {
    lsp.close();
  }
});

test('mailman lsp without --stdio is a usage error', async () => {
  const proc = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'mailman.js'), 'lsp'], { cwd: tmpdir() });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /--stdio/);
});
