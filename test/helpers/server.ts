// Boots the real server (`mailman start --foreground`, master and runner processes) on
// ephemeral ports in a temporary var dir, and talks to it as its users do.
import { spawn, ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { MasterStatusFile } from '../../src/master/status.js';
import { freshDatabase, type TestDatabase } from './database.js';
import { waitFor } from './wait.js';

const MAILMAN = join(PACKAGE_ROOT, 'bin', 'mailman.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RestResponse {
  status: number;
  body: any;
  headers: Headers;
}

export class TestServer {
  master!: ChildProcess;
  lmtpPort = 0;
  restPort = 0;
  private exited: Promise<number | null> = Promise.resolve(null);
  /** Options for node itself (e.g. --cpu-prof); the master's children inherit them. */
  nodeArgs: string[] = [];

  private constructor(
    readonly dir: string,
    readonly configFile: string,
    readonly database: TestDatabase,
  ) {}

  static async start(opts: { smtpPort: number; config?: string; nodeArgs?: string[] }): Promise<TestServer> {
    const server = TestServer.prepare(opts);
    server.nodeArgs = opts.nodeArgs ?? [];
    await server.boot();
    return server;
  }

  /** A configured but not yet running server, for CLI work before the first start. */
  static prepare(opts: { smtpPort: number; config?: string }): TestServer {
    const dir = mkdtempSync(join(tmpdir(), 'mailman-ts-'));
    const configFile = join(dir, 'mailman.conf');
    const database = freshDatabase();
    writeFileSync(
      configFile,
      [
        '[mailman]',
        'site_owner: postmaster@example.com',
        '[paths]',
        `var_dir: ${join(dir, 'var')}`,
        '[webservice]',
        'port: 0',
        '[mta]',
        'lmtp_port: 0',
        `smtp_port: ${opts.smtpPort}`,
        database.conf,
        '[runner.retry]',
        'sleep_time: 1s',
        opts.config ?? '',
      ].join('\n'),
    );
    return new TestServer(dir, configFile, database);
  }

  get varDir(): string {
    return join(this.dir, 'var');
  }

  async boot(): Promise<void> {
    for (const f of ['lmtp.json', 'rest.json']) rmSync(join(this.varDir, 'run', f), { force: true });
    this.master = spawn(
      process.execPath,
      [...this.nodeArgs, MAILMAN, '-C', this.configFile, 'start', '--foreground', '--quiet'],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    this.exited = new Promise((resolve) => this.master.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 90_000; // generous: runners take 30 s to start on a loaded 2-core machine
    for (;;) {
      const lmtp = this.readRun('lmtp');
      const rest = this.readRun('rest');
      if (lmtp && rest) {
        this.lmtpPort = lmtp.port;
        this.restPort = rest.port;
        return;
      }
      if (this.master.exitCode !== null)
        throw new Error(`the server exited with ${this.master.exitCode} while starting`);
      if (Date.now() > deadline) {
        // A master left running keeps the test process alive for ever (it inherits our stdio).
        this.master.kill('SIGTERM');
        throw new Error('the server did not start within 90 s');
      }
      await sleep(50);
    }
  }

  readRun(name: string): { port: number; pid: number } | undefined {
    const file = join(this.varDir, 'run', `${name}.json`);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** The master's view of its runners (pids, restarts). */
  status(): MasterStatusFile {
    return JSON.parse(readFileSync(join(this.varDir, 'run', 'master.json'), 'utf8')) as MasterStatusFile;
  }

  runnerPid(name: string): number | null {
    return this.status().runners.find((r) => r.name === name)?.pid ?? null;
  }

  /** SIGKILLs a runner's process and waits for the master to have started a new one. */
  async killRunner(name: string, timeoutMs = 30_000): Promise<void> {
    const pid = this.runnerPid(name)!;
    process.kill(pid, 'SIGKILL');
    await this.waitUntil(
      () => {
        const p = this.runnerPid(name);
        return p !== null && p !== pid;
      },
      timeoutMs,
      `the ${name} runner to be restarted`,
    );
  }

  /** A list, its domain created on first use, with members subscribed as an admin does it. */
  async createList(fqdn: string, members: readonly string[] = []): Promise<void> {
    const domain = fqdn.slice(fqdn.lastIndexOf('@') + 1);
    if ((await this.rest('GET', `/domains/${domain}`)).status === 404)
      expectStatus(await this.rest('POST', '/domains', { mail_host: domain }), 201);
    expectStatus(await this.rest('POST', '/lists', { fqdn_listname: fqdn }), 201);
    for (const email of members) {
      expectStatus(
        await this.rest('POST', '/members', {
          list_id: fqdn.replace('@', '.'),
          subscriber: email,
          pre_verified: true,
          pre_confirmed: true,
          pre_approved: true,
          send_welcome_message: false,
        }),
        201,
      );
    }
  }

  /** The held-message entry of a post, once the list holds it (its `reason` says why). */
  async heldEntry(listId: string, messageId: string, timeoutMs = 20_000): Promise<{ reason: string }> {
    let entry: { reason: string } | undefined;
    await this.waitUntil(
      async () => {
        const body = (await this.rest('GET', `/lists/${listId}/held`)).body;
        entry = (body.entries ?? []).find((e: { message_id: string }) => e.message_id === messageId);
        return !!entry;
      },
      timeoutMs,
      `${messageId} to be held on ${listId}`,
    );
    return entry!;
  }

  async rest(method: string, path: string, body?: Record<string, unknown>): Promise<RestResponse> {
    const res = await fetch(`http://127.0.0.1:${this.restPort}/3.1${path}`, {
      method,
      headers: {
        authorization: 'Basic ' + Buffer.from('restadmin:restpass').toString('base64'),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /** Runs a `mailman` CLI command against this server's configuration. */
  cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [MAILMAN, '-C', this.configFile, ...args], (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    return waitFor(pred, what, timeoutMs);
  }

  async stop(): Promise<number | null> {
    if (!this.master) return null;
    if (this.master.exitCode === null) this.master.kill('SIGTERM');
    return this.exited;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    this.database.drop();
    // KEEP_TEST_DIRS=1 leaves var (queues, logs) behind to read after a failure.
    if (!process.env.KEEP_TEST_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }
}

function expectStatus(res: RestResponse, status: number): void {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
}
