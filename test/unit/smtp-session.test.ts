// What our SMTP client says to the MTA, read line by line from a scripted MTA on a loopback
// socket: the EHLO name, BODY=8BITMIME for an 8-bit body only (and only to a server that
// offers it), and QUIT on a kept connection once it has been idle for [mta] smtp_idle_quit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { Config } from '../../src/config/config.js';
import { SmtpDelivery } from '../../src/mta/smtp-delivery.js';
import { ehloName } from '../../src/mta/smtp-client.js';

/** A minimal MTA: accepts everything and records each command line and each QUIT'd close. */
class ScriptedMta {
  readonly commands: string[] = [];
  quits = 0;
  private server: Server;
  port = 0;
  constructor(private readonly extensions: string[]) {
    this.server = createServer((sock) => {
      sock.setEncoding('latin1');
      let buf = '';
      let inData = false;
      sock.write('220 mta.example ESMTP\r\n');
      sock.on('data', (chunk: string) => {
        buf += chunk;
        for (;;) {
          if (inData) {
            const end = buf.indexOf('\r\n.\r\n');
            if (end < 0) return;
            buf = buf.slice(end + 5);
            inData = false;
            sock.write('250 2.0.0 queued\r\n');
            continue;
          }
          const nl = buf.indexOf('\r\n');
          if (nl < 0) return;
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 2);
          this.commands.push(line);
          const verb = line.split(' ')[0].toUpperCase();
          if (verb === 'EHLO') {
            const lines = ['mta.example', ...this.extensions];
            sock.write(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
          } else if (verb === 'DATA') {
            inData = true;
            sock.write('354 go ahead\r\n');
          } else if (verb === 'QUIT') {
            this.quits++;
            sock.end('221 2.0.0 bye\r\n');
          } else sock.write('250 2.1.0 ok\r\n');
        }
      });
      sock.on('error', () => undefined);
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  waitForQuit(): Promise<void> {
    return new Promise((resolve) => {
      const poll = setInterval(() => {
        if (this.quits > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
  }
}

const delivery = (port: number, mta: Record<string, string>) =>
  new SmtpDelivery(Config.load({ overrides: { mta: { smtp_host: '127.0.0.1', smtp_port: String(port), ...mta } } }));

const SEVEN = Buffer.from('Subject: plain\r\n\r\nHello.\r\n');
const EIGHT = Buffer.from('Subject: caf\xc3\xa9\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\xc3\xa9.\r\n', 'latin1');

test('EHLO carries [mta] smtp_ehlo_name; BODY=8BITMIME goes with 8-bit bodies only', async () => {
  const mta = await new ScriptedMta(['PIPELINING', '8BITMIME']).start();
  const out = delivery(mta.port, { smtp_ehlo_name: 'lists.example.org' });
  try {
    assert.deepEqual((await out.deliver(SEVEN, 'ant-bounces@example.com', ['a@example.org'])).delivered, [
      'a@example.org',
    ]);
    await out.deliver(EIGHT, 'ant-bounces@example.com', ['b@example.org']);
    assert.equal(mta.commands[0], 'EHLO lists.example.org');
    const mails = mta.commands.filter((c) => c.startsWith('MAIL FROM'));
    assert.deepEqual(mails, [
      'MAIL FROM:<ant-bounces@example.com>',
      'MAIL FROM:<ant-bounces@example.com> BODY=8BITMIME',
    ]);
  } finally {
    out.close();
    await mta.close();
  }
});

test('a server that does not offer 8BITMIME is not sent the parameter', async () => {
  const mta = await new ScriptedMta(['PIPELINING']).start();
  const out = delivery(mta.port, {});
  try {
    await out.deliver(EIGHT, 'ant-bounces@example.com', ['b@example.org']);
    assert.deepEqual(
      mta.commands.filter((c) => c.startsWith('MAIL FROM')),
      ['MAIL FROM:<ant-bounces@example.com>'],
    );
    assert.match(mta.commands[0], /^EHLO \S+$/);
  } finally {
    out.close();
    await mta.close();
  }
});

test('a kept connection idle for smtp_idle_quit is closed with QUIT', async () => {
  const mta = await new ScriptedMta(['PIPELINING']).start();
  const out = delivery(mta.port, { smtp_idle_quit: '200ms' });
  try {
    await out.deliver(SEVEN, 'ant-bounces@example.com', ['a@example.org']);
    assert.equal(mta.quits, 0, 'kept open while it may be reused');
    await mta.waitForQuit();
    assert.equal(mta.commands.at(-1), 'QUIT');
  } finally {
    out.close();
    await mta.close();
  }
});

test('without a configured name: a fully qualified host name, else our address as a literal', () => {
  assert.equal(ehloName('  mx.example.org ', '127.0.0.1', 'box'), 'mx.example.org');
  assert.equal(ehloName('', '127.0.0.1', 'box.example.net'), 'box.example.net');
  assert.equal(ehloName('', '127.0.0.1', 'box'), '[127.0.0.1]');
  assert.equal(ehloName('', '::ffff:192.0.2.7', 'box'), '[192.0.2.7]');
  assert.equal(ehloName('', '::1', 'box'), '[IPv6:::1]');
  assert.equal(ehloName('', undefined, 'box'), 'localhost');
});
