import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wireFormat } from '../../src/mta/smtp-client.js';

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
