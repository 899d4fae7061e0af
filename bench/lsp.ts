// `node dist/bench/lsp.js [--lines=10000] [--runs=20]`: the language server on the generated
// chain of bench/dsl.ts, as an editor sees it: from a change sent to its diagnostics received,
// hover, completion and formatting, each over stdio to a `mailman lsp --stdio` process (the
// wire and the framing included). Figures only.
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../src/paths.js';
import { generateChain } from './gen-chain.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const LINES = Number(args.get('lines') ?? 10_000);
const RUNS = Number(args.get('runs') ?? 20);

interface Message {
  id?: number;
  method?: string;
  params?: { uri?: string; version?: number };
  result?: unknown;
}

const dir = mkdtempSync(join(tmpdir(), 'mailman-bench-lsp-'));
const proc = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'mailman.js'), 'lsp', '--stdio'], { cwd: dir });
let buffer = Buffer.alloc(0);
let nextId = 1;
const waiting = new Map<string, (m: Message) => void>();

proc.stdout.on('data', (chunk: Buffer) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())![1]);
    if (buffer.length < end + 4 + length) return;
    const m = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString()) as Message;
    buffer = buffer.subarray(end + 4 + length);
    const key = m.id !== undefined ? `id:${m.id}` : `${m.method}:${m.params?.version}`;
    waiting.get(key)?.(m);
    waiting.delete(key);
  }
});

function send(m: object): void {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m }));
  proc.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
}
function expect(key: string): Promise<Message> {
  return new Promise((resolve) => waiting.set(key, resolve));
}
async function request(method: string, params: unknown): Promise<Message> {
  const id = nextId++;
  const answer = expect(`id:${id}`);
  send({ id, method, params });
  return answer;
}
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const text = generateChain(LINES);
  const uri = pathToFileURL(join(dir, 'big.chain')).href;
  await request('initialize', { processId: null, rootUri: pathToFileURL(dir).href, capabilities: {} });
  send({ method: 'initialized', params: {} });
  const open = await timed(async () => {
    const published = expect('textDocument/publishDiagnostics:1');
    send({
      method: 'textDocument/didOpen',
      params: { textDocument: { uri, languageId: 'mailman-dsl', version: 1, text } },
    });
    await published;
  });
  // One character typed in the middle of the file, then the same character taken away.
  const middle = Math.floor(LINES / 2);
  const change: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const version = r + 2;
    const at = { line: middle, character: 4 };
    const edit =
      r % 2 === 0
        ? { range: { start: at, end: at }, text: ' ' }
        : { range: { start: at, end: { ...at, character: 5 } }, text: '' };
    change.push(
      await timed(async () => {
        const published = expect(`textDocument/publishDiagnostics:${version}`);
        send({ method: 'textDocument/didChange', params: { textDocument: { uri, version }, contentChanges: [edit] } });
        await published;
      }),
    );
  }
  const line = text.split('\n').findIndex((l, i) => i > middle && l.includes('if big-post then'));
  const hover: number[] = [];
  const completion: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    hover.push(
      await timed(() => request('textDocument/hover', { textDocument: { uri }, position: { line, character: 8 } })),
    );
    completion.push(
      await timed(() =>
        request('textDocument/completion', { textDocument: { uri }, position: { line, character: 7 } }),
      ),
    );
  }
  const formatting = await timed(() =>
    request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } }),
  );
  console.log(
    `mailman lsp on ${text.split('\n').length - 1} lines (${text.length} characters), ${RUNS} runs, over stdio:`,
  );
  console.log(`  didOpen -> diagnostics               ${open.toFixed(0).padStart(6)} ms`);
  console.log(`  didChange -> diagnostics (median)    ${median(change).toFixed(0).padStart(6)} ms`);
  console.log(`  hover (median)                       ${median(hover).toFixed(1).padStart(6)} ms`);
  console.log(`  completion after 'if ' (median)      ${median(completion).toFixed(1).padStart(6)} ms`);
  console.log(`  formatting the whole file            ${formatting.toFixed(0).padStart(6)} ms`);
  await request('shutdown', null);
  send({ method: 'exit' });
} finally {
  proc.kill();
  rmSync(dir, { recursive: true, force: true });
}
