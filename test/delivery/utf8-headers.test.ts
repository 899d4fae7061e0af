// Every header the list rewrites, fed raw UTF-8 (as Postfix passes SMTPUTF8 mail), RFC 2047
// words and raw 8-bit Latin-1: the text survives, goes out as 7-bit RFC 2047 that any
// reader (libmime here, not our own decoder) decodes to the same text, and the headers a
// handler does not rewrite leave byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import libmime from 'libmime';
import { DeliveryWorld } from './support.js';
import { Message } from '../../src/email/message.js';
import { type MessageContext } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import { decorate, decorationTexts } from '../../src/delivery/decorate.js';
import { sendRejection } from '../../src/services/notices.js';
import { plainText } from '../helpers/mime-text.js';

type Form = [label: string, encode: (text: string) => Buffer];
const FORMS: Form[] = [
  ['raw UTF-8', (t) => Buffer.from(t, 'utf8')],
  ['RFC 2047', (t) => Buffer.from(libmime.encodeWords(t, 'Q', 30))],
  ['8-bit Latin-1', (t) => Buffer.from(t, 'latin1')],
];

let w: DeliveryWorld;
before(async () => {
  w = await DeliveryWorld.open();
  await w.configure({ display_name: 'Team', subject_prefix: '[Team] ' });
});
after(async () => w?.close());

