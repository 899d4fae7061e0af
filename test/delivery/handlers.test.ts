// Each handler of the default posting pipeline on real messages, with a real database and
// real queues where it needs them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { DeliveryWorld, post } from './support.js';
import { digestMailbox } from '../../src/services/digests.js';

let world: DeliveryWorld;

before(async () => {
  world = await DeliveryWorld.open();
});
after(async () => {
  await world?.close();
});

test('cleanse strips passwords and receipt requests and keeps the rest', async () => {
  const headers = [
    'Approved: secret',
    'Approve: secret',
    'X-Approved: secret',
    'X-Approve: secret',
    'Urgent: secret',
    'Return-Receipt-To: anne@example.org',
    'Disposition-Notification-To: anne@example.org',
    'X-Confirm-Reading-To: anne@example.org',
    'X-PMRQC: 1',
    'Archived-At: <http://old.example/1>',
    'X-Mailer: Mutt',
  ];
  const ctx = await world.run('cleanse', world.ctx(post({ extra: headers })));
  for (const h of headers.slice(0, -1)) assert.equal(ctx.msg.has(h.split(':')[0]), false, h);
  assert.equal(ctx.msg.get('x-mailer'), 'Mutt');
  assert.equal(ctx.msg.get('from'), 'Anne Person <anne@example.org>');
  assert.equal(ctx.msg.messageId, '<post-1@example.org>');
});

test('cleanse on an anonymous list removes what names the poster and speaks as the list', async () => {
  await world.configure({ anonymous_list: true, description: 'Ants anonymous' });
  try {
    const extra = [
      'Reply-To: anne@home.example',
      'Sender: anne@example.org',
      'Organization: Anne Inc',
      'Received: from somewhere',
      'X-Originating-Email: anne@example.org',
      'X-Mailer: Mutt',
      'X-Mailman-Rule-Misses: loop',
      'X-Spam-Score: 0',
      'X-MailFrom: anne@example.org',
    ];
    const ctx = await world.run('cleanse', world.ctx(post({ extra })));
    assert.equal(ctx.msg.get('from'), 'Ants anonymous <ant@example.com>');
    assert.equal(ctx.msg.get('reply-to'), 'ant@example.com');
    for (const h of ['sender', 'organization', 'received', 'x-originating-email', 'x-mailer', 'x-mailfrom'])
      assert.equal(ctx.msg.has(h), false, h);
    assert.equal(ctx.msg.get('x-mailman-rule-misses'), 'loop');
    assert.equal(ctx.msg.get('x-spam-score'), '0');
    assert.match(ctx.msg.messageId ?? '', /@example\.com>$/);
    assert.notEqual(ctx.msg.messageId, '<post-1@example.org>');
  } finally {
    await world.configure({ anonymous_list: false, description: '' });
  }
});

test('cleanse-dkim keeps signatures unless [mta] remove_dkim_headers is on', async () => {
  const extra = [
    'DKIM-Signature: v=1; a=rsa-sha256; d=example.org',
    'DomainKey-Signature: a=rsa-sha1',
    'Authentication-Results: mx.example.org; dkim=pass',
  ];
  const kept = await world.run('cleanse-dkim', world.ctx(post({ extra })));
  assert.ok(
    kept.msg.has('dkim-signature') && kept.msg.has('domainkey-signature') && kept.msg.has('authentication-results'),
  );
  const strict = await DeliveryWorld.open('[mta]\nremove_dkim_headers: yes');
  try {
    const ctx = await strict.run('cleanse-dkim', strict.ctx(post({ extra })));
    assert.ok(
      !ctx.msg.has('dkim-signature') && !ctx.msg.has('domainkey-signature') && !ctx.msg.has('authentication-results'),
    );
    assert.equal(ctx.msg.get('subject'), 'Hello ants');
  } finally {
    await strict.close();
  }
});

