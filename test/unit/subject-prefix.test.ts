import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixSubject } from '../../src/delivery/handlers/subject-prefix.js';

const cases: [string, string, string][] = [
  ['Hello', '[Ant] ', '[Ant] Hello'],
  ['[Ant] Hello', '[Ant] ', '[Ant] Hello'],
  ['Re: Hello', '[Ant] ', '[Ant] Re: Hello'],
  ['Re: [Ant] Hello', '[Ant] ', '[Ant] Re: Hello'],
  ['RE: re: Aw: Hello', '[Ant] ', '[Ant] Re: Hello'],
  ['Re[2]: Sv: Hello', '[Ant] ', '[Ant] Re: Hello'],
  ['', '[Ant] ', '[Ant] (no subject)'],
  ['[Ant 41] Hello', '[Ant %d] ', '[Ant 7] Hello'],
  ['Caf\u00e9 au lait', '[Ant] ', '[Ant] Caf\u00e9 au lait'],
];

for (const [input, prefix, expected] of cases) {
  test(`subject-prefix: ${JSON.stringify(input)} with ${JSON.stringify(prefix)}`, () => {
    assert.equal(prefixSubject(input, prefix, 7).subject, expected);
  });
}

import { Message } from '../../src/email/message.js';

test('an unedited message re-serialises byte for byte; an edited one keeps its body', () => {
  for (const raw of ['From: a@b.c\r\nSubject: x\r\n\r\nHello body\r\n', 'From: a@b.c\nSubject: x\n\nHello body\n']) {
    assert.equal(new Message(Buffer.from(raw)).toBuffer().toString(), raw);
    const m = new Message(Buffer.from(raw));
    m.add('X-A', '1');
    assert.match(m.toBuffer().toString(), /X-A: 1\r\n\r\nHello body\r?\n$/);
  }
});
