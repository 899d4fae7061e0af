// mailauth's DMARC record lookup (lib/dmarc/get-dmarc-record.js) ships without types.
declare module 'mailauth/lib/dmarc/get-dmarc-record.js' {
  /** The record's tags, lower-cased keys (pct and ri as numbers), or false when there is no policy. */
  interface DmarcRecord {
    v?: string;
    p?: string;
    sp?: string;
    rr: string;
    isOrgRecord: boolean;
    [tag: string]: unknown;
  }
  function getDmarcRecord(
    domain: string,
    resolver: (name: string, rrtype: string) => Promise<unknown>,
  ): Promise<DmarcRecord | false>;
  export default getDmarcRecord;
}