test('avoid-duplicates drops explicitly addressed members who do not want a list copy, and marks the rest', async () => {
  const w = await DeliveryWorld.open();
  try {
    await w.subscribe('anne@example.org', { receive_list_copy: false });
    await w.subscribe('bart@example.org');
    await w.subscribe('cris@example.net');
    await w.subscribe('dora@example.net', { receive_list_copy: false });
    const ctx = w.ctx(
      post({
        from: 'eve@example.net',
        to: 'ant@example.com, Anne <anne@example.org>',
        cc: 'Bart <bart@example.org>, Dora <dora@example.net>, Finn <finn@example.com>',
      }),
      {
        recipients: ['anne@example.org', 'bart@example.org', 'cris@example.net', 'dora@example.net'],
      },
    );
    await w.run('avoid-duplicates', ctx);
    // anne and dora have the poster's copy; bart wants both; cris was not addressed.
    assert.deepEqual(ctx.msgdata.recipients, ['bart@example.org', 'cris@example.net']);
    assert.deepEqual(ctx.msgdata['add-dup-header'], ['bart@example.org']);
    assert.equal(ctx.msg.get('cc'), 'Bart <bart@example.org>, Finn <finn@example.com>');
    assert.equal(ctx.msg.get('to'), 'ant@example.com, Anne <anne@example.org>');
    // A post addressed only to the list changes nothing.
    const plain = w.ctx(post(), { recipients: ['anne@example.org', 'bart@example.org'] });
    await w.run('avoid-duplicates', plain);
    assert.deepEqual(plain.msgdata.recipients, ['anne@example.org', 'bart@example.org']);
    assert.equal(plain.msgdata['add-dup-header'], undefined);
  } finally {
    await w.close();
  }
});

test('member-recipients then avoid-duplicates: the regular members, minus who asked', async () => {
  const w = await DeliveryWorld.open();
  try {
    await w.subscribe('anne@example.org', { receive_list_copy: false });
    await w.subscribe('bart@example.org', { delivery_mode: 'mime_digests' });
    await w.subscribe('cris@example.net', { delivery_status: 'by_user' });
    await w.subscribe('dora@example.net');
    const ctx = w.ctx(post({ from: 'dora@example.net', cc: 'anne@example.org' }));
    await w.run('member-recipients', ctx);
    assert.deepEqual(ctx.msgdata.recipients, ['anne@example.org', 'dora@example.net']);
    await w.run('avoid-duplicates', ctx);
    assert.deepEqual(ctx.msgdata.recipients, ['dora@example.net']);
    assert.equal(ctx.msg.has('cc'), false);
  } finally {
    await w.close();
  }
});

test('acknowledge sends the notice to a member who asked for it, and to no one else', async () => {
  const w = await DeliveryWorld.open();
  try {
    await w.subscribe('anne@example.org', { acknowledge_posts: true });
    await w.subscribe('bart@example.org');
    const ctx = w.ctx(post({ subject: '[Ant] Hello ants' }), { original_subject: 'Hello ants' });
    await w.run('acknowledge', ctx);
    await w.run('acknowledge', w.ctx(post({ from: 'bart@example.org' })));
    await w.run('acknowledge', w.ctx(post({ from: 'stranger@example.net' })));
    const notices = await w.queued('virgin');
    assert.equal(notices.length, 1);
    const { msg, msgdata } = notices[0];
    assert.deepEqual(msgdata.recipients, ['anne@example.org']);
    assert.equal(msgdata.listid, 'ant.example.com');
    assert.equal(msg.get('to'), 'anne@example.org');
    assert.equal(msg.get('from'), 'ant-bounces@example.com');
    assert.equal(msg.get('subject'), 'Ant post acknowledgment');
    const text = msg.body.toString();
    assert.match(text, /\n {4}Hello ants\r?\n/);
    assert.match(text, /has reached the Ant mailing list\./);
  } finally {
    await w.close();
  }
});

