// A small SMTP server that speaks what our client may use and little else: EHLO with
// PIPELINING, 8BITMIME and (unless told not to) CHUNKING, MAIL, RCPT, DATA, BDAT (RFC 3030),
// RSET, QUIT. Two uses: throughput figures (bench/delivery.ts --sink=lean), where the test
// sink (smtp-server, each message parsed and kept) costs more per transaction than the
// server it measures and shares its cores; and the tests of BDAT, which smtp-server does
// not offer. It keeps the messages only when asked to.
import { createServer, type Server, type Socket } from 'node:net';

export interface LeanReceived {
  from: string;
  to: string[];
  raw: Buffer;
  /** The command the message came with. */
  via: 'DATA' | 'BDAT';
}

export interface LeanSinkOptions {
  /** Keep every message (from, to, bytes as stored: dot-stuffing undone). */
  keep?: boolean;
  /** Offer CHUNKING (default: yes). */
  chunking?: boolean;
  /** A reply line for a refused recipient (e.g. '550 5.1.1 no such user'); undefined accepts. */
  rcptReply?: (address: string) => string | undefined;
  /** A reply line for a refused MAIL FROM (e.g. '550 5.7.1 not you'); undefined accepts. */
  mailReply?: (address: string) => string | undefined;
}

/** What a session holds between commands: the transaction under way, and DATA or BDAT bytes still to come. */
interface Session {
  buffer: string;
  from: string;
  to: string[];
  mail: boolean;
  /** DATA: reading up to the lone dot. */
  inData: boolean;
  /** BDAT: bytes of the chunk still to read, and whether it is the last. */
  need: number;
  last: boolean;
  parts: string[];
}

const MAX_LINE = 4096;

export class LeanSink {
  /** Recipients accepted in completed transactions. */
  deliveries = 0;
  /** Completed transactions (one message each). */
  transactions = 0;
  readonly messages: LeanReceived[] = [];
  /** Replies wait this long after what they answer was read (kill tests: writes in flight). */
  delayMs = 0;
  port = 0;
  /** Connections accepted in all, and the most open at once. */
  connections = 0;
  peakConnections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly opts: LeanSinkOptions = {}) {
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
    this.connections++;
    this.peakConnections = Math.max(this.peakConnections, this.sockets.size);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    const s: Session = { buffer: '', from: '', to: [], mail: false, inData: false, need: 0, last: false, parts: [] };
    socket.write('220 lean-sink ESMTP\r\n');
    // Delayed replies go out in order whatever delayMs becomes meanwhile: each waits for the one before.
    let tail = Promise.resolve();
    let queued = 0;
    socket.on('data', (chunk: string) => {
      s.buffer += chunk;
      const out = this.advance(s, socket);
      const delay = this.delayMs;
      if (out && (delay || queued)) {
        queued++;
        tail = tail
          .then(() => (delay ? new Promise((r) => setTimeout(r, delay)) : undefined))
          .then(() => {
            queued--;
            if (!socket.destroyed) socket.write(out);
          });
      } else if (out) socket.write(out);
      this.check();
    });
  }

  /** Handles what the buffer holds; returns the replies, in order. */
  private advance(s: Session, socket: Socket): string {
    let out = '';
    for (;;) {
      if (s.need > 0) {
        const take = Math.min(s.need, s.buffer.length);
        if (this.opts.keep) s.parts.push(s.buffer.slice(0, take));
        s.buffer = s.buffer.slice(take);
        s.need -= take;
        if (s.need > 0) break;
        out += this.endChunk(s);
        continue;
      }
      if (s.inData) {
        // The message ends at a line holding only a dot; DATA put a line end before its first line.
        const end = s.buffer.indexOf('\r\n.\r\n');
        if (end < 0) {
          // Keep only what could still be the start of the terminator.
          if (s.buffer.length > 4) {
            if (this.opts.keep) s.parts.push(s.buffer.slice(0, -4));
            s.buffer = s.buffer.slice(-4);
          }
          break;
        }
        if (this.opts.keep) s.parts.push(s.buffer.slice(0, end + 2));
        s.buffer = s.buffer.slice(end + 5);
        s.inData = false;
        out += this.complete(s, 'DATA');
        continue;
      }
      const nl = s.buffer.indexOf('\r\n');
      if (nl < 0) {
        if (s.buffer.length > MAX_LINE) socket.destroy();
        break;
      }
      const line = s.buffer.slice(0, nl);
      s.buffer = s.buffer.slice(nl + 2);
      const verb = line.slice(0, 4).toUpperCase();
      const path = () => /<([^>]*)>/.exec(line)?.[1] ?? '';
      if (verb === 'EHLO')
        out +=
          '250-lean-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n' +
          (this.opts.chunking === false ? '' : '250-CHUNKING\r\n') +
          '250 OK\r\n';
      else if (verb === 'HELO' || verb === 'NOOP') out += '250 ok\r\n';
      else if (verb === 'MAIL') {
        const refusal = s.mail ? '503 5.5.1 nested MAIL' : this.opts.mailReply?.(path().toLowerCase());
        if (!refusal) Object.assign(s, { from: path(), to: [], mail: true, parts: [] });
        out += `${refusal ?? '250 2.1.0 ok'}\r\n`;
      } else if (verb === 'RCPT') {
        const refusal = s.mail ? this.opts.rcptReply?.(path().toLowerCase()) : '503 5.5.1 MAIL first';
        if (!refusal) s.to.push(path().toLowerCase());
        out += `${refusal ?? '250 2.1.5 ok'}\r\n`;
      } else if (verb === 'DATA') {
        if (!s.to.length) out += '554 5.5.1 no valid recipients\r\n';
        else {
          s.inData = true;
          s.buffer = '\r\n' + s.buffer;
          out += '354 go ahead\r\n';
        }
      } else if (verb === 'BDAT') {
        const m = /^BDAT (\d+)( LAST)?$/i.exec(line);
        if (!m) {
          out += '501 5.5.4 syntax\r\n';
          continue;
        }
        s.need = Number(m[1]);
        s.last = !!m[2];
        if (s.need === 0) out += this.endChunk(s);
      } else if (verb === 'RSET') {
        Object.assign(s, { from: '', to: [], mail: false, parts: [] });
        out += '250 2.0.0 ok\r\n';
      } else if (verb === 'QUIT') {
        socket.end(out + '221 bye\r\n');
        return '';
      } else out += '500 5.5.2 what\r\n';
    }
    return out;
  }

  /** The reply to a BDAT chunk read whole: a transaction without recipients takes nothing. */
  private endChunk(s: Session): string {
    if (!s.mail || !s.to.length) {
      Object.assign(s, { from: '', to: [], mail: false, parts: [] });
      return '554 5.5.1 no valid recipients\r\n';
    }
    return s.last ? this.complete(s, 'BDAT') : '250 2.0.0 chunk ok\r\n';
  }

  private complete(s: Session, via: 'DATA' | 'BDAT'): string {
    this.transactions++;
    this.deliveries += s.to.length;
    if (this.opts.keep) {
      let raw = s.parts.join('');
      // DATA's line-leading dots were doubled on the wire; BDAT's bytes are counted, never escaped.
      if (via === 'DATA') raw = raw.replace(/^\.\./gm, '.').replace(/^\r\n/, '');
      this.messages.push({ from: s.from, to: s.to, raw: Buffer.from(raw, 'latin1'), via });
    }
    Object.assign(s, { from: '', to: [], mail: false, parts: [] });
    return '250 2.0.0 queued\r\n';
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
