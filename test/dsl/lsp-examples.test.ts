// `mailman lsp --stdio` on NAME.examples files: diagnostics as validate reads the file (a
// pipeline's examples read as a pipeline's, from the file beside them), completion of keys,
// list settings and expectations, hover on a key, definition to the chain, no formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { startLsp } from '../helpers/lsp-client.js';

const GATE = 'chain gate {\n    if max-size(limit: 2MB) then reject "too big"\n    accept\n}\n';
const TAGGER = 'pipeline tagger {\n    add-header(name: "X-Tag", value: "yes")\n    to-outgoing\n}\n';
const GATE_EXAMPLES = [
  '# The gate refuses big posts.',
  'example "big post"',
  '    attachment: big.pdf application/pdf 3MB',
  '    expect: maybe',
  '    subjct: hi',
  '',
].join('\n');

test('mailman lsp reads .examples files: diagnostics, completion, hover, definition', async () => {
  const lsp = startLsp('lsp-examples-', { 'gate.chain': GATE, 'tagger.pipeline': TAGGER });
  const { root, client, uri, at } = lsp;
  const open = (name: string, text: string) => lsp.open(name, text, 'mailman-examples');
  try {
    await client.result('initialize', {
      processId: null,
      rootUri: pathToFileURL(root).href,
      capabilities: {},
    });
    client.notify('initialized', {});

    // A bad expectation and a misspelt key, each at its place, with the parser's hints.
    open('gate.examples', GATE_EXAMPLES);
    const found = await client.diagnostics(uri('gate.examples'), 1);
    assert.deepEqual(
      found.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
      [
        ['MM601', 3, 12],
        ['MM601', 4, 4],
      ],
    );
    assert.match(found.diagnostics[0].message, /expected accept, hold, reject, discard or none after 'expect:'/);
    assert.deepEqual(
      found.diagnostics[1].relatedInformation?.map((r) => r.message),
      ["hint: did you mean 'subject'?"],
    );
    // A pipeline's examples are read as a pipeline's: `header` is an expectation there.
    open('tagger.examples', 'example "tag"\n    expect: header X-Tag: yes\n');
    assert.deepEqual((await client.diagnostics(uri('tagger.examples'), 1)).diagnostics, []);
    open('gate2.examples', 'example "tag"\n    expect: header X-Tag: yes\n');
    assert.equal((await client.diagnostics(uri('gate2.examples'), 1)).diagnostics[0].code, 'MM601');

    // Completion: keys on an indented line, settings after list:, expectations after expect:.
    const labels = async (name: string, line: number, character: number) =>
      (await client.result<{ label: string }[]>('textDocument/completion', at(name, line, character))).map(
        (i) => i.label,
      );
    const keys = await labels('gate.examples', 2, 4);
    assert.ok(keys.includes('from:') && keys.includes('expect:') && keys.includes('header-match:'), keys.join());
    client.notify('textDocument/didChange', {
      textDocument: { uri: uri('gate.examples'), version: 2 },
      contentChanges: [{ text: 'example "x"\n    list: max_\n    expect: \n' }],
    });
    assert.ok((await labels('gate.examples', 1, 14)).includes('max_message_size'));
    assert.deepEqual(await labels('gate.examples', 2, 12), ['accept', 'hold', 'reject', 'discard', 'none']);
    assert.ok((await labels('tagger.examples', 1, 12)).includes('no header'));

    // Hover on a key says what it means; elsewhere nothing.
    const hover = await client.result<{ contents: { value: string } } | null>(
      'textDocument/hover',
      at('tagger.examples', 1, 6),
    );
    assert.match(hover!.contents.value, /^\*\*expect:\*\* what must happen/);
    assert.equal(await client.result('textDocument/hover', at('tagger.examples', 0, 3)), null);

    // Definition: the file the examples are for.
    const def = await client.result<{ uri: string }>('textDocument/definition', at('tagger.examples', 0, 3));
    assert.equal(def.uri, uri('tagger.pipeline'));
    // No formatter for examples: the layout is the admin's.
    assert.deepEqual(
      await client.result('textDocument/formatting', {
        textDocument: { uri: uri('tagger.examples') },
        options: { tabSize: 4, insertSpaces: true },
      }),
      [],
    );
    await client.result('shutdown', null);
    client.notify('exit', null);
    assert.equal(await client.exited, 0);
  } finally {
    lsp.close();
  }
});
