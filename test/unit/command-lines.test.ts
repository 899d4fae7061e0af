// Which lines of a message to -request are read as commands, and within which bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Message } from '../../src/email/message.js';
import {
  commandLines,
  commandWords,
  MAX_COMMAND_LINES,
  MAX_IGNORED_LISTED,
  MAX_LINE_CHARS,
  MAX_WORDS,
  NON_TEXT_NOTE,
} from '../../src/runners/command-lines.js';

function message(headers: string[], body: string): Message {
  return new Message(Buffer.from([...headers, '', body].join('\r\n')));
}

const plain = (subject: string | undefined, body: string) =>
  message([...(subject === undefined ? [] : [`Subject: ${subject}`]), 'Content-Type: text/plain'], body);

test('-join, -leave and -confirm+TOKEN are one implicit command; nothing else is read', () => {
  const msg = plain('subscribe', 'who\nhelp');
  assert.deepEqual(commandLines(msg, { subaddress: 'join' }, 10), {
    lines: ['join'],
    ignored: [],
    moreIgnored: 0,
    notes: [],
    implicit: true,
  });
  assert.deepEqual(commandLines(msg, { subaddress: 'leave' }, 10).lines, ['leave']);
  const token = '0123456789abcdef0123456789abcdef01234567';
  assert.deepEqual(commandLines(msg, { subaddress: 'confirm', confirm_token: token }, 10).lines, [`confirm ${token}`]);
  // The token was not kept (the wrong shape): confirm alone, which answers that it did not match.
  assert.deepEqual(commandLines(msg, { subaddress: 'confirm' }, 10).lines, ['confirm']);
  assert.equal(commandLines(msg, { subaddress: 'request' }, 10).implicit, false);
});

test('the Subject first (ASCII only), then the body; blank, quoted and password lines do not count', () => {
  const msg = plain(
    '=?utf-8?q?Re=3A_confirm_=C3=A9abc?=',
    ['', 'Approved: secret', 'echo one', '> confirm quoted', '>', '   ', 'echo two', 'echo three'].join('\n'),
  );
  const got = commandLines(msg, {}, 2);
  assert.deepEqual(got.lines, ['Re: confirm abc', 'echo one', 'echo two']);
  assert.deepEqual(got.ignored, ['echo three']);
  assert.deepEqual(got.notes, []);
  assert.equal(got.implicit, false);
});

test('a message that is not one text/plain part is noted; without one, only the Subject is read', () => {
  const alt = message(
    ['Subject: help', 'Content-Type: multipart/alternative; boundary="x"'],
    [
      '--x',
      'Content-Type: text/html',
      '',
      '<p>who</p>',
      '--x',
      'Content-Type: text/plain',
      '',
      'echo hi',
      '--x--',
    ].join('\r\n'),
  );
  assert.deepEqual(commandLines(alt, {}, 10), {
    lines: ['help', 'echo hi'],
    ignored: [],
    moreIgnored: 0,
    notes: [NON_TEXT_NOTE],
    implicit: false,
  });
  const html = message(['Subject: who', 'Content-Type: text/html'], '<p>help</p>');
  assert.deepEqual(commandLines(html, {}, 10).lines, ['who']);
  assert.deepEqual(commandLines(html, {}, 10).notes, [NON_TEXT_NOTE]);
});

test('hostile input is bounded: lines, words, line length, ignored lines listed', () => {
  const many = Array.from({ length: 1000 }, (_, i) => `echo ${i}`).join('\n');
  const got = commandLines(plain(undefined, many), {}, 1_000_000);
  assert.equal(got.lines.length, MAX_COMMAND_LINES);
  assert.equal(got.ignored.length, MAX_IGNORED_LISTED);
  assert.equal(got.moreIgnored, 1000 - MAX_COMMAND_LINES - MAX_IGNORED_LISTED);
  const long = commandLines(plain('x'.repeat(5000), 'y '.repeat(5000)), {}, 10);
  assert.ok(long.lines.every((l) => l.length <= MAX_LINE_CHARS));
  assert.equal(commandWords(long.lines[1]).length, MAX_WORDS);
  assert.deepEqual(commandWords('  Re:   CONFIRM\tAbC  '), ['re:', 'confirm', 'abc']);
  assert.deepEqual(commandLines(plain(undefined, 'echo a\necho b'), {}, 0).ignored, ['echo a', 'echo b']);
});