test('tagger: no topics, no tag; a matching topic sets X-Topics and topichits', async () => {
  const off = await world.run('tagger', world.ctx(post({ subject: 'apples and pears' })));
  assert.equal(off.msg.has('x-topics'), false);
  await world.configure({ topics_enabled: true, topics: 'fruit: apple|pear\nveg: carrot\nbad: (unclosed' });
  try {
    const ctx = await world.run('tagger', world.ctx(post({ subject: 'Apples again' })));
    assert.equal(ctx.msg.get('x-topics'), 'fruit');
    assert.deepEqual(ctx.msgdata.topichits, ['fruit']);
    const body = await world.run('tagger', world.ctx(post({ subject: 'news', body: 'Keywords: carrot\n\nHello' })));
    assert.equal(body.msg.get('x-topics'), 'veg');
    const none = await world.run('tagger', world.ctx(post({ subject: 'nothing' })));
    assert.equal(none.msg.has('x-topics'), false);
  } finally {
    await world.configure({ topics_enabled: false, topics: '' });
  }
});

test('the switched-off features do nothing on a default list; ARC switched on without a key fails clearly', async () => {
  for (const name of ['mime-delete', 'to-usenet', 'validate-authenticity']) {
    const raw = post();
    const ctx = await world.run(name, world.ctx(raw));
    assert.equal(ctx.msg.toBuffer().toString(), raw.replace(/\n/g, '\r\n'), name);
  }
  const arc = await DeliveryWorld.open('[ARC]\nenabled: yes');
  try {
    // Switched on without a key to seal with: a clear error, not unverified mail.
    await assert.rejects(
      arc.run('validate-authenticity', arc.ctx(post())),
      /\[ARC\] enabled needs authserv_id, privkey, selector, domain set/,
    );
  } finally {
    await arc.close();
  }
});

test('to-archive queues a copy only when an archiver is enabled and the post may be archived', async () => {
  await world.run('to-archive', world.ctx(post()));
  assert.equal((await world.queued('archive')).length, 0);
  const w = await DeliveryWorld.open('[archiver.prototype]\nenable: yes\n[archiver.mhonarc]\nenable: no');
  try {
    await w.run('to-archive', w.ctx(post(), { recipients: ['a@example.org'] }));
    await w.run('to-archive', w.ctx(post({ extra: ['X-No-Archive: yes'] })));
    await w.run('to-archive', w.ctx(post({ extra: ['X-Archive: No'] })));
    await w.run('to-archive', w.ctx(post(), { isdigest: true }));
    const queued = await w.queued('archive');
    assert.equal(queued.length, 1);
    assert.deepEqual(queued[0].msgdata.archivers, ['prototype']);
    assert.equal(queued[0].msgdata.listid, 'ant.example.com');
    assert.equal(queued[0].msg.messageId, '<post-1@example.org>');
    await w.configure({ archive_policy: 'never' });
    await w.run('to-archive', w.ctx(post()));
    assert.equal((await w.queued('archive')).length, 0);
  } finally {
    await w.close();
  }
});

test('to-archive leaves out an archiver the list has switched off, and queues nothing when none is left', async () => {
  const w = await DeliveryWorld.open('[archiver.prototype]\nenable: yes\n[archiver.mhonarc]\nenable: yes');
  try {
    await w.services.listArchivers.set(w.mlist, new Map([['mhonarc', false]]));
    await w.run('to-archive', w.ctx(post()));
    const queued = await w.queued('archive');
    assert.equal(queued.length, 1);
    assert.deepEqual(queued[0].msgdata.archivers, ['prototype']);
    await w.services.listArchivers.set(w.mlist, new Map([['prototype', false]]));
    await w.run('to-archive', w.ctx(post()));
    assert.equal((await w.queued('archive')).length, 0);
  } finally {
    await w.close();
  }
});

