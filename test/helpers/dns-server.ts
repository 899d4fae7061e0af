// A stand-in nameserver on a loopback UDP port, so a test server pointed at it ([dns]
// nameservers) looks up DMARC policies and DKIM keys with no network. It answers TXT
// questions from a zone table (a missing name is NXDOMAIN, a name mapped to 'SERVFAIL' fails)
// and records every question asked, for assertions.
import { createSocket, type Socket } from 'node:dgram';

/** name (lower case, no trailing dot) -> its TXT records (each a list of strings), or a failure. */
export type Zone = Record<string, string[][] | 'SERVFAIL'>;

const TXT = 16;

export class DnsServer {
  readonly asked: string[] = [];
  private socket?: Socket;
  port = 0;

  constructor(private readonly zone: Zone) {}

  async start(): Promise<this> {
    const socket = createSocket('udp4');
    socket.on('message', (query, peer) => {
      const answer = this.answer(query);
      if (answer) socket.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    this.port = socket.address().port;
    this.socket = socket;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
    // The question: length-prefixed labels up to a zero byte, then type and class.
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const len = query[at]!;
      labels.push(query.subarray(at + 1, at + 1 + len).toString('latin1'));
      at += 1 + len;
    }
    const end = at + 5;
    if (end > query.length) return undefined;
    const qtype = query.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    this.asked.push(name);
    const found = this.zone[name];
    const records = qtype === TXT && Array.isArray(found) ? found : [];
    const rcode = found === 'SERVFAIL' ? 2 : found === undefined ? 3 : 0;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180 | rcode, 2); // a response, recursion desired and available
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((strings) => {
      // A character-string is at most 255 bytes: a longer one (a DKIM key) goes in several.
      const rdata = Buffer.concat(
        strings.flatMap((s) => {
          const b = Buffer.from(s, 'latin1');
          const pieces = [];
          for (let at = 0; at < b.length || at === 0; at += 255) {
            const piece = b.subarray(at, at + 255);
            pieces.push(Buffer.from([piece.length]), piece);
          }
          return pieces;
        }),
      );
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      rr.writeUInt16BE(TXT, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, query.subarray(12, end), ...answers]);
  }
}
