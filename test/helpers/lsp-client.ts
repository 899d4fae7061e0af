// A language-server client for tests, written by hand (not the library's client, so a framing
// mistake on either side shows): JSON-RPC with Content-Length framing over a child's stdio.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../../src/paths.js';

export interface Message {
  jsonrpc: '2.0';
  id?: number | string;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface LspDiagnostic {
  range: Range;
  severity: number;
  code: string;
  message: string;
  relatedInformation?: { message: string }[];
}
export interface Published {
  uri: string;
  version?: number;
  diagnostics: LspDiagnostic[];
}

/** The longest any one answer may take before the test fails instead of hanging. */
export const DEADLINE_MS = 30_000;

export class Client {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly answers = new Map<number, (m: Message) => void>();
  readonly notifications: Message[] = [];
  private readonly watchers: (() => void)[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (chunk: Buffer) => this.read(chunk));
    proc.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buffer.subarray(0, end).toString('ascii');
      const length = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
      assert.ok(Number.isInteger(length), `a header without Content-Length: ${header}`);
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(m: Message): void {
    if (m.method !== undefined && m.id !== undefined) {
      // A request from the server (none is expected of a client without capabilities): answer it.
      this.write({ jsonrpc: '2.0', id: m.id, result: null });
    } else if (m.method !== undefined) {
      this.notifications.push(m);
      for (const w of this.watchers.splice(0)) w();
    } else if (typeof m.id === 'number') this.answers.get(m.id)?.(m);
  }

  private write(m: Message): void {
    const body = Buffer.from(JSON.stringify(m), 'utf8');
    this.proc.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** Several notifications in one write, so the server reads them as one burst. */
  notifyTogether(messages: { method: string; params: unknown }[]): void {
    const frames = messages.map((m) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m }), 'utf8');
      return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
    });
    this.proc.stdin.write(Buffer.concat(frames));
  }

  request(method: string, params: unknown): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}; stderr: ${this.stderr}`)), DEADLINE_MS);
      this.answers.set(id, (m) => {
        clearTimeout(timer);
        this.answers.delete(id);
        resolve(m);
      });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  async result<T>(method: string, params: unknown): Promise<T> {
    const m = await this.request(method, params);
    assert.equal(m.error, undefined, `${method}: ${JSON.stringify(m.error)}`);
    return m.result as T;
  }

  /** The first notification (already received or to come) that `match` accepts. */
  notification<T>(method: string, match: (params: T) => boolean): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method}; stderr: ${this.stderr}`)), DEADLINE_MS);
      const look = () => {
        const hit = this.notifications.find((n) => n.method === method && match(n.params as T));
        if (hit) {
          clearTimeout(timer);
          resolve(hit.params as T);
        } else this.watchers.push(look);
      };
      look();
    });
  }

  diagnostics(uri: string, version: number): Promise<Published> {
    return this.notification<Published>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri && p.version === version,
    );
  }
}

/**
 * `mailman lsp --stdio` started in a temporary folder whose chains/ holds `files`, with the
 * client and the helpers every session needs: a document's URI, didOpen, a position in it.
 * `close()` kills the server and removes the folder.
 */
export function startLsp(prefix: string, files: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(root, 'chains'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'chains', name), text);
  const proc = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'mailman.js'), 'lsp', '--stdio'], { cwd: root });
  const client = new Client(proc);
  const uri = (name: string) => pathToFileURL(join(root, 'chains', name)).href;
  return {
    root,
    proc,
    client,
    uri,
    open(name: string, text: string, languageId = 'mailman-dsl', version = 1): void {
      client.notify('textDocument/didOpen', { textDocument: { uri: uri(name), languageId, version, text } });
    },
    at: (name: string, line: number, character: number) => ({
      textDocument: { uri: uri(name) },
      position: { line, character },
    }),
    close(): void {
      proc.kill();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
