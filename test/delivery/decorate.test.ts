// The footer (and header) each copy gets at delivery, on the shapes of message Mailman
// distinguishes: single text/plain, multipart/mixed, anything else.
import { test, before, after } from 'node:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { Message } from '../../src/email/message.js';
import { defaultSettings } from '../../src/model/list-settings.js';
import type { MailingList } from '../../src/model/entities.js';
import {
  decorate,
  decorationTexts,
  isPersonal,
  shouldDecorate,
  substitutions,
  type MemberData,
} from '../../src/delivery/decorate.js';
import { PersonalCopies } from '../../src/delivery/personal-copies.js';
import { expandTemplate } from '../../src/services/templates.js';
import { formatAddress } from '../../src/email/addresses.js';
import type { MsgData } from '../../src/queue/qfile.js';
import { DeliveryWorld } from './support.js';

const FOOTER =
  '_______________________________________________\r\nAnt mailing list -- ant@example.com\r\nTo unsubscribe send an email to ant-leave@example.com\r\n';

function list(changes: Record<string, unknown> = {}): MailingList {
  return {
    id: 1,
    ...defaultSettings('ant', 'example.com'),
    list_name: 'ant',
    mail_host: 'example.com',
    list_id: 'ant.example.com',
    ...changes,
  } as unknown as MailingList;
}

// A real template loader (the built-in texts, and whatever a test puts in the var dir).
let world: DeliveryWorld;
before(async () => {
  world = await DeliveryWorld.open();
});
after(async () => {
  await world.close();
});

/** decorate() with the list's texts read as the out runner reads them, once per delivery. */
async function dec(msg: Message, mlist: MailingList, msgdata: MsgData = {}, member?: MemberData): Promise<Message> {
  return decorate(msg, mlist, await decorationTexts(world.services.templates, mlist), msgdata, member);
}

function message(headers: string[], body: string | Buffer): Message {
  return new Message(
    Buffer.concat([Buffer.from([...headers, '', ''].join('\r\n')), Buffer.isBuffer(body) ? body : Buffer.from(body)]),
  );
}

const FROM = ['From: anne@example.org', 'To: ant@example.com', 'Subject: hi', 'MIME-Version: 1.0'];

test('a plain-text post gets the default footer appended to its body', async () => {
  const original = message(
    [...FROM, 'Content-Type: text/plain; charset="us-ascii"; format=flowed'],
    'Hello, list.\r\n',
  );
  const out = await dec(original, list());
  assert.equal(out.body.toString(), `Hello, list.\r\n${FOOTER}`);
  assert.equal(out.get('content-type'), 'text/plain; charset="us-ascii"; format=flowed');
  // The queued message itself is left as it was.
  assert.equal(original.body.toString(), 'Hello, list.\r\n');
  // No Content-Type at all means text/plain; a body without a final newline gets one first.
  const bare = await dec(message(['From: anne@example.org'], 'no newline'), list());
  assert.equal(bare.body.toString(), `no newline\r\n${FOOTER}`);
});

