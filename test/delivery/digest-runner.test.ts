// The digest runner in this process, on real queues: killed after writing its digests but
// before dropping its claim, it is started again and sends each digest once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeliveryWorld, post } from './support.js';
import { Config } from '../../src/config/config.js';
import { DigestRunner } from '../../src/runners/digest.js';
import { newHop, withinHop } from '../../src/queue/hop.js';
import { Message } from '../../src/email/message.js';
import { issueMailbox, sendDigestNow } from '../../src/services/digests.js';
import type { QueueItem } from '../../src/runners/runner.js';
import { runners } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';

test('a digest runner killed before dropping its claim sends each digest once when started again', async () => {
  const w = await DeliveryWorld.open();
  try {
    await w.subscribe('anne@example.org');
    await w.subscribe('bart@example.org', { delivery_mode: 'mime_digests' });
    await w.subscribe('cris@example.org', { delivery_mode: 'plaintext_digests' });
    await w.run('to-digest', w.ctx(post({ subject: 'one' })));
    await w.run('to-digest', w.ctx(post({ subject: 'two' })));
    const sent = await sendDigestNow(w.services, w.mlist, { force: true });
    assert.deepEqual([sent?.volume, sent?.digest_number], [1, 1]);

    const config = Config.load({ file: join(w.dir, 'mailman.conf'), runners });
    const env = { config, services: w.services };
    const digestQueue = w.services.queues.get('digest');
    const [base] = digestQueue.files();
    assert.ok(base, 'the trigger is queued');
    // The first pass: claimed and disposed of, then "killed" before the claim is dropped.
    const { raw, msgdata } = await digestQueue.dequeue(base);
    const item: QueueItem = { base, msg: new Message(raw), msgdata, mlist: w.mlist };
    const first = new DigestRunner(env, 0, 1);
    await withinHop(newHop('digest', base), () =>
      (first as unknown as { dispose(i: QueueItem): Promise<void> }).dispose(item),
    );
    const virginDir = w.services.queues.get('virgin').dir;
    assert.equal(readdirSync(virginDir).filter((n) => n.endsWith('.pend')).length, 2, 'both digests written');
    assert.equal(w.services.queues.get('virgin').files().length, 0, 'but not yet for the virgin runner');

    // Started again: the claim is recovered and handled, and nothing is written twice.
    const second = new DigestRunner(env, 0, 1);
    await second.start({ blame: false });
    const issue = issueMailbox(config, w.mlist.list_id, 1, 1);
    try {
      await waitFor(() => !existsSync(issue) && digestQueue.files().length === 0, 'the issue handled');
    } finally {
      await second.stop();
    }
    // The two digests are queued together; the queue's order between them is not theirs to keep.
    const queued = (await w.queued('virgin')).sort((a, b) =>
      String(a.msgdata.recipients).localeCompare(String(b.msgdata.recipients)),
    );
    assert.deepEqual(
      queued.map((q) => [q.msg.get('subject'), q.msgdata.recipients]),
      [
        ['Ant Digest, Vol 1, Issue 1', ['bart@example.org']],
        ['Ant Digest, Vol 1, Issue 1', ['cris@example.org']],
      ],
    );
    assert.match(String(queued[0].msg.get('content-type')), /^multipart\/mixed/);
    assert.match(String(queued[1].msg.get('content-type')), /^text\/plain/);
    assert.equal(existsSync(`${issue}.sent`), false);
  } finally {
    await w.close();
  }
});
