// A message as the SMTP wire wants it: CRLF line ends, and for DATA leading dots doubled and
// the end marker. Made once per message (or personalised copy) and shared by every connection.
/** A message ready for DATA: CRLF line ends, leading dots doubled, ".\r\n" appended. */
export function wireFormat(raw: Buffer): Buffer {
  return lineEnds(raw, true);
}

/** A message ready for BDAT (RFC 3030): CRLF line ends, ending with one; counted, so nothing is escaped. */
export function chunkFormat(raw: Buffer): Buffer {
  return lineEnds(raw, false);
}

/**
 * Whether every line already ends in CRLF, with no bare CR or LF, and (for DATA) no line
 * starts with a dot. Our own serialiser writes CRLF, so a personalised copy usually is: then
 * the bytes go as they are instead of being copied byte by byte in JavaScript, per copy.
 */
function alreadyWire(raw: Buffer, forData: boolean): boolean {
  if (!raw.length) return true;
  if (raw[raw.length - 1] !== 0x0a || (forData && raw[0] === 0x2e)) return false;
  let lf = 0;
  for (let at = raw.indexOf(0x0a); at >= 0; at = raw.indexOf(0x0a, at + 1)) {
    if (at === 0 || raw[at - 1] !== 0x0d) return false;
    if (forData && raw[at + 1] === 0x2e) return false;
    lf++;
  }
  let cr = 0;
  for (let at = raw.indexOf(0x0d); at >= 0; at = raw.indexOf(0x0d, at + 1)) cr++;
  return cr === lf;
}

const END = Buffer.from('.\r\n');

function lineEnds(raw: Buffer, forData: boolean): Buffer {
  if (alreadyWire(raw, forData)) return forData ? Buffer.concat([raw, END]) : raw;
  const out = Buffer.allocUnsafe(raw.length + (raw.length >> 6) + 8);
  let n = 0;
  let atLineStart = true;
  let buf = out;
  const grow = () => {
    const bigger = Buffer.allocUnsafe(buf.length * 2);
    buf.copy(bigger, 0, 0, n);
    buf = bigger;
  };
  for (let i = 0; i < raw.length; i++) {
    if (n + 3 >= buf.length) grow();
    const c = raw[i];
    if (forData && atLineStart && c === 0x2e) buf[n++] = 0x2e;
    if (c === 0x0a) {
      if (i === 0 || raw[i - 1] !== 0x0d) buf[n++] = 0x0d;
      buf[n++] = 0x0a;
      atLineStart = true;
      continue;
    }
    if (c === 0x0d && raw[i + 1] !== 0x0a) {
      // A bare CR becomes a line end too: the wire has no other kind.
      buf[n++] = 0x0d;
      buf[n++] = 0x0a;
      atLineStart = true;
      continue;
    }
    buf[n++] = c;
    atLineStart = false;
  }
  if (n + 5 >= buf.length) grow();
  if (!atLineStart) {
    buf[n++] = 0x0d;
    buf[n++] = 0x0a;
  }
  if (forData) {
    buf[n++] = 0x2e;
    buf[n++] = 0x0d;
    buf[n++] = 0x0a;
  }
  return buf.subarray(0, n);
}
