// The barrier post: how a test proves that nothing more will arrive. "Exactly one copy" and
// "nothing was sent" are only true once the server has finished with everything it was given;
// a pause cannot show that, a fact can. A member's post is sent through the same runners and
// queues as the mail under test, and the test waits until (1) the sink has it and (2) no queue
// that a runner works holds a message. Whatever was given to the server before the barrier,
// its copies, notices and retries included, has then been delivered or dropped.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from './server.js';
import type { SmtpSink } from './smtp-sink.js';
import { makePost, sendLmtp } from './lmtp-client.js';
import { waitFor } from './wait.js';

/** A list of its own, so a barrier changes no list, member or count a test looks at. */
const LIST = 'barrier@barrier.example';
const POSTER = 'poster@barrier.example';
const WATCHER = 'watcher@barrier.example';
/**
 * A queue file of a message not yet handled, or being handled, or written by a hop not yet
 * finished, or the out runner's progress sidecar, which it removes last when it is done.
 */
const WORK = /\.(qmsg|bak|pend|done)$/;

const lists = new WeakMap<TestServer, Promise<void>>();
let sequence = 0;

/**
 * Messages waiting in, or claimed from, a queue that one of the server's runners works (`in`,
 * `pipeline`, `out`, `archive`...), as `queue/file`. Queues nobody works (`shunt`, `bad`)
 * keep what they get and are left out.
 */
export function queuedWork(server: TestServer): string[] {
  let worked: Set<string>;
  try {
    worked = new Set(server.status().runners.map((r) => r.name));
  } catch {
    return ['(master.json is being written)'];
  }
  const root = join(server.varDir, 'queue');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((queue) => worked.has(queue))
    .flatMap((queue) =>
      readdirSync(join(root, queue))
        .filter((f) => WORK.test(f))
        .map((f) => `${queue}/${f}`),
    );
}

/** Waits until no runner has a message to handle (see queuedWork()). */
export function queuesIdle(server: TestServer, timeoutMs = 30_000): Promise<void> {
  return waitFor(() => queuedWork(server).length === 0, 'the runners to finish every queued message', timeoutMs);
}

/**
 * Sends a barrier post and waits for it at the sink and for the queues to empty; returns its
 * Message-ID, for tests that look at everything the sink got. The barrier list is created on
 * the server's first barrier.
 */
export async function barrierPost(server: TestServer, sink: SmtpSink, timeoutMs = 30_000): Promise<string> {
  let created = lists.get(server);
  if (!created) lists.set(server, (created = server.createList(LIST, [POSTER, WATCHER])));
  await created;
  const messageId = `<barrier-${process.pid}-${++sequence}@barrier.example>`;
  const post = makePost({ from: POSTER, to: LIST, subject: 'barrier', messageId });
  const res = await sendLmtp(server.lmtpPort, POSTER, [LIST], post);
  if (!res.accepted.includes(LIST)) throw new Error(`the barrier post was refused: ${JSON.stringify(res.responses)}`);
  const arrived = () => sink.copiesFor(WATCHER, (r) => r.msg.messageId === messageId).length > 0;
  await sink.waitFor(arrived, timeoutMs, `the barrier post ${messageId}`);
  await queuesIdle(server, timeoutMs);
  return messageId;
}
