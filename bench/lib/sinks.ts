// The SMTP sink the servers under test deliver to. The side-by-side sink is the shared
// bench's sink.py (Debian's python3): both servers then face the same sink, and it runs
// outside the server's process tree, so its CPU is never counted as the server's. When the
// shared bench is not there (a bare checkout), the in-process Node sink of the tests stands
// in; its CPU is then the driver's, still outside the server's tree.
import { spawn, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { SmtpSink } from '../../test/helpers/smtp-sink.js';

export interface Arrival {
  /** Epoch ms of the last copy of that Message-ID, and the recipients it went to so far. */
  last: number;
  recipients: number;
}

export interface BenchSink {
  readonly kind: string;
  readonly port: number;
  /** Recipient deliveries counted since the sink started. */
  recipients(): Promise<number>;
  /** Epoch ms of the last completed transaction. */
  lastAt(): Promise<number | null>;
  arrivals(): Promise<Map<string, Arrival>>;
  close(): Promise<void>;
}

export const PYTHON = '/usr/bin/python3';

/** ../shared/bench beside the checkout (or its worktree's parent), or $MAILMAN_SHARED_BENCH. */
export function sharedBenchDir(): string | undefined {
  const candidates = [
    process.env.MAILMAN_SHARED_BENCH,
    join(PACKAGE_ROOT, '..', 'shared', 'bench'),
    join(dirname(PACKAGE_ROOT), '..', 'shared', 'bench'),
  ];
  for (const c of candidates)
    if (c && existsSync(join(c, 'bench.py')) && existsSync(join(c, 'sink.py'))) return resolve(c);
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** sink.py's HTTP status interface, whoever started it. */
export class PySinkClient implements BenchSink {
  readonly kind = 'sink.py';
  constructor(
    readonly port: number,
    readonly httpPort: number,
  ) {}

  async status(): Promise<{ recipients: number; last_ts: number | null; pid: number }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/status`);
    return (await res.json()) as { recipients: number; last_ts: number | null; pid: number };
  }

  async recipients(): Promise<number> {
    return (await this.status()).recipients;
  }

  async lastAt(): Promise<number | null> {
    const t = (await this.status()).last_ts;
    return t === null ? null : t * 1000;
  }

  async arrivals(): Promise<Map<string, Arrival>> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/msgids`);
    const body = (await res.json()) as Record<string, [number, number, number]>;
    return new Map(Object.entries(body).map(([id, [, last, n]]) => [id, { last: last * 1000, recipients: n }]));
  }

  async close(): Promise<void> {}
}

/** A sink.py of our own, on free ports, stopped with close(). */
export class PySink extends PySinkClient {
  private constructor(
    port: number,
    httpPort: number,
    private readonly child: ChildProcess,
  ) {
    super(port, httpPort);
  }

  static async start(sinkPy: string): Promise<PySink> {
    const port = await freePort();
    const httpPort = await freePort();
    const child = spawn(
      PYTHON,
      [sinkPy, '--host', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort)],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const sink = new PySink(port, httpPort, child);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await sink.status();
        return sink;
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill();
          throw new Error(`sink.py did not start: ${(err as Error).message}`);
        }
        await sleep(100);
      }
    }
  }

  override async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await gone;
  }
}

/** The tests' Node sink, keeping only counts and per-Message-ID arrival times. */
export class NodeSink implements BenchSink {
  readonly kind = 'node smtp-server (in the driver)';
  private readonly seen = new Map<string, Arrival>();
  private count = 0;
  private last: number | null = null;

  private constructor(private readonly sink: SmtpSink) {}

  static async start(): Promise<NodeSink> {
    const smtp = await new SmtpSink().start();
    const sink = new NodeSink(smtp);
    // Keep memory flat over 200,000 deliveries: record, then drop the message.
    const received = smtp.received;
    received.push = (...items) => {
      const now = Date.now();
      for (const r of items) {
        sink.count += r.to.length;
        sink.last = now;
        const id = r.msg.messageId ?? '';
        const a = sink.seen.get(id);
        if (a) {
          a.last = now;
          a.recipients += r.to.length;
        } else sink.seen.set(id, { last: now, recipients: r.to.length });
      }
      return received.length;
    };
    return sink;
  }

  get port(): number {
    return this.sink.port;
  }
  async recipients(): Promise<number> {
    return this.count;
  }
  async lastAt(): Promise<number | null> {
    return this.last;
  }
  async arrivals(): Promise<Map<string, Arrival>> {
    return new Map(this.seen);
  }
  close(): Promise<void> {
    return this.sink.close();
  }
}
