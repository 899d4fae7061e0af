// Explain runs in one worker thread (src/rest/explain-worker.ts), started on first use and
// kept. A request that runs out of time stops the thread, which ends the run and gives its
// memory back; the next request starts a new one.
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import { RestError, badRequest, notFound } from './errors.js';
import { logger } from '../logging.js';
import type { ExplainJob, ExplainReply } from './explain-worker.js';

export interface ExplainLimits {
  /** Wall time one explanation may take, start of a new thread not counted. */
  timeoutMs: number;
  /** The thread's JS heap. */
  heapMb: number;
}

/** How long a new thread may take to open the database and compile the catalog. */
const START_TIMEOUT_MS = 60_000;

interface Pending {
  resolve(trace: unknown): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class ExplainPool {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly config: Config,
    private readonly limits: ExplainLimits,
  ) {}

  async explain(job: Omit<ExplainJob, 'id'>): Promise<unknown> {
    const worker = this.start();
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      entry.timer = setTimeout(() => {
        // Only stopping the thread ends a run; every run in it fails with this one.
        this.stop(new RestError(503, `the explanation took longer than ${this.limits.timeoutMs} ms and was stopped`));
      }, this.limits.timeoutMs);
      this.pending.set(id, entry);
      worker.postMessage({ ...job, id });
    });
  }

  close(): void {
    this.stop(new RestError(503, 'the REST server is stopping'));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./explain-worker.js', import.meta.url), {
      workerData: { configFile: this.config.file, cwd: process.cwd() },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb },
    });
    // An idle thread must not keep a stopping process alive.
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RestError(503, 'the explain worker did not start in time')),
        START_TIMEOUT_MS,
      );
      worker.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        reject(new RestError(503, 'the explain worker stopped while starting'));
      });
    });
    this.ready.catch(() => this.stop(new RestError(503, 'the explain worker could not start')));
    worker.on('message', (m: ExplainReply | { ready: true }) => {
      if (!('id' in m)) return;
      const entry = this.pending.get(m.id);
      if (!entry) return;
      this.pending.delete(m.id);
      clearTimeout(entry.timer);
      if ('trace' in m) return entry.resolve(m.trace);
      if (m.refused === 'bad') return entry.reject(badRequest(m.message));
      if (m.refused === 'missing') return entry.reject(notFound(m.message));
      logger('http').error({ err: m.message }, 'explain failed');
      entry.reject(new Error('explain failed'));
    });
    // Out of heap, or a crash: whatever was running there is told, and the next call starts anew.
    worker.on('error', (err) => {
      logger('http').error({ err }, 'the explain worker failed');
      this.stop(
        new RestError(413, `the message could not be explained within the worker's limits: ${err.message}`),
        worker,
      );
    });
    worker.on('exit', () => this.stop(new RestError(503, 'the explain worker stopped'), worker));
    return worker;
  }

  private stop(reason: Error, which: Worker | undefined = this.worker): void {
    if (!which || which !== this.worker) return;
    this.worker = undefined;
    this.ready = undefined;
    void which.terminate();
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(reason);
      this.pending.delete(id);
    }
  }
}