test('to-digest appends each post to the list digest mailbox (MMDF) when digests are enabled', async () => {
  const w = await DeliveryWorld.open();
  try {
    const file = digestMailbox(w.services.config, 'ant.example.com');
    assert.ok(file.endsWith('/var/lists/ant.example.com/digest.mmdf'), file);
    assert.equal(existsSync(file), false);
    await w.run('to-digest', w.ctx(post({ subject: 'one' })));
    await w.run('to-digest', w.ctx(post({ subject: 'two' })));
    await w.run('to-digest', w.ctx(post({ subject: 'digest itself' }), { isdigest: true }));
    const text = readFileSync(file, 'latin1');
    const entries = text.split('\x01\x01\x01\x01\n').filter(Boolean);
    assert.equal(entries.length, 2);
    assert.match(entries[0], /^From MAILER-DAEMON .*\nFrom: Anne Person <anne@example.org>\n/);
    assert.match(entries[0], /\nSubject: one\n/);
    assert.match(entries[1], /\nSubject: two\n[\s\S]*\nHello, list\.\n$/);
    assert.ok(!text.includes('\r'));
    await w.configure({ digests_enabled: false });
    await w.run('to-digest', w.ctx(post({ subject: 'three' })));
    assert.equal(readFileSync(file, 'latin1'), text);
  } finally {
    await w.close();
  }
});

test('cook-headers adds X-Mailman-Version and Precedence and munges Reply-To as configured', async () => {
  const w = await DeliveryWorld.open();
  try {
    const plain = await w.run('cook-headers', w.ctx(post({ extra: ['Reply-To: anne@home.example'] })));
    assert.match(plain.msg.get('x-mailman-version') ?? '', /mailman-ts/);
    assert.equal(plain.msg.get('precedence'), 'list');
    assert.equal(plain.msg.get('reply-to'), 'anne@home.example');
    assert.equal(plain.msgdata.original_sender, 'anne@example.org');
    await w.configure({ reply_goes_to_list: 'point_to_list', description: 'Ants' });
    const toList = await w.run('cook-headers', w.ctx(post({ extra: ['Reply-To: anne@home.example'] })));
    assert.equal(toList.msg.get('reply-to'), 'anne@home.example, Ants <ant@example.com>');
    await w.configure({ first_strip_reply_to: true });
    const stripped = await w.run('cook-headers', w.ctx(post({ extra: ['Reply-To: anne@home.example'] })));
    assert.equal(stripped.msg.get('reply-to'), 'Ants <ant@example.com>');
    await w.configure({
      reply_goes_to_list: 'explicit_header',
      reply_to_address: 'talk@example.com',
      first_strip_reply_to: false,
    });
    const explicit = await w.run('cook-headers', w.ctx(post({ extra: ['Reply-To: anne@home.example'] })));
    assert.equal(explicit.msg.get('reply-to'), 'talk@example.com, anne@home.example');
    await w.configure({ reply_goes_to_list: 'no_munging', personalize: 'full' });
    const full = await w.run('cook-headers', w.ctx(post()));
    assert.equal(full.msg.get('cc'), 'Ants <ant@example.com>');
    // Generated mail (virgin) is not munged.
    const virgin = await w.run('cook-headers', w.ctx(post(), { _fasttrack: true }));
    assert.equal(virgin.msg.has('cc'), false);
  } finally {
    await w.close();
  }
});

