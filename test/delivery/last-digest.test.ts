// "One last digest" in the services: a switch of the effective delivery_mode from a digest to
// regular, on whichever layer of the preference cascade it is made, owes the member the next
// issue in the digest they left; other switches owe nothing; the digest runner sends the
// issue to them and clears only what it used. Also: migration 0012's down() removes the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DeliveryWorld, post } from './support.js';
import { Config } from '../../src/config/config.js';
import { DigestRunner } from '../../src/runners/digest.js';
import { sendDigestNow } from '../../src/services/digests.js';
import { runners } from '../helpers/registry.js';
import { waitFor } from '../helpers/wait.js';
import { OneLastDigest1765200000000 } from '../../src/model/migrations/0012-one-last-digest.js';

test('a switch off digests on any layer owes one last digest, sent with the next issue and then cleared', async () => {
  const w = await DeliveryWorld.open();
  try {
    const s = w.services;
    const sub = async (email: string) => {
      const view = await s.members.subscribe(w.mlist, email);
      return { ...view, user: (await s.users.userOfAddress(email))! };
    };
    const anne = await sub('anne@example.org');
    const bart = await sub('bart@example.org');
    const cris = await sub('cris@example.org');
    const dave = await sub('dave@example.org');
    const erin = await sub('erin@example.org');
    // Anne's member row, Bart's address and Cris's user say digests; Dave and Erin's members too.
    await s.members.update(anne.member, { delivery_mode: 'mime_digests' });
    await s.preferences.update({ address: bart.address }, { delivery_mode: 'plaintext_digests' });
    await s.preferences.update({ user: cris.user }, { delivery_mode: 'summary_digests' });
    await s.preferences.update({ member: dave.member }, { delivery_mode: 'mime_digests' });
    assert.deepEqual(await s.lastDigests.pending(w.mlist.list_id), [], 'joining digests owes nothing');

    await w.run('to-digest', w.ctx(post({ subject: 'before the switches' })));
    await s.members.update(anne.member, { delivery_mode: 'regular' });
    await s.preferences.update({ address: bart.address }, { delivery_mode: 'regular' });
    // Cris's user layer is cleared: the system's default, regular, decides.
    await s.preferences.clear({ user: cris.user });
    // One digest for another: still a digest member, nothing owed.
    await s.preferences.update({ member: dave.member }, { delivery_mode: 'plaintext_digests' });
    // The user layer says digests, but Erin's member row says regular and wins: no switch.
    await s.preferences.update({ member: erin.member }, { delivery_mode: 'regular' });
    await s.preferences.update({ user: erin.user }, { delivery_mode: 'mime_digests' });
    await s.preferences.update({ user: erin.user }, { delivery_mode: 'regular' });
    const owed = await s.lastDigests.pending(w.mlist.list_id);
    assert.deepEqual(
      owed.map((o) => [o.email, o.delivery_mode]),
      [
        ['anne@example.org', 'mime_digests'],
        ['bart@example.org', 'plaintext_digests'],
        ['cris@example.org', 'summary_digests'],
      ],
    );

    const sent = await sendDigestNow(s, w.mlist, { force: true });
    assert.ok(sent);
    const config = Config.load({ file: join(w.dir, 'mailman.conf'), runners });
    const runner = new DigestRunner({ config, services: s }, 0, 1);
    await runner.start({ blame: false });
    try {
      await waitFor(() => s.queues.get('digest').files().length === 0, 'the issue sent');
    } finally {
      await runner.stop();
    }
    const queued = (await w.queued('virgin')).map((q) => [
      String(q.msg.get('content-type')).split(';')[0],
      [...(q.msgdata.recipients as string[])].sort(),
    ]);
    assert.deepEqual(
      queued.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['multipart/mixed', ['anne@example.org', 'cris@example.org']],
        ['text/plain', ['bart@example.org', 'dave@example.org']],
      ],
    );
    assert.deepEqual(await s.lastDigests.pending(w.mlist.list_id), [], 'cleared once sent');

    // 0012's down() takes the table away again.
    const q = s.db.createQueryRunner();
    try {
      await new OneLastDigest1765200000000().down(q);
      assert.equal(await q.hasTable('onelastdigest'), false);
    } finally {
      await q.release();
    }
  } finally {
    await w.close();
  }
});
