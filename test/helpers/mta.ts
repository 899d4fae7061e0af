// An MTA stand-in for the crash tests: it offers posts one after another to whatever LMTP port
// the server has now, and offers each again until the server acknowledges it, across kills
// and restarts, as Postfix does.
import type { TestServer } from './server.js';
import { makePost, LmtpSession } from './lmtp-client.js';

/** An MTA's pause before it offers a post again: short, since the tests kill often. */
const RETRY_MS = 100;
/** A connection to a process that was killed may never answer: an MTA gives up on it. */
const TRANSACTION_TIMEOUT_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class Mta {
  acknowledged = 0;
  /** The post being offered and not yet acknowledged, if any. */
  offering: string | undefined;
  private stopped = false;
  /** Resolves once every post was acknowledged (or stop() was called). */
  done: Promise<void>;
  /** Every post acknowledged, or stopped. */
  finished = false;

  /** Posts `ids` (Message-IDs) from `from` to `list`. */
  constructor(server: TestServer, ids: string[], list: string, from: string) {
    this.done = this.offerAll(server, ids, list, from).finally(() => {
      this.finished = true;
    });
  }

  private async offerAll(server: TestServer, ids: string[], list: string, from: string): Promise<void> {
    let session: LmtpSession | undefined;
    for (const id of ids) {
      this.offering = id;
      for (;;) {
        if (this.stopped) return;
        try {
          // A restarted LMTP runner binds a new ephemeral port in tests: read where it is now.
          const port = server.readRun('lmtp')?.port;
          if (!port) throw new Error('LMTP is not up');
          session ??= await LmtpSession.open(port);
          const post = makePost({ from, to: list, subject: `kill ${id}`, messageId: id });
          const res = await withTimeout(session.send(from, [list], post), TRANSACTION_TIMEOUT_MS);
          if (res.accepted.length === 1) break;
        } catch {
          /* the server is down or went down mid-transaction: offer it again */
        }
        try {
          session?.close();
        } catch {
          /* already closed */
        }
        session = undefined;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
      this.offering = undefined;
      this.acknowledged++;
    }
    session?.close();
  }

  stop(): void {
    this.stopped = true;
  }
}
