// An SMTP sink for throughput figures only: it answers EHLO (PIPELINING, 8BITMIME), MAIL, RCPT
// and DATA, counts transactions and recipients, and keeps nothing else. The test sink
// (smtp-server, each message parsed into a Message and kept) costs far more per transaction
// than the server it measures, and it shares this machine's cores with it: with one
// transaction per copy, a personalised run then measures mostly the sink. Real MTAs are not
// measured here either way; tests keep using test/helpers/smtp-sink.ts.
import { createServer, type Server, type Socket } from 'node:net';

export class LeanSink {
  /** Recipients accepted in completed transactions. */
  deliveries = 0;
  /** Completed transactions (one message each). */
  transactions = 0;
  port = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  constructor() {
    this.server = createServer((socket) => this.session(socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** The test sink's name for the transaction count. */
  get received(): { length: number } {
    return { length: this.transactions };
  }

  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private session(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    let buffer = '';
    let inData = false;
    let recipients = 0;
    socket.write('220 lean-sink ESMTP\r\n');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let out = '';
      for (;;) {
        if (inData) {
          // The message ends at a line holding only a dot; DATA put a line end before its first line.
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            // Keep only what could still be the start of the terminator.
            if (buffer.length > 4) buffer = buffer.slice(-4);
            break;
          }
          buffer = buffer.slice(end + 5);
          inData = false;
          this.transactions++;
          this.deliveries += recipients;
          out += '250 2.0.0 queued\r\n';
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) break;
        const verb = buffer.slice(0, 4).toUpperCase();
        buffer = buffer.slice(nl + 2);
        if (verb === 'EHLO') out += '250-lean-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n';
        else if (verb === 'MAIL') {
          recipients = 0;
          out += '250 2.1.0 ok\r\n';
        } else if (verb === 'RCPT') {
          recipients++;
          out += '250 2.1.5 ok\r\n';
        } else if (verb === 'DATA') {
          inData = true;
          buffer = '\r\n' + buffer;
          out += '354 go ahead\r\n';
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else out += '250 ok\r\n';
      }
      if (out) socket.write(out);
      this.check();
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
