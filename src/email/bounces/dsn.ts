// Delivery status notifications (RFC 3464, and RFC 6533's message/global-delivery-status):
// the machine-readable part of a multipart/report. Its body is a block of per-message fields,
// then one block per recipient; a recipient's Action (or, without one, its Status class) says
// whether the failure is for good.
import type { MimePart } from '../mime-tree.js';
import { isValidEmail } from '../addresses.js';
import type { BounceFailures } from './report.js';

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
/** A delivery-status part larger than this is not read past it: real ones are a few KB. */
const MAX_STATUS_BYTES = 256 * 1024;

/** The failures of every delivery-status part of the message, or undefined when it has none. */
export function dsnFailures(root: MimePart): BounceFailures | undefined {
  let seen = false;
  const out: BounceFailures = { permanent: [], temporary: [] };
  for (const part of root.walk()) {
    if (!STATUS_TYPES.has(part.type) || part.isContainer) continue;
    seen = true;
    const text = part.decodedBytes().subarray(0, MAX_STATUS_BYTES).toString('utf8');
    const [, ...recipients] = fieldBlocks(text);
    for (const fields of recipients) {
      const address = recipientOf(fields);
      if (!address) continue;
      const verdict = verdictOf(fields);
      if (verdict) out[verdict].push(address);
    }
  }
  return seen ? out : undefined;
}

/** Blank-line separated blocks of `Name: value` fields, continuation lines unfolded, names lower-cased. */
export function fieldBlocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  for (const chunk of text.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of chunk.split(/\r?\n/)) {
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const m = /^([!-9;-~]+)[ \t]*:(.*)$/.exec(line);
      if (!m) continue;
      last = m[1].toLowerCase();
      if (!fields.has(last)) fields.set(last, m[2].trim());
    }
    if (fields.size) blocks.push(fields);
  }
  return blocks;
}

/**
 * The member's address: Original-Recipient when the MTA kept it (it is what the list sent to,
 * before any forwarding), else Final-Recipient; only rfc822 (or utf-8) address types.
 */
function recipientOf(fields: Map<string, string>): string | undefined {
  for (const name of ['original-recipient', 'final-recipient']) {
    const value = fields.get(name);
    if (!value) continue;
    const m = /^\s*(rfc822|utf-8)\s*;\s*(.+)$/i.exec(value);
    if (!m) continue;
    const address = m[2]
      .trim()
      .replace(/^<(.*)>$/, '$1')
      .trim();
    if (isValidEmail(address)) return address.toLowerCase();
  }
  return undefined;
}

function verdictOf(fields: Map<string, string>): keyof BounceFailures | undefined {
  const action = fields.get('action')?.toLowerCase().split(/\s/)[0];
  if (action === 'failed') return 'permanent';
  if (action === 'delayed') return 'temporary';
  if (action) return undefined; // delivered, relayed, expanded: not a failure
  const status = /^([245])\.\d{1,3}\.\d{1,3}/.exec(fields.get('status') ?? '');
  if (status?.[1] === '5') return 'permanent';
  if (status?.[1] === '4') return 'temporary';
  return undefined;
}
