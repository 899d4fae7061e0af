// The queue file format: one JSON line of metadata, then the raw RFC 5322 bytes. Plain text
// so `mailman qfile` and a pager can read it; no pickles, no schema to drift.

export type MsgData = Record<string, unknown> & {
  listid?: string;
  whichq?: string;
  recipients?: string[];
  _bak_count?: number;
};

export const QFILE_VERSION = 1;

export function encodeQueueFile(raw: Buffer, msgdata: MsgData): Buffer {
  return Buffer.concat([encodeMetadataLine(msgdata), raw]);
}

/** The first line of a queue file; the message's bytes follow it. */
export function encodeMetadataLine(msgdata: MsgData): Buffer {
  return Buffer.from(JSON.stringify({ ...msgdata, version: QFILE_VERSION }) + '\n', 'utf8');
}

export function decodeQueueFile(data: Buffer): { raw: Buffer; msgdata: MsgData } {
  const nl = data.indexOf(0x0a);
  if (nl < 0) throw new Error('queue file has no metadata line');
  const msgdata = JSON.parse(data.subarray(0, nl).toString('utf8')) as MsgData;
  return { raw: data.subarray(nl + 1), msgdata };
}