test('dmarc does nothing without a mitigation, munges From with munge_from', async () => {
  const w = await DeliveryWorld.open();
  try {
    const raw = post();
    const none = await w.run('dmarc', w.ctx(raw, { dmarc: true }));
    assert.equal(none.msg.toBuffer().toString(), raw.replace(/\n/g, '\r\n'));
    // The list setting belongs to the dmarc-mitigation rule's settings; the handler reads it.
    w.mlist.dmarc_mitigate_action = 'munge_from';
    const unflagged = await w.run('dmarc', w.ctx(raw));
    assert.equal(unflagged.msg.get('from'), 'Anne Person <anne@example.org>');
    const munged = await w.run('dmarc', w.ctx(post({ extra: ['Reply-To: other@example.net'] }), { dmarc: true }));
    assert.equal(munged.msg.get('from'), '"Anne Person via Ant" <ant@example.com>');
    assert.equal(munged.msg.get('reply-to'), 'other@example.net, "Anne Person" <anne@example.org>');
    await w.configure({ reply_goes_to_list: 'point_to_list' });
    const cc = await w.run('dmarc', w.ctx(post({ from: 'anne@example.org' }), { dmarc: true }));
    // A bare address as the name would show the author's domain: it becomes ---.
    assert.equal(cc.msg.get('from'), '"anne--- via Ant" <ant@example.com>');
    assert.equal(cc.msg.get('cc'), 'anne@example.org');
    // A name from the member record when From has none.
    await w.subscribe('bart@example.org', {}, 'Bart Bee');
    const named = await w.run('dmarc', w.ctx(post({ from: 'bart@example.org' }), { dmarc: true }));
    assert.equal(named.msg.get('from'), '"Bart Bee via Ant" <ant@example.com>');
    // Unconditional mitigation needs no flag; anonymous lists are never munged.
    await w.configure({ dmarc_mitigate_unconditionally: true });
    assert.equal((await w.run('dmarc', w.ctx(post()))).msg.get('from'), '"Anne Person via Ant" <ant@example.com>');
    await w.configure({ anonymous_list: true });
    assert.equal((await w.run('dmarc', w.ctx(post()))).msg.get('from'), 'Anne Person <anne@example.org>');
  } finally {
    await w.close();
  }
});

test('dmarc wrap_message sends the original inside a message from the list', async () => {
  const w = await DeliveryWorld.open();
  try {
    w.mlist.dmarc_mitigate_action = 'wrap_message';
    const raw = post({
      cc: 'cris@example.net',
      extra: [
        'X-Mailer: Mutt',
        'List-Id: <ant.example.com>',
        'X-Mailman-Version: 3',
        'Date: Wed, 25 Nov 2026 12:00:00 +0000',
      ],
    });
    const ctx = await w.run('dmarc', w.ctx(raw, { dmarc: true }));
    const m = ctx.msg;
    assert.equal(m.get('from'), '"Anne Person via Ant" <ant@example.com>');
    assert.equal(m.get('reply-to'), '"Anne Person" <anne@example.org>');
    assert.equal(m.get('subject'), 'Hello ants');
    assert.equal(m.get('to'), 'ant@example.com');
    assert.equal(m.get('list-id'), '<ant.example.com>');
    assert.equal(m.get('x-mailman-version'), '3');
    assert.equal(m.get('date'), 'Wed, 25 Nov 2026 12:00:00 +0000');
    for (const h of ['cc', 'x-mailer']) assert.equal(m.has(h), false, h);
    assert.notEqual(m.messageId, '<post-1@example.org>');
    assert.equal(m.get('content-type'), 'message/rfc822');
    assert.equal(m.get('mime-version'), '1.0');
    assert.equal(m.body.toString(), raw.replace(/\n/g, '\r\n'));
    // With a wrapped-message text: multipart/mixed, the text then the original.
    await w.configure({ dmarc_wrapped_message_text: "This post was wrapped because of its author's DMARC policy." });
    const withText = await w.run('dmarc', w.ctx(raw, { dmarc: true }));
    const ct = withText.msg.get('content-type') ?? '';
    assert.match(ct, /^multipart\/mixed; boundary="(.+)"$/);
    const boundary = /boundary="(.+)"/.exec(ct)![1];
    const parts = withText.msg.body.toString().split(`--${boundary}`);
    assert.equal(parts.length, 4);
    assert.match(
      parts[1],
      /Content-Type: text\/plain[\s\S]*\r\n\r\nThis post was wrapped because of its author's DMARC policy\.\r\n$/,
    );
    assert.match(
      parts[2],
      /^\r\nContent-Type: message\/rfc822\r\nContent-Disposition: inline\r\n\r\nFrom: Anne Person <anne@example.org>\r\n/,
    );
    assert.equal(parts[3], '--\r\n');
  } finally {
    await w.close();
  }
});