/** A post whose header lines are given as bytes (strings are UTF-8). */
function ctx(
  headers: (string | Buffer)[],
  msgdata: Record<string, unknown> = {},
  body: Buffer | string = 'Hello.\r\n',
): MessageContext {
  const base = [
    'To: ant@example.com',
    'Message-ID: <utf8@example.org>',
    'Date: Wed, 25 Nov 2026 12:00:00 +0000',
    Buffer.from('X-Untouched: Grüße, raw', 'latin1'),
  ];
  const lines = [...headers, ...base].map((h) =>
    Buffer.concat([Buffer.isBuffer(h) ? h : Buffer.from(h), Buffer.from('\r\n')]),
  );
  const raw = Buffer.concat([...lines, Buffer.from('\r\n'), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  return { ...w.ctx('', msgdata), msg: new Message(raw) };
}
const line = (name: string, value: Buffer) => Buffer.concat([Buffer.from(`${name}: `), value]);

/** The header's wire line(s), unfolded: 7-bit, and what an independent RFC 2047 decoder reads. */
function wire(msg: Message, name: string): string {
  const lines = msg.rawLines(name);
  assert.equal(lines.length, 1, `one ${name}`);
  assert.match(lines[0], /^[\x20-\x7e\r\n\t]+$/, `${name} is 7-bit: ${lines[0]}`);
  return libmime.decodeWords(lines[0].slice(lines[0].indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '')).trim();
}

/** The headers other than `changed` are the ones that came in, byte for byte. */
function othersUnchanged(before: Message, after: Message, changed: string[]): void {
  for (const name of new Set(before.names())) {
    if (!changed.includes(name)) assert.deepEqual(after.rawLines(name), before.rawLines(name), name);
  }
}

async function run(name: string, c: MessageContext): Promise<MessageContext> {
  const original = new Message(c.msg.toBuffer());
  await w.run(name, c);
  c.msgdata.__before = original as unknown as never;
  return c;
}
const beforeOf = (c: MessageContext) => c.msgdata.__before as unknown as Message;

for (const [form, enc] of FORMS) {
  test(`subject-prefix on a ${form} subject: prefix once, one Re:, a UTF-8 prefix`, async () => {
    await w.configure({ subject_prefix: '[Team] ' });
    const plain = await run('subject-prefix', ctx([line('Subject', enc('Grüße aus Köln'))]));
    assert.equal(wire(plain.msg, 'subject'), '[Team] Grüße aus Köln');
    assert.equal(plain.msg.get('subject'), '[Team] Grüße aus Köln');
    assert.equal(plain.msgdata.original_subject, 'Grüße aus Köln');
    othersUnchanged(beforeOf(plain), plain.msg, ['subject']);

    const reply = await run('subject-prefix', ctx([line('Subject', enc('Re: [Team] AW: Grüße aus Köln'))]));
    assert.equal(wire(reply.msg, 'subject'), '[Team] Re: Grüße aus Köln');

    await w.configure({ subject_prefix: '[Köln-Team] ' });
    const again = await run('subject-prefix', ctx([line('Subject', enc('Re: [Köln-Team] Grüße'))]));
    assert.equal(wire(again.msg, 'subject'), '[Köln-Team] Re: Grüße');
    await w.configure({ subject_prefix: '[Team] ' });
  });

  test(`dmarc munge_from on a ${form} From: "Jürgen via Team", the author in Reply-To`, async () => {
    await w.configure({ dmarc_mitigate_action: 'munge_from', reply_goes_to_list: 'no_munging' });
    try {
      const c = await run(
        'dmarc',
        ctx([line('From', enc('Jürgen Müller <j@strict.example>')), line('Subject', enc('Grüße aus Köln'))], {
          dmarc: true,
        }),
      );
      assert.equal(wire(c.msg, 'from'), 'Jürgen Müller via Team <ant@example.com>');
      assert.deepEqual(c.msg.addresses('from'), [{ name: 'Jürgen Müller via Team', email: 'ant@example.com' }]);
      assert.deepEqual(c.msg.addresses('reply-to'), [{ name: 'Jürgen Müller', email: 'j@strict.example' }]);
      assert.equal(wire(c.msg, 'reply-to'), 'Jürgen Müller <j@strict.example>');
      othersUnchanged(beforeOf(c), c.msg, ['from', 'reply-to']);
      // The Subject was not rewritten, so it is still exactly the bytes that came in.
      assert.deepEqual(c.msg.rawLines('subject'), [line('Subject', enc('Grüße aus Köln')).toString('latin1')]);
    } finally {
      await w.configure({ dmarc_mitigate_action: 'no_mitigation' });
    }
  });

  test(`cook-headers Reply-To and Cc munging with a ${form} name and a UTF-8 list description`, async () => {
    await w.configure({ reply_goes_to_list: 'point_to_list', description: 'Grüße-Liste für Köln' });
    try {
      const c = await run(
        'cook-headers',
        ctx([line('From', enc('Jürgen <j@example.de>')), line('Reply-To', enc('Zoë Bär <zoe@example.net>'))]),
      );
      assert.deepEqual(c.msg.addresses('reply-to'), [
        { name: 'Zoë Bär', email: 'zoe@example.net' },
        { name: 'Grüße-Liste für Köln', email: 'ant@example.com' },
      ]);
      assert.equal(wire(c.msg, 'reply-to'), 'Zoë Bär <zoe@example.net>, Grüße-Liste für Köln <ant@example.com>');
      othersUnchanged(beforeOf(c), c.msg, ['reply-to', 'x-mailman-version', 'precedence']);

      await w.configure({ reply_goes_to_list: 'no_munging', personalize: 'full' });
      const cc = await run(
        'cook-headers',
        ctx([line('From', enc('Jürgen <j@example.de>')), line('Cc', enc('Zoë Bär <zoe@example.net>'))]),
      );
      assert.equal(wire(cc.msg, 'cc'), 'Zoë Bär <zoe@example.net>, Grüße-Liste für Köln <ant@example.com>');
      // Reply-To is left alone when the munging changes nothing: not even re-encoded.
      const kept = await run('cook-headers', ctx([line('Reply-To', enc('Zoë Bär <zoe@example.net>'))]));
      assert.deepEqual(kept.msg.rawLines('reply-to'), [
        line('Reply-To', enc('Zoë Bär <zoe@example.net>')).toString('latin1'),
      ]);
    } finally {
      await w.configure({ reply_goes_to_list: 'no_munging', personalize: 'none', description: '' });
    }
  });

  test(`hold notices and the held record quote a ${form} subject as text`, async () => {
    const sender = `stranger-${FORMS.findIndex((f) => f[0] === form)}@example.net`;
    const c = ctx([line('From', enc(`Zoë <${sender}>`)), line('Subject', enc('Grüße aus Köln'))], {
      rule_hits: ['nonmember-moderation'],
      moderation_reasons: ['The message is not from a list member'],
    });
    await registry.effects.get('hold-message')!.run(c, {});
    const held = (await w.services.requests.heldMessages(w.mlist.list_id)).find((h) => h.data._mod_sender === sender)!;
    assert.equal(held.data._mod_subject, 'Grüße aus Köln');
    const notices = (await w.queued('virgin')).filter(
      (n) => JSON.stringify(n.msgdata.recipients).includes(sender) || n.msg.get('subject')!.includes(sender),
    );
    const poster = notices.find((n) => n.msg.get('to') === sender)!;
    assert.match(plainText(poster.msg.toBuffer()), /\n {4}Grüße aus Köln\n/);
    const moderators = notices.find((n) => n.msg.get('to') === 'ant-owner@example.com')!;
    assert.match(plainText(moderators.msg.toBuffer()), /\n {4}Subject: Grüße aus Köln\n/);
  });

  test(`a rejection notice carries a ${form} subject as its own Subject`, async () => {
    const c = ctx([line('From', enc('Zoë <reject@example.net>')), line('Subject', enc('Grüße aus Köln'))]);
    await sendRejection(w.services, w.mlist, c.msg, ['No.']);
    const [notice] = (await w.queued('virgin')).filter((n) => n.msg.get('to') === 'reject@example.net');
    assert.equal(wire(notice.msg, 'subject'), 'Grüße aus Köln');
  });
}

test('rfc-2369: a UTF-8 list description in List-Id is an encoded phrase', async () => {
  await w.configure({ description: 'Grüße "aus" Köln' });
  try {
    const c = await run('rfc-2369', ctx([line('Subject', FORMS[0][1]('Grüße aus Köln'))]));
    assert.equal(wire(c.msg, 'list-id'), 'Grüße "aus" Köln <ant.example.com>');
    assert.equal(wire(c.msg, 'list-post'), '<mailto:ant@example.com>');
    othersUnchanged(beforeOf(c), c.msg, [
      'list-id',
      'list-help',
      'list-owner',
      'list-unsubscribe',
      'list-subscribe',
      'list-post',
    ]);
  } finally {
    await w.configure({ description: '' });
  }
});

for (const [form, enc] of FORMS) {
  test(`decorate adds a UTF-8 footer to a UTF-8 or Latin-1 body and leaves ${form} headers as they came`, async () => {
    const headers = [
      line('From', enc('Jürgen <j@example.de>')),
      line('Subject', enc('Grüße aus Köln')),
      'MIME-Version: 1.0',
    ];
    const mlist = { ...w.mlist, display_name: 'Köln-Team', member_regular_footer: '-- $display_name: Grüße\n' };
    const texts = await decorationTexts(w.services.templates, mlist);
    const utf8 = ctx(
      [...headers, 'Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: 8bit'],
      {},
      Buffer.from('Grüße aus Köln\r\n'),
    );
    const out = decorate(utf8.msg, mlist, texts);
    assert.equal(out.body.toString('utf8'), 'Grüße aus Köln\r\n-- Köln-Team: Grüße\r\n');
    assert.deepEqual(out.headerBytes(), utf8.msg.headerBytes());
    // The body moves to UTF-8: only the charset parameter of the Content-Type line changes.
    const latin = ctx(
      [
        ...headers,
        Buffer.from('Content-Type: text/plain; charset=iso-8859-1; name="Grüße.txt"', 'latin1'),
        'Content-Transfer-Encoding: 8bit',
      ],
      {},
      Buffer.from('Grüße aus Köln\r\n', 'latin1'),
    );
    const moved = decorate(latin.msg, mlist, texts);
    assert.equal(moved.body.toString('utf8'), 'Grüße aus Köln\r\n-- Köln-Team: Grüße\r\n');
    assert.deepEqual(moved.rawLines('content-type'), [
      Buffer.from('Content-Type: text/plain; charset="utf-8"; name="Grüße.txt"', 'latin1').toString('latin1'),
    ]);
    othersUnchanged(latin.msg, moved, ['content-type']);
    // A wrapped (non-text) post keeps its own Content-* lines byte for byte in the inner part.
    const html = ctx(
      [...headers, Buffer.from('Content-Type: text/html; name="Grüße.html"', 'utf8')],
      {},
      '<p>Hi</p>\r\n',
    );
    const wrapped = decorate(html.msg, mlist, texts);
    assert.ok(wrapped.body.includes(Buffer.from('\r\nContent-Type: text/html; name="Grüße.html"\r\n', 'utf8')));
    othersUnchanged(html.msg, wrapped, ['content-type', 'mime-version']);
  });
}