test('the footer keeps the transfer encoding of the body', async () => {
  const b64 = await dec(
    message(
      [...FROM, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'],
      Buffer.from('Grüße\r\n').toString('base64') + '\r\n',
    ),
    list(),
  );
  assert.equal(Buffer.from(b64.body.toString(), 'base64').toString('utf8'), `Grüße\r\n${FOOTER}`);
  assert.equal(b64.get('content-transfer-encoding'), 'base64');
  const qp = await dec(
    message(
      [...FROM, 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable'],
      'Gr=FC=DFe\r\n',
    ),
    list(),
  );
  assert.equal(qp.body.toString(), `Gr=FC=DFe\r\n${FOOTER}`);
  assert.equal(qp.get('content-type'), 'text/plain; charset=iso-8859-1');
});

test('a non-ASCII footer moves a latin-1 body to UTF-8', async () => {
  const out = await dec(
    message(
      [...FROM, 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'],
      Buffer.from('Gr\xfc\xdfe\r\n', 'latin1'),
    ),
    list({ member_regular_footer: '-- Liste für Ameisen\n' }),
  );
  assert.equal(out.get('content-type'), 'text/plain; charset="utf-8"');
  assert.equal(out.body.toString('utf8'), 'Grüße\r\n-- Liste für Ameisen\r\n');
});

test('a multipart/mixed post gets the footer as a last inline text/plain part', async () => {
  const body = [
    'preamble',
    '--XYZ',
    'Content-Type: text/plain',
    '',
    'Hello.',
    '--XYZ',
    'Content-Type: application/pdf',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERi0=',
    '--XYZ--',
    '',
  ].join('\r\n');
  const out = await dec(
    message([...FROM, 'Content-Type: multipart/mixed; boundary="XYZ"'], body),
    list({ member_regular_header: 'Read the rules.\n' }),
  );
  const parts = out.body.toString().split(/\r\n--XYZ/);
  assert.equal(parts.length, 6);
  assert.equal(parts[0], 'preamble');
  const partHead = [
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    'Content-Disposition: inline',
  ].join('\r\n');
  assert.equal(parts[1], `\r\n${partHead}\r\n\r\nRead the rules.`);
  assert.equal(parts[2], '\r\nContent-Type: text/plain\r\n\r\nHello.');
  assert.match(parts[3], /application\/pdf[\s\S]*JVBERi0=$/);
  assert.equal(parts[4], `\r\n${partHead}\r\n\r\n${FOOTER.replace(/\r\n$/, '')}`);
  assert.equal(parts[5], '--\r\n');
});

test('anything else is wrapped in a multipart/mixed with the footer after it', async () => {
  const alt = [
    '--ALT',
    'Content-Type: text/plain',
    '',
    'Hi',
    '--ALT',
    'Content-Type: text/html',
    '',
    '<p>Hi</p>',
    '--ALT--',
    '',
  ].join('\r\n');
  const out = await dec(
    message([...FROM, 'Content-Type: multipart/alternative; boundary="ALT"', 'Content-Transfer-Encoding: 7bit'], alt),
    list(),
  );
  const ct = out.get('content-type') ?? '';
  const boundary = /^multipart\/mixed; boundary="(.+)"$/.exec(ct)?.[1];
  assert.ok(boundary, ct);
  assert.equal(out.getAll('content-type').length, 1);
  assert.equal(out.get('mime-version'), '1.0');
  assert.equal(out.has('content-transfer-encoding'), false);
  const parts = out.body.toString().split(`--${boundary}`);
  assert.equal(parts.length, 4);
  assert.equal(parts[0], '');
  assert.equal(
    parts[1],
    `\r\nContent-Type: multipart/alternative; boundary="ALT"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${alt}`,
  );
  assert.match(parts[2], /^\r\nContent-Type: text\/plain; charset=us-ascii\r\n[\s\S]*\r\n\r\n_{47}\r\n/);
  assert.ok(parts[2].endsWith(`\r\n${FOOTER.replace(/^_+\r\n/, '')}`), parts[2]);
  assert.equal(parts[3], '--\r\n');
  // An HTML post is wrapped the same way, so its HTML is not touched.
  const html = await dec(message([...FROM, 'Content-Type: text/html; charset=utf-8'], '<p>Hi</p>\r\n'), list());
  assert.match(html.get('content-type') ?? '', /^multipart\/mixed/);
  assert.match(html.body.toString(), /\r\nContent-Type: text\/html; charset=utf-8\r\n\r\n<p>Hi<\/p>\r\n--/);
});

test('the list chooses its footer: its own text, or none at all', async () => {
  const own = await dec(
    message(FROM, 'Hello.\r\n'),
    list({ member_regular_footer: '-- \n$display_name <$listname>, $description\n', description: 'All about ants' }),
  );
  assert.equal(own.body.toString(), 'Hello.\r\n-- \r\nAnt <ant@example.com>, All about ants\r\n');
  const none = await dec(message(FROM, 'Hello.\r\n'), list({ member_regular_footer: '' }));
  assert.equal(none.toBuffer().toString(), message(FROM, 'Hello.\r\n').toBuffer().toString());
});

test('without a text of its own, the list gets the templates: list row, then domain row, then site file', async () => {
  const dir = world.services.config.path('paths', 'template_dir');
  mkdirSync(join(dir, 'site', 'en'), { recursive: true });
  mkdirSync(join(dir, 'own'), { recursive: true });
  writeFileSync(join(dir, 'site', 'en', 'list:member:generic:footer.txt'), '-- site footer of $display_name\n');
  writeFileSync(join(dir, 'own', 'footer.txt'), '-- footer of $list_id\n');
  writeFileSync(join(dir, 'own', 'header.txt'), 'Header for $domain\n');
  const uris = world.services.templateUris;
  try {
    // The site's generic footer stands in for the regular footer nobody defined.
    assert.equal((await dec(message(FROM, 'Hi\r\n'), list())).body.toString(), 'Hi\r\n-- site footer of Ant\r\n');
    await uris.set('list:member:regular:header', 'example.com', pathToFileURL(join(dir, 'own', 'header.txt')).href);
    await uris.set('list:member:regular:footer', 'example.com', 'mailman:///list:member:generic:footer');
    await uris.set('list:member:regular:footer', 'ant.example.com', `file://${dir}/own/footer.txt`);
    assert.equal(
      (await dec(message(FROM, 'Hi\r\n'), list())).body.toString(),
      'Header for example.com\r\nHi\r\n-- footer of ant.example.com\r\n',
    );
    await uris.delete('list:member:regular:footer', 'ant.example.com');
    assert.equal(
      (await dec(message(FROM, 'Hi\r\n'), list())).body.toString(),
      `Header for example.com\r\nHi\r\n${FOOTER}`,
    );
    // The list's own setting still wins over every template.
    const own = list({ member_regular_header: 'Mine\n', member_regular_footer: '' });
    assert.equal((await dec(message(FROM, 'Hi\r\n'), own)).body.toString(), 'Mine\r\nHi\r\n');
  } finally {
    for (const name of ['list:member:regular:header', 'list:member:regular:footer'] as const)
      for (const context of ['example.com', 'ant.example.com']) await uris.delete(name, context);
    rmSync(join(dir, 'site'), { recursive: true, force: true });
  }
});

test('member placeholders are filled for personalised copies and left alone otherwise', async () => {
  const mlist = list({
    member_regular_footer: 'You are subscribed as ${user_email} (${user_name_or_address}); $$5 for $unknown\n',
  });
  assert.equal(isPersonal(await decorationTexts(world.services.templates, mlist)), true);
  assert.equal(isPersonal(await decorationTexts(world.services.templates, list())), false);
  const personal = await dec(message(FROM, 'Hi\r\n'), mlist, {}, { email: 'bart@example.org', displayName: 'Bart' });
  assert.equal(personal.body.toString(), 'Hi\r\nYou are subscribed as bart@example.org (Bart); $5 for $unknown\r\n');
  const bulk = await dec(message(FROM, 'Hi\r\n'), mlist);
  assert.equal(
    bulk.body.toString(),
    'Hi\r\nYou are subscribed as ${user_email} (${user_name_or_address}); $5 for $unknown\r\n',
  );
  assert.equal(
    expandTemplate('$a${b}$c', substitutions(list(), undefined, { 'decoration-data': { a: 'A', b: 'B' } })),
    'AB$c',
  );
});

test('digests, owner mail and notices (nodecorate) are not decorated', async () => {
  assert.equal(shouldDecorate({}), true);
  assert.equal(shouldDecorate({ nodecorate: true }), false);
  assert.equal(shouldDecorate({ isdigest: true }), false);
  assert.equal(shouldDecorate({}, ['archive@mail-archive.com']), false);
  assert.equal(shouldDecorate({}, ['archive@mail-archive.com', 'anne@example.org']), true);
});

test('a personalised copy spliced from one parse is byte for byte the message decorated whole', async () => {
  const lf = (lines: string[], body: string) =>
    new Message(Buffer.from([...lines, '', ''].join('\n') + body, 'latin1'));
  const posts: [string, Message][] = [
    ['plain 7bit', message(FROM, 'Hello, list.\r\n')],
    ['no final newline', message(['From: anne@example.org'], 'no newline')],
    ['empty body', message(FROM, '')],
    ['LF line ends', lf(['From: anne@example.org', 'To: ant@example.com'], 'one\ntwo\n')],
    ['no To', message(['From: anne@example.org', 'Subject: x'], 'hi\r\n')],
    ['8-bit body, no CTE', message(FROM, Buffer.from('Grüße\r\n'))],
    [
      'latin-1 8bit',
      message(
        [...FROM, 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'],
        Buffer.from('Gr\xfc\xdfe\r\n', 'latin1'),
      ),
    ],
    [
      'unknown charset',
      message([...FROM, 'Content-Type: text/plain; charset=x-unknown'], Buffer.from('b\xe9\r\n', 'latin1')),
    ],
    [
      'base64',
      message(
        [...FROM, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'],
        Buffer.from('Grüße\r\n').toString('base64') + '\r\n',
      ),
    ],
    [
      'quoted-printable',
      message(
        [...FROM, 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: quoted-printable'],
        'Gr=FC=DFe\r\n.dot\r\n',
      ),
    ],
    ['unknown CTE', message([...FROM, 'Content-Transfer-Encoding: x-uuencode'], 'begin 644 x\r\n')],
    [
      'multipart/mixed',
      message(
        [...FROM, 'Content-Type: multipart/mixed; boundary="XYZ"'],
        '--XYZ\r\nContent-Type: text/plain\r\n\r\nbody\r\n--XYZ--\r\n',
      ),
    ],
    [
      'multipart/alternative',
      message(
        [...FROM, 'Content-Type: multipart/alternative; boundary="A"'],
        '--A\r\nContent-Type: text/plain\r\n\r\nplain\r\n--A\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--A--\r\n',
      ),
    ],
    ['headers only', new Message(Buffer.from('From: anne@example.org\r\nSubject: x'))],
  ];
  const lists = [
    list(),
    list({ member_regular_footer: '-- \n$display_name, sent to ${user_address} (${user_name})\n' }),
    list({ member_regular_header: 'For $user_delivered_to\r', member_regular_footer: '' }),
    list({ member_regular_footer: '$user_name' }),
    list({ member_regular_footer: '-- für ${user_name_or_address} $extra\n' }),
    // Slots next to each other, a dollar, an unknown name, and names msgdata overrides.
    list({ member_regular_footer: '$$member$member${user_name}$$ $nosuch ${list_id} $user_language $display_name' }),
    list({ member_regular_header: '$member:$user_email:', member_regular_footer: '$$$$' }),
  ];
  const members: MemberData[] = [
    { email: 'anne@example.org', displayName: 'Anne' },
    { email: 'bart@example.org' },
    { email: 'jörg@example.org', displayName: 'Jörg Ü', language: 'de' },
    { email: 'eve@example.org', displayName: 'Eve $user_address\r\nBcc: x@example.org' },
  ];
  const msgdatas: MsgData[] = [
    { 'decoration-data': { extra: 'X' } },
    { 'decoration-data': { extra: 'X', user_language: 'over', display_name: 'Over $member' } },
  ];
  for (const msgdata of msgdatas)
    for (const [what, post] of posts)
      for (const base of lists)
        for (const personalize of ['individual', 'full']) {
          const mlist = { ...base, personalize } as MailingList;
          const texts = await decorationTexts(world.services.templates, mlist);
          for (const decorated of [texts, undefined]) {
            const copies = new PersonalCopies(post, mlist, msgdata, decorated);
            for (const member of members)
              for (const dup of [false, true]) {
                // As the out runner built every copy before: the whole message decorated, then edited.
                const whole = decorated
                  ? decorate(post, mlist, decorated, msgdata, member)
                  : new Message(post.toBuffer());
                if (dup) whole.set('X-Mailman-Copy', 'yes');
                if (personalize === 'full') whole.set('To', formatAddress(member.email, member.displayName));
                // A wrapped post's new boundary is random in each: that is the one difference allowed.
                const bytes = (b: Buffer) => b.toString('latin1').replace(/={15}[0-9a-f]{24}==/g, 'BOUNDARY');
                assert.equal(
                  bytes(copies.copy(member.email, member, dup)),
                  bytes(whole.toBuffer()),
                  `${what}, footer ${JSON.stringify(mlist.member_regular_footer)}, ${personalize}, ` +
                    `${member.email}, dup ${dup}`,
                );
              }
          }
        }
});
