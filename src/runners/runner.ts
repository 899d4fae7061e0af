// The base queue runner, which owns the loop every runner shares: take the oldest file of
// its slice, claim it, dispose of it, and drop the claim only once the message is safely
// elsewhere. Any exception sends the message to `shunt` with the queue it came from; a
// runner killed mid-message leaves a .bak that recover() puts back at the next start.
import type { FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { Switchboard } from '../queue/switchboard.js';
import { newHop, withinHop } from '../queue/hop.js';
import type { MsgData } from '../queue/qfile.js';
import type { Services } from '../services/services.js';
import type { Config } from '../config/config.js';
import type { Registry } from '../registry.js';
import type { MailingList } from '../model/entities.js';
import { Message } from '../email/message.js';
import { logger } from '../logging.js';

/** Past this many bytes of messages in hand, a runner takes no more until one is done. */
const IN_FLIGHT_BYTES = 32 << 20;

export interface RunnerEnv {
  config: Config;
  services: Services;
  /** The process's components, where a runner hands some to what it runs (the archivers). */
  registry?: Registry;
}

/**
 * What dispose() asks of the loop: done with it, or put it back (with new metadata), either
 * pausing the whole slice (`pauseMs`: the way out is down for every message) or leaving this
 * one alone until `notBefore` (epoch ms) while the rest go on.
 */
export type Disposition = void | { requeue: MsgData; pauseMs?: number; notBefore?: number };

export interface QueueItem {
  base: string;
  msg: Message;
  msgdata: MsgData;
  mlist: MailingList;
}

export abstract class QueueRunner {
  readonly switchboard: Switchboard;
  protected readonly shunt: Switchboard;
  protected readonly log: Logger;
  private stopping = false;
  private wake: (() => void) | undefined;
  private arrived = false;
  private watcher: FSWatcher | undefined;
  private pausedUntil = 0;
  private loopDone: Promise<void> | undefined;
  /** Retry waits out its interval even when files arrive; others wake at once. */
  protected wakeOnArrival = true;

  constructor(
    protected readonly env: RunnerEnv,
    readonly queueName: string,
    slice: number,
    count: number,
  ) {
    this.switchboard = new Switchboard(queueName, env.config.queueDir, slice, count);
    this.shunt = new Switchboard('shunt', env.config.queueDir);
    this.log = logger('runner').child({ runner: `${queueName}:${slice}:${count}` });
  }

  protected abstract dispose(item: QueueItem): Promise<Disposition>;

  /**
   * After a message was disposed of and its claim dropped (what it wrote is in the next
   * queues): clean-up that must not happen while a crash could still make the hop run again.
   */
  protected async finished(_item: QueueItem): Promise<void> {}

  get sleepMs(): number {
    return this.env.config.durationMs(`runner.${this.queueName}`, 'sleep_time');
  }

  /**
   * `blame`: the process this runner last lived in crashed, so a message it left claimed may
   * be why, and counts one more strike towards shunt. A process killed from outside (SIGKILL,
   * a whole-server crash, a restart) blames nothing: its messages go back as they were.
   */
  async start(opts: { blame?: boolean } = {}): Promise<void> {
    const { requeued, shunted } = await this.switchboard.recover(this.shunt, { blame: opts.blame ?? true });
    if (requeued || shunted) this.log.warn({ requeued, shunted }, 'recovered claimed messages from a previous run');
    if (this.wakeOnArrival) {
      this.watcher = this.switchboard.watch(() => {
        this.arrived = true;
        this.wake?.();
      });
    }
    this.loopDone = this.loop();
  }

  /** Settles when the loop ends: resolves after stop(), rejects if the loop itself failed. */
  get done(): Promise<void> | undefined {
    return this.loopDone;
  }

  /** Finishes the message in hand, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.watcher?.close();
    this.wake?.();
    await this.loopDone?.catch(() => undefined);
  }

  /**
   * Up to `[runner.NAME] concurrency` messages at once, and no more than IN_FLIGHT_BYTES of
   * them unless it is one alone: each hop's wait on its disk (two fsyncs) overlaps the others',
   * and the switchboard folds their directory syncs into one (group commit).
   */
  private async loop(): Promise<void> {
    const limit = Math.min(64, Math.max(1, this.env.config.int(`runner.${this.queueName}`, 'concurrency')));
    const inFlight = new Map<string, { done: Promise<void>; bytes: number }>();
    let bytes = 0;
    let failure: { err: unknown } | undefined;
    const full = (next: number) => inFlight.size >= limit || (inFlight.size > 0 && bytes + next > IN_FLIGHT_BYTES);
    while (!this.stopping && !failure) {
      const pause = this.pausedUntil - Date.now();
      if (pause > 0) {
        await this.sleep(pause, false);
        continue;
      }
      this.arrived = false;
      let found = 0;
      let nextDue = Infinity;
      for (const base of this.switchboard.files()) {
        if (this.stopping || failure || this.pausedUntil > Date.now()) break;
        // Names sort by the time they are due: from the first one not due yet, none is.
        const due = Switchboard.dueAt(base);
        if (due > Date.now()) {
          nextDue = due;
          break;
        }
        if (inFlight.has(base)) continue;
        const size = limit > 1 ? this.switchboard.size(base) : 0;
        if (size < 0) continue; // taken meanwhile
        found++;
        while (full(size)) await Promise.race([...inFlight.values()].map((f) => f.done));
        if (this.stopping || failure || this.pausedUntil > Date.now()) break;
        bytes += size;
        const done = this.processOne(base, limit > 1 ? size : Infinity)
          .catch((err: unknown) => {
            failure ??= { err };
          })
          .finally(() => {
            inFlight.delete(base);
            bytes -= size;
          });
        inFlight.set(base, { done, bytes: size });
      }
      const nap = Math.max(1, Math.min(this.sleepMs, nextDue - Date.now()));
      if (!found && !this.arrived) await this.sleep(nap, this.wakeOnArrival);
      else if (!this.wakeOnArrival) await this.sleep(nap, false);
    }
    await Promise.all([...inFlight.values()].map((f) => f.done));
    if (failure) throw failure.err;
  }

  private sleep(ms: number, wakeOnArrival: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (this.stopping || wakeOnArrival) done();
      };
    });
  }

  /** `size`: the file's size when the loop looked, so a small one is read in one call. */
  private async processOne(base: string, size: number): Promise<void> {
    let raw: Buffer;
    let msgdata: MsgData;
    try {
      ({ raw, msgdata } = await this.switchboard.dequeue(base, size));
    } catch (err) {
      // Another slice instance or a vanished file: nothing of ours to lose.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log.error({ err, base }, 'cannot read queue file; leaving it claimed for recovery');
      return;
    }
    const hop = newHop(this.queueName, base);
    let disposed: QueueItem | undefined;
    try {
      const mlist = msgdata.listid ? await this.env.services.lists.get(msgdata.listid) : null;
      if (!mlist) throw new Error(`no such list: ${msgdata.listid ?? '(none given)'}`);
      const item = { base, msg: new Message(raw), msgdata, mlist };
      const result = await withinHop(hop, () => this.dispose(item));
      disposed = result && 'requeue' in result ? undefined : item;
      if (result && 'requeue' in result) {
        await this.switchboard.enqueue(raw, result.requeue, { notBefore: result.notBefore });
        if (result.pauseMs) this.pausedUntil = Date.now() + result.pauseMs;
      }
    } catch (err) {
      this.log.error({ err, base, listid: msgdata.listid }, 'message processing failed; shunting it');
      await this.shunt.enqueue(raw, { ...msgdata, whichq: this.queueName, shunt_reason: (err as Error).message });
    }
    await this.switchboard.finish(base, hop);
    if (disposed) await this.finished(disposed).catch((err) => this.log.error({ err, base }, 'clean-up failed'));
  }
}
