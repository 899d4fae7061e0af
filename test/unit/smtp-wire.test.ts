import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wireFormat, chunkFormat } from '../../src/mta/smtp-client.js';

test('a message goes on the wire with CRLF line ends, leading dots doubled and the end marker', () => {
  const wire = (s: string) => wireFormat(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(wire('Subject: x\r\n\r\nbody\r\n'), 'Subject: x\r\n\r\nbody\r\n.\r\n');
  assert.equal(wire('a\n.b\r\n..c\n.\r\nlast'), 'a\r\n..b\r\n...c\r\n..\r\nlast\r\n.\r\n');
  assert.equal(wire('.start\rcr\n'), '..start\r\ncr\r\n.\r\n');
  assert.equal(wire(''), '.\r\n');
  // Large input grows the buffer: every line dot-stuffed.
  const big = '.x\n'.repeat(5000);
  assert.equal(wire(big), '..x\r\n'.repeat(5000) + '.\r\n');
});

test('a message already in CRLF form is sent as it is, unless a line needs its dot doubled', () => {
  const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n.dot\r\n', 'latin1');
  // For BDAT nothing is escaped: the same bytes, not a copy of them.
  assert.equal(chunkFormat(raw), raw);
  assert.equal(wireFormat(raw).toString('latin1'), 'Subject: x\r\n\r\nbody\r\n..dot\r\n.\r\n');
  const plain = Buffer.from('Subject: y\r\n\r\nno dots\r\n', 'latin1');
  assert.equal(wireFormat(plain).toString('latin1'), 'Subject: y\r\n\r\nno dots\r\n.\r\n');
  // A lone CR or LF among CRLFs, or no line end at the end, still goes through the rewrite.
  const chunk = (s: string) => chunkFormat(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(chunk('a\r\nb\rc\r\n'), 'a\r\nb\r\nc\r\n');
  assert.equal(chunk('a\r\nb\nc\r\n'), 'a\r\nb\r\nc\r\n');
  assert.equal(chunk('a\r\nb'), 'a\r\nb\r\n');
  assert.equal(chunk('a\r\n\r'), 'a\r\n\r\n');
});
