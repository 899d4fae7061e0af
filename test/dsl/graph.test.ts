// The whole-catalog checks of graph.ts: jump/detour cycles across files (MM501), chains that
// may end with no disposition unless only detoured to (MM503); and `mailman compile`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ChainIr, checkChainGraph, compile, type SourceText } from '../../src/dsl/index.js';
import { registry } from '../helpers/registry.js';
import { ROOT } from './support.js';

const TERMINALS: Record<string, string> = {
  accept: 'chain accept { run accept-message stop }',
  hold: 'chain hold { run hold-message stop }',
  reject: 'chain reject { run reject-message stop }',
  discard: 'chain discard { run discard-message stop }',
};

/** Compiles each source (errors allowed) and runs the graph checks over all of them. */
function graph(chains: Record<string, string>): string[] {
  const all = { ...TERMINALS, ...chains };
  const chainNames = new Set(Object.keys(all));
  const irs = new Map<string, ChainIr>();
  const sources = new Map<string, SourceText>();
  for (const [name, text] of Object.entries(all)) {
    const r = compile(text, `${name}.chain`, { chainNames, registry });
    if (r.lowered?.kind === 'chain') irs.set(name, r.lowered);
    sources.set(`${name}.chain`, r.source);
  }
  return checkChainGraph(irs, sources).map(
    (d) => `${d.file}:${d.line}:${d.column}-${d.endColumn} ${d.severity} ${d.code}: ${d.message}`,
  );
}

test('a cycle across three files is an error in each of them, at the edge that continues it', () => {
  assert.deepEqual(
    graph({
      one: 'chain one {\n  if loop then jump two\n  accept\n}',
      two: 'chain two { detour three  accept }',
      three: 'chain three { if any then jump one  hold }',
    }),
    [
      "one.chain:2:21-24 error MM501: jump to 'two' closes a cycle: one → two → three → one",
      "two.chain:1:20-25 error MM501: detour to 'three' closes a cycle: one → two → three → one",
      "three.chain:1:32-35 error MM501: jump to 'one' closes a cycle: one → two → three → one",
    ],
  );
});

test('a cycle through a disposition: a site hold chain that jumps back', () => {
  const found = graph({
    start: 'chain start { if loop then hold  accept }',
    hold: 'chain hold { run hold-message  jump start }',
  });
  assert.deepEqual(
    found.map((d) => d.replace(/:\d+:\d+-\d+/, '')),
    [
      "hold.chain error MM501: jump to 'start' closes a cycle: hold → start → hold",
      "start.chain error MM501: jump to 'hold' closes a cycle: hold → start → hold",
    ],
  );
});

test('no cycle: a diamond of jumps and detours is fine', () => {
  assert.deepEqual(
    graph({
      top: 'chain top { if loop then jump left  detour right  jump left }',
      left: 'chain left { jump bottom }',
      right: 'chain right { detour bottom }',
      bottom: 'chain bottom { if any then hold  accept }',
    }),
    [],
  );
});

test('running out of links: a warning unless only detoured to; typed computed targets decide', () => {
  assert.deepEqual(
    graph({
      start: 'chain start { detour side  jump maybe }',
      side: 'chain side { if loop then discard }',
      maybe: 'chain maybe { if loop then discard }',
      moderation: 'chain moderation { jump to msgdata.member_moderation_action }',
      unused: 'chain unused { jump to site.antispam.jump_chain }',
    }),
    [
      "maybe.chain:1:7-12 warning MM503: chain 'maybe' may run out of links with no disposition, and the message is then dropped",
    ],
  );
});

test('mailman compile writes each IR and prints one line per file; errors exit 1', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dsl-compile-'));
  after(() => rmSync(out, { recursive: true, force: true }));
  const conf = join(out, 'mailman.conf');
  writeFileSync(conf, `[paths]\nvar_dir: ${join(out, 'var')}\n`);
  const run = promisify(execFile);
  const { stdout } = await run(
    process.execPath,
    [join('bin', 'mailman.js'), '-C', conf, 'compile', '--out', join(out, 'ir')],
    { cwd: ROOT },
  );
  const written = readdirSync(join(out, 'ir')).sort();
  const builtins = [...readdirSync(join(ROOT, 'chains')), ...readdirSync(join(ROOT, 'pipelines'))].filter((f) =>
    /\.(chain|pipeline)$/.test(f),
  );
  assert.deepEqual(written, builtins.map((f) => `${f}.json`).sort());
  const posting = JSON.parse(readFileSync(join(out, 'ir', 'default-posting-chain.chain.json'), 'utf8')) as ChainIr;
  assert.equal(posting.ir, 1);
  assert.equal(posting.kind, 'chain');
  assert.match(stdout, /^moderation\s+chain\s+1 link, ok -> /m);
  assert.match(stdout, /^virgin\s+pipeline\s+3 steps, ok -> /m);
  assert.equal(
    stdout
      .trim()
      .split('\n')
      .filter((l) => / ok -> /.test(l)).length,
    builtins.length,
  );

  const broken = join(out, 'broken.chain');
  writeFileSync(broken, 'chain broken { if lop then hold  accept }\n');
  const failed = await run(
    process.execPath,
    [join('bin', 'mailman.js'), '-C', conf, 'compile', '--out', join(out, 'ir2'), broken],
    { cwd: ROOT },
  ).catch((e: { stdout: string; code: number }) => e);
  assert.equal((failed as { code: number }).code, 1);
  assert.match((failed as { stdout: string }).stdout, /^broken\s+chain\s+not compiled: 1 error$/m);
  assert.match((failed as { stdout: string }).stdout, /error MM301: unknown rule 'lop'/);
  assert.deepEqual(readdirSync(join(out, 'ir2')), []);
});
