// The compiler's limits (grammar/limits.ts): nesting that would overflow the stack of either
// parser or of a later stage is refused with MM204, sizes past the limits with MM205, and
// whatever still throws inside compile() becomes MM206 on that one file. The shapes here are
// the ones that overflowed before: 700 parentheses, 2,000 `not`s, lists and `for` blocks
// nested thousands deep, long `or` chains (the executor's closures), rules built on rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChain, compile, DslCatalog, format, type Registries, SourceText } from '../../src/dsl/index.js';
import { parseTokens, dslParser } from '../../grammar/parser.js';
import { tokenize } from '../../grammar/tokens.js';
import { MAX_LINKS, MAX_LITERAL_CHARS, MAX_NESTING, MAX_SOURCE_CHARS, MAX_TOKENS } from '../../grammar/limits.js';
import { parseAstFast } from '../../src/dsl/fast-parse.js';
import { DiagnosticSink } from '../../src/dsl/diagnostics.js';
import { runChain } from '../../src/moderation/chain-executor.js';
import { registry } from '../helpers/registry.js';
import { CHAINS_DIR, PIPELINES_DIR, makeCtx } from './support.js';

const codes = (text: string, file = 'x.chain') =>
  compile(text, file, { registry })
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => d.code);
const chain = (body: string, defs = '') => `${defs}\nchain x {\n    ${body}\n}\n`;

test('nesting past the limit is MM204 from both parsers, never a stack overflow', () => {
  const shapes = [
    chain(`if ${'('.repeat(700)}true${')'.repeat(700)} then accept`),
    chain(`if ${'not '.repeat(2000)}true then accept`),
    chain(`if ${'not ('.repeat(1000)}true${')'.repeat(1000)} then accept`),
    chain(`if sender in ${'['.repeat(5000)}"a"${']'.repeat(5000)} then accept`),
    chain(`${'for c in site.antispam.header_checks { '.repeat(3000)}accept${' }'.repeat(3000)}`),
    // Unbalanced: the parser would recurse as deep before it found the problem.
    chain(`if ${'('.repeat(50_000)} then accept`),
  ];
  for (const text of shapes) {
    assert.deepEqual(codes(text), ['MM204'], text.slice(0, 80));
    const { tokens } = tokenize(text);
    const cst = parseTokens(tokens);
    assert.equal(cst.refused?.kind, 'depth');
    assert.equal(dslParser.errors.length, 0);
    assert.equal(parseAstFast(tokens, 'x.chain', new DiagnosticSink(new SourceText('x.chain', text))), undefined);
    const formatted = format(text);
    assert.equal(formatted.skipped, 'too-large');
    assert.equal(formatted.text, text);
  }
  // Right at the limit (the chain's own braces count): compiles, on both paths.
  const deepest = chain(`if ${'('.repeat(MAX_NESTING - 1)}true${')'.repeat(MAX_NESTING - 1)} then accept`);
  assert.deepEqual(codes(deepest), []);
  assert.deepEqual(codes(deepest.replace('if (', 'if ((').replace(') then', ')) then')), ['MM204']);
  // Many shallow groups side by side are not deep.
  assert.deepEqual(codes(chain(`if ${Array(5000).fill('(not (true))').join(' and ')} then accept`)), []);
});

test('rules and constants built on one another count their nesting together', () => {
  const rules = Array.from({ length: 200 }, (_, i) =>
    i === 0 ? 'rule r0 = header "X" exists' : `rule r${i} = not r${i - 1}`,
  ).join('\n');
  const result = compile(chain('if r199 then hold', rules), 'x.chain', { registry });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual([...new Set(errors.map((e) => e.code))], ['MM204']);
  assert.match(errors[0].message, /'r\d+' nests \d+ levels deep/);
  const lets = Array.from({ length: 5000 }, (_, i) => (i === 0 ? 'let l0 = "a"' : `let l${i} = [l${i - 1}]`)).join(
    '\n',
  );
  assert.deepEqual([...new Set(codes(chain('if sender in l4999 then hold', lets)))], ['MM204']);
  // A few layers, as real files have, are fine.
  assert.deepEqual(
    codes(chain('if r2 then hold', 'rule r0 = header "X" exists\nrule r1 = r0 and not loop\nrule r2 = r1 or r0')),
    [],
  );
});

