import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, appendFileSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Switchboard, MAX_BAK_COUNT } from '../../src/queue/switchboard.js';
import { derivedBase, newHop, skipWrite, withinHop } from '../../src/queue/hop.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mm-queue-'));
}

test('files come out in arrival order with their metadata and bytes intact', async () => {
  const dir = tmp();
  try {
    const sb = new Switchboard('in', dir);
    const bases = [];
    for (let i = 0; i < 5; i++)
      bases.push(
        await sb.enqueue(Buffer.from(`Subject: ${i}\r\n\r\nbody ${i}\r\n`), { listid: 'ant.example.com', n: i }),
      );
    assert.deepEqual(sb.files(), bases);
    const entry = await sb.dequeue(bases[0]);
    assert.equal(entry.msgdata.n, 0);
    assert.equal(entry.raw.toString(), 'Subject: 0\r\n\r\nbody 0\r\n');
    assert.deepEqual(sb.files(), bases.slice(1));
    await sb.finish(bases[0]);
    assert.ok(!readdirSync(sb.dir).some((f) => f.endsWith('.bak')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('slices partition a queue between instances without overlap', async () => {
  const dir = tmp();
  try {
    const writer = new Switchboard('out', dir);
    for (let i = 0; i < 64; i++) await writer.enqueue(Buffer.from(`x${i}`), {});
    const slices = [0, 1, 2, 3].map((s) => new Switchboard('out', dir, s, 4).files());
    assert.equal(slices.flat().length, 64);
    assert.equal(new Set(slices.flat()).size, 64);
    assert.ok(slices.every((s) => s.length > 0));
    assert.throws(() => new Switchboard('out', dir, 0, 3), /power of 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a claimed file is recovered at start, and shunted once it keeps crashing its runner', async () => {
  const dir = tmp();
  try {
    const sb = new Switchboard('in', dir);
    const shunt = new Switchboard('shunt', dir);
    await sb.enqueue(Buffer.from('Subject: x\r\n\r\nx'), { listid: 'a.b' });
    for (let crash = 1; crash < MAX_BAK_COUNT; crash++) {
      await sb.dequeue(sb.files()[0]); // claimed, then the runner dies
      assert.deepEqual(sb.files(), []);
      assert.deepEqual(await sb.recover(shunt), { requeued: 1, shunted: 0 });
    }
    const last = await sb.dequeue(sb.files()[0]);
    assert.equal(last.msgdata._bak_count, MAX_BAK_COUNT - 1);
    assert.deepEqual(await sb.recover(shunt), { requeued: 0, shunted: 1 });
    assert.deepEqual(sb.files(), []);
    const kept = await shunt.dequeue(shunt.files()[0]);
    assert.equal(kept.msgdata.whichq, 'in');
    assert.equal(kept.msgdata.listid, 'a.b');
    assert.equal(kept.raw.toString(), 'Subject: x\r\n\r\nx');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent enqueues to one queue share directory fsyncs and each is in place when its promise resolves', async () => {
  const dir = tmp();
  try {
    // Two switchboards on one directory (as two runners of one process write to `out`).
    const a = new Switchboard('out', dir);
    const b = new Switchboard('out', dir);
    const N = 60;
    const seenAtResolve: boolean[] = [];
    const writes = Array.from({ length: N }, (_, i) =>
      (i % 2 ? a : b)
        .enqueue(Buffer.from(`Subject: ${i}\r\n\r\nbody ${i}\r\n`), { listid: 'ant.example.com', n: i })
        .then((base) => {
          // Resolved: the file is under its final name, never still a .tmp.
          seenAtResolve[i] = readdirSync(a.dir).includes(`${base}.qmsg`);
          return base;
        }),
    );
    const bases = await Promise.all(writes);
    assert.equal(seenAtResolve.filter(Boolean).length, N);
    assert.deepEqual(a.files(), [...bases].sort());
    assert.ok(!readdirSync(a.dir).some((f) => f.endsWith('.tmp')));
    const ns = await Promise.all(bases.map(async (base) => (await a.dequeue(base)).msgdata.n as number));
    assert.deepEqual(
      ns,
      Array.from({ length: N }, (_, i) => i),
    );
    // A write that starts after the others have resolved still gets its own fsync.
    const late = await a.enqueue(Buffer.from('Subject: late\r\n\r\nx\r\n'), { listid: 'ant.example.com' });
    assert.deepEqual(a.files(), [late]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recovery puts a claimed file back with only the recipients not recorded as done, and drops the record', async () => {
  const dir = tmp();
  try {
    const sb = new Switchboard('out', dir);
    const shunt = new Switchboard('shunt', dir);
    const base = await sb.enqueue(Buffer.from('Subject: s\r\n\r\nb\r\n'), {
      listid: 'ant.example.com',
      recipients: ['a@x', 'b@x', 'c@x', 'd@x'],
    });
    await sb.dequeue(base);
    sb.recordDone(base, ['a@x']);
    sb.recordDone(base, ['c@x']);
    // A write cut short by the kill: no newline, so not a record.
    appendFileSync(join(sb.dir, base + '.done'), 'b@');
    assert.deepEqual(await sb.recover(shunt), { requeued: 1, shunted: 0 });
    assert.deepEqual(readdirSync(sb.dir), [base + '.qmsg']);
    assert.deepEqual((await sb.dequeue(base)).msgdata.recipients, ['b@x', 'd@x']);
    // Finished: no record outlives its message, even one left by a crash between the removals.
    sb.recordDone(base, ['b@x']);
    await sb.finish(base);
    assert.deepEqual(readdirSync(sb.dir), []);
    writeFileSync(join(sb.dir, base + '.done'), 'd@x\n');
    await sb.recover(shunt);
    assert.deepEqual(readdirSync(sb.dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recovery of a queue without recipients is untouched by progress records', async () => {
  const dir = tmp();
  try {
    const sb = new Switchboard('pipeline', dir);
    const base = await sb.enqueue(Buffer.from('x'), { listid: 'ant.example.com', n: 7 });
    await sb.dequeue(base);
    assert.deepEqual(await sb.recover(new Switchboard('shunt', dir)), { requeued: 1, shunted: 0 });
    const entry = await sb.dequeue(base);
    assert.equal(entry.msgdata.n, 7);
    assert.equal(entry.msgdata.recipients, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a hop's file waits while its upstream claim stands, whoever recovers first; it is written once, promoted once", async () => {
  const dir = tmp();
  try {
    const pipeline = new Switchboard('pipeline', dir);
    const out = new Switchboard('out', dir);
    const shunt = new Switchboard('shunt', dir);
    const raw = Buffer.from('Subject: s\r\n\r\nb\r\n');
    const upstream = await pipeline.enqueue(raw, { listid: 'ant.example.com' });
    const entry = await pipeline.dequeue(upstream);
    // The first pass writes the next queue's file, then the process dies before dropping its claim.
    const first = newHop('pipeline', upstream);
    const written = await withinHop(first, () => out.enqueue(entry.raw, { ...entry.msgdata, recipients: ['a@x'] }));
    assert.deepEqual(readdirSync(out.dir), [written + '.pend']);
    // The out runner recovers first: the claim upstream stands, so the file is not its to take.
    assert.deepEqual(await out.recover(shunt, { blame: false }), { requeued: 0, shunted: 0 });
    assert.deepEqual(readdirSync(out.dir), [written + '.pend']);
    // The pipeline runner recovers its claim and redoes the hop: same name, nothing written twice.
    assert.deepEqual(await pipeline.recover(shunt, { blame: false }), { requeued: 1, shunted: 0 });
    const again = await pipeline.dequeue(upstream);
    const second = newHop('pipeline', upstream);
    assert.equal(
      await withinHop(second, () => out.enqueue(again.raw, { ...again.msgdata, recipients: ['a@x'] })),
      written,
    );
    // A recovery starting beside it promotes the file in the instant the claim is gone: the
    // runner's own promotion then finds nothing to do, and does not fail.
    await pipeline.finish(upstream, { ...second, pending: [] });
    assert.deepEqual(await out.recover(shunt, { blame: false }), { requeued: 1, shunted: 0 });
    await pipeline.finish(upstream, second);
    assert.deepEqual(readdirSync(out.dir), [written + '.qmsg']);
    assert.deepEqual(readdirSync(pipeline.dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what is told before the commit is a complete file not yet queued; a kill there leaves it for commitTmp', async () => {
  const dir = tmp();
  try {
    const sb = new Switchboard('in', dir);
    const raw = Buffer.from('Subject: s\r\n\r\nb\r\n');
    let told = '';
    const base = await sb.enqueue(
      raw,
      { listid: 'ant.example.com' },
      {
        beforeCommit: (b) => {
          told = b;
          assert.deepEqual(readdirSync(sb.dir), [b + '.tmp'], 'synced, and not yet in the queue');
          assert.ok(readFileSync(join(sb.dir, b + '.tmp')).includes(raw));
        },
      },
    );
    assert.equal(told, base);
    assert.deepEqual(sb.files(), [base]);
    // Killed between the record and the rename (here: the record itself throws).
    await assert.rejects(
      sb.enqueue(
        raw,
        { listid: 'ant.example.com' },
        {
          beforeCommit: (b) => {
            told = b;
            throw new Error('killed');
          },
        },
      ),
    );
    assert.deepEqual(sb.files(), [base]);
    assert.equal(await sb.commitTmp(told), true);
    assert.deepEqual(sb.files(), [base, told].sort());
    assert.deepEqual((await sb.dequeue(told)).raw, raw);
    // Renamed already (and maybe handled since): nothing to do.
    assert.equal(await sb.commitTmp(told), false);
    // Recovery leaves a young .tmp alone: it may be such a file, waiting for its re-send.
    await sb
      .enqueue(
        raw,
        { listid: 'ant.example.com' },
        {
          beforeCommit: () => {
            throw new Error('killed');
          },
        },
      )
      .catch(() => undefined);
    await sb.recover(new Switchboard('shunt', dir), { blame: false });
    assert.equal(readdirSync(sb.dir).filter((f) => f.endsWith('.tmp')).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a re-run of a hop that skips a write to one queue names its writes to another as the first pass did', () => {
  // The first pass sent the list's digest (a write to `digest`) before the post's write to
  // `out`; the re-run after a crash finds the digest gone and writes only to `out`. Its `out`
  // file must get the first pass's name, or the post goes out twice.
  const first = newHop('pipeline', '01796616325654.000007+abc');
  derivedBase(first, 'digest');
  const firstOut = derivedBase(first, 'out');
  const again = newHop('pipeline', '01796616325654.000007+abc');
  assert.equal(derivedBase(again, 'out'), firstOut);
  // Two writes to the same queue keep their order and names.
  const twice = newHop('digest', '01796616325654.000009+def');
  const a = derivedBase(twice, 'virgin');
  assert.notEqual(derivedBase(twice, 'virgin'), a);
  const skipped = newHop('digest', '01796616325654.000009+def');
  skipWrite(skipped, 'virgin');
  assert.notEqual(derivedBase(skipped, 'virgin'), a, 'a skipped write keeps its place');
});

test('a file queued for later sorts behind what arrives meanwhile, and says when it is due', async () => {
  const dir = tmp();
  try {
    const sb = new Switchboard('archive', dir);
    const later = Date.now() + 60_000;
    const waiting = await sb.enqueue(Buffer.from('Subject: w\r\n\r\nw\r\n'), { listid: 'a' }, { notBefore: later });
    const fresh = await sb.enqueue(Buffer.from('Subject: f\r\n\r\nf\r\n'), { listid: 'a' });
    assert.deepEqual(sb.files(), [fresh, waiting]);
    assert.equal(Switchboard.dueAt(waiting), later);
    assert.ok(Switchboard.dueAt(fresh) <= Date.now());
    // A time already past is arrival order as usual.
    const past = await sb.enqueue(Buffer.from('Subject: p\r\n\r\np\r\n'), { listid: 'a' }, { notBefore: 1 });
    assert.deepEqual(sb.files(), [fresh, past, waiting]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
