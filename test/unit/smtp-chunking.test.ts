// BDAT (RFC 3030): to a server offering CHUNKING and PIPELINING our client sends each
// transaction in one write, envelope and counted message together. What the MTA stores must
// be what DATA would have given it, and refusals must come out as they do with DATA: per
// recipient at RCPT, for all at MAIL, and the connection's next transaction unharmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Config } from '../../src/config/config.js';
import { SmtpDelivery } from '../../src/mta/smtp-delivery.js';
import { chunkFormat } from '../../src/mta/smtp-client.js';
import { LeanSink, type LeanSinkOptions } from '../helpers/lean-sink.js';

const delivery = (port: number) =>
  new SmtpDelivery(
    Config.load({
      overrides: { mta: { smtp_host: '127.0.0.1', smtp_port: String(port), max_delivery_threads: '1' } },
    }),
  );

/** Runs `f` against a sink with these options, then closes both. */
async function withSink<T>(opts: LeanSinkOptions, f: (out: SmtpDelivery, sink: LeanSink) => Promise<T>): Promise<T> {
  const sink = await new LeanSink({ keep: true, ...opts }).start();
  const out = delivery(sink.port);
  try {
    return await f(out, sink);
  } finally {
    out.close();
    await sink.close();
  }
}

// Leading dots (escaped by DATA, never by BDAT), bare LF and CR, 8-bit bytes, no final newline.
const AWKWARD = [
  Buffer.from('Subject: dots\r\n\r\n.\r\n..two\r\n.three\n', 'latin1'),
  Buffer.from('Subject: caf\xc3\xa9\nContent-Transfer-Encoding: 8bit\n\nCaf\xc3\xa9\rline\n.', 'latin1'),
  Buffer.from('Subject: empty body\r\n\r\n'),
];

test('a message sent with BDAT is stored as DATA would have stored it', async () => {
  const stored = async (chunking: boolean) =>
    withSink({ chunking }, async (out, sink) => {
      for (const raw of AWKWARD) await out.deliver(raw, 'ant-bounces@example.com', ['a@example.org']);
      return sink.messages;
    });
  const viaData = await stored(false);
  const viaBdat = await stored(true);
  assert.deepEqual(
    viaData.map((m) => m.via),
    ['DATA', 'DATA', 'DATA'],
  );
  assert.deepEqual(
    viaBdat.map((m) => m.via),
    ['BDAT', 'BDAT', 'BDAT'],
  );
  for (let i = 0; i < AWKWARD.length; i++) {
    assert.equal(viaBdat[i].raw.toString('latin1'), viaData[i].raw.toString('latin1'), `message ${i}`);
    assert.equal(viaBdat[i].raw.toString('latin1'), chunkFormat(AWKWARD[i]).toString('latin1'));
  }
  assert.equal(chunkFormat(Buffer.alloc(0)).length, 0);
});

test('with BDAT, RCPT refusals are per recipient and a refused transaction leaves the connection usable', async () => {
  const reply = (a: string) =>
    a.startsWith('gone') ? '550 5.1.1 no such user' : a.startsWith('full') ? '452 4.2.2 mailbox full' : undefined;
  await withSink({ rcptReply: reply }, async (out, sink) => {
    const raw = Buffer.from('Subject: hi\r\n\r\nHello.\r\n');
    // Several recipients in one transaction: some refused, the message goes to the rest.
    const mixed = await out.deliver(raw, 'ant-bounces@example.com', [
      'anne@example.org',
      'gone@example.org',
      'full@example.org',
    ]);
    assert.deepEqual(mixed.delivered, ['anne@example.org']);
    assert.deepEqual(
      mixed.permanent.map((p) => [p.recipient, p.code]),
      [['gone@example.org', 550]],
    );
    assert.deepEqual(
      mixed.temporary.map((p) => [p.recipient, p.code]),
      [['full@example.org', 452]],
    );
    // One transaction per copy on one connection: the refused ones in between harm none after them.
    const each = await out.deliverEach(
      ['bart@example.org', 'gone2@example.org', 'cris@example.org', 'full2@example.org', 'dora@example.org'].map(
        (recipient) => ({ recipient, raw, from: `ant-bounces+${recipient.replace('@', '=')}@example.com` }),
      ),
      'ant-bounces@example.com',
    );
    assert.deepEqual(each.delivered, ['bart@example.org', 'cris@example.org', 'dora@example.org']);
    assert.deepEqual(
      each.permanent.map((p) => p.recipient),
      ['gone2@example.org'],
    );
    assert.deepEqual(
      each.temporary.map((p) => p.recipient),
      ['full2@example.org'],
    );
    assert.deepEqual(
      sink.messages.map((m) => [m.via, m.from, m.to.join()]),
      [
        ['BDAT', 'ant-bounces@example.com', 'anne@example.org'],
        ['BDAT', 'ant-bounces+bart=example.org@example.com', 'bart@example.org'],
        ['BDAT', 'ant-bounces+cris=example.org@example.com', 'cris@example.org'],
        ['BDAT', 'ant-bounces+dora=example.org@example.com', 'dora@example.org'],
      ],
    );
  });
});