test('sizes past the limits are MM205: the file, its tokens, a literal, the links of a chain', () => {
  const huge = chain('accept') + `# ${'x'.repeat(MAX_SOURCE_CHARS)}\n`;
  assert.deepEqual(codes(huge), ['MM205']);
  assert.equal(format(huge).skipped, 'too-large');
  const manyTokens = chain(
    `if ${Array(Math.ceil(MAX_TOKENS / 2))
      .fill('true')
      .join(' or ')} then accept`,
  );
  assert.ok(manyTokens.length < MAX_SOURCE_CHARS);
  assert.deepEqual(codes(manyTokens), ['MM205']);
  assert.deepEqual(codes(chain(`if header "Subject" matches /${'a'.repeat(MAX_LITERAL_CHARS)}/ then hold`)), ['MM205']);
  assert.deepEqual(codes(chain(`reject "${'a'.repeat(MAX_LITERAL_CHARS)}"`)), ['MM205']);
  const links = Array(MAX_LINKS + 1)
    .fill('defer')
    .join('\n    ');
  assert.deepEqual(codes(chain(links)), ['MM205']);
  assert.deepEqual(
    codes(
      `pipeline x {\n${Array(MAX_LINKS + 1)
        .fill('    to-outgoing')
        .join('\n')}\n}\n`,
      'x.pipeline',
    ),
    ['MM205'],
  );
});

test('a long or/and chain compiles and runs without a closure per operand on the stack', async () => {
  const n = 30_000;
  const text = chain(`if ${Array(n).fill('header "X-No" exists').join(' or ')} or header "X-Yes" exists then stop`);
  const chainNames = new Set(['accept', 'hold', 'reject', 'discard', 'x']);
  const result = compile(text, 'x.chain', { chainNames, registry });
  assert.ok(result.ir, JSON.stringify(result.diagnostics.slice(0, 2)));
  const exe = buildChain(result.ir.kind === 'chain' ? result.ir : assert.fail(), registry);
  const catalog = { chain: (name: string) => (name === 'x' ? exe : undefined) };
  const ctx = makeCtx({ headers: 'From: anne@example.org\nX-Yes: 1\nSubject: hi\n', dryRun: true });
  const trace = await runChain(catalog as never, 'x', ctx);
  assert.equal(trace.links[0]?.hit, true);
  const tests = Array(n).fill('header "Subject" exists').join(' and ');
  const and = compile(chain(`if ${tests} then hold`), 'x.chain', { registry });
  assert.ok(and.ir);
});

test('an exception inside a stage is MM206 on that file; the catalog keeps the others in force', () => {
  const throwing: Registries = {
    ...registry,
    rules: {
      get: (name: string) => {
        if (name === 'boom') throw new Error('the registry failed');
        return registry.rules.get(name);
      },
      has: (name: string) => name === 'boom' || registry.rules.has(name),
      names: () => registry.rules.names(),
    },
  };
  const result = compile(chain('if boom then hold'), 'x.chain', { registry: throwing });
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ['MM206'],
  );
  assert.match(result.diagnostics[0].message, /the compiler failed on this file \(Error: the registry failed\)/);
  assert.equal(result.ir, undefined);

  const site = mkdtempSync(join(tmpdir(), 'limits-site-'));
  try {
    mkdirSync(join(site, 'chains'));
    writeFileSync(join(site, 'chains', 'boom.chain'), 'chain boom {\n    if boom then hold\n    accept\n}\n');
    writeFileSync(
      join(site, 'chains', 'deep.chain'),
      chain(`if ${'('.repeat(700)}true${')'.repeat(700)} then accept`).replace('chain x', 'chain deep'),
    );
    writeFileSync(join(site, 'chains', 'fine.chain'), 'chain fine {\n    if loop then discard\n    accept\n}\n');
    // 8 MB: read only as far as the limit needs, and refused unlexed.
    writeFileSync(
      join(site, 'chains', 'huge.chain'),
      'chain huge {\n    accept\n}\n' + `# ${'x'.repeat(8 * 1024 * 1024)}\n`,
    );
    const catalog = DslCatalog.loadSync(
      { builtinChains: CHAINS_DIR, builtinPipelines: PIPELINES_DIR, siteChains: join(site, 'chains') },
      { registry: throwing },
    );
    assert.equal(catalog.entry('chain', 'boom')?.status, 'broken');
    assert.deepEqual(
      catalog.diagnosticsOf('chain', 'boom').map((d) => d.code),
      ['MM206'],
    );
    assert.equal(catalog.entry('chain', 'deep')?.status, 'broken');
    assert.deepEqual(
      catalog.diagnosticsOf('chain', 'deep').map((d) => d.code),
      ['MM204'],
    );
    assert.equal(catalog.entry('chain', 'fine')?.status, 'ok');
    assert.equal(catalog.entry('chain', 'huge')?.status, 'broken');
    assert.deepEqual(
      catalog.diagnosticsOf('chain', 'huge').map((d) => d.code),
      ['MM205'],
    );
    assert.ok(catalog.source('chain', 'huge')!.length <= MAX_SOURCE_CHARS * 3 + 4);
    assert.ok(catalog.chain('default-posting-chain'));
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});
