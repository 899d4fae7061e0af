// What a reason (the string of `hold`, `reject`, `discard`) may interpolate besides paths, and
// how values are shown in it. A reason is quoted to the sender and stored with a held message,
// so whatever comes from the message is bounded and stripped of control characters first.
import type * as A from './ast.js';
import type { MessageContext } from '../registry.js';

/** `{header.NAME}`: the header's values; `{match.N}`: a group of the regex that matched. */
export type ReasonSpecial =
  | { kind: 'header'; name: string }
  | { kind: 'capture'; group: number }
  | { kind: 'bad'; message: string; hint: string };

/** Groups 0 (the whole match) to 9 can be interpolated. */
export const MAX_CAPTURE = 9;

export function reasonSpecial(p: A.Path): ReasonSpecial | undefined {
  const [first, ...rest] = p.parts.map((x) => x.name);
  if (first === 'header') {
    if (rest.length > 0) return { kind: 'header', name: rest.join('.') };
    return { kind: 'bad', message: "'{header}' names no header", hint: 'write {header.X-Spam-Score}' };
  }
  if (first === 'match' && rest.length > 0) {
    if (rest.length === 1 && /^\d$/.test(rest[0])) return { kind: 'capture', group: Number(rest[0]) };
    return {
      kind: 'bad',
      message: `'{${['match', ...rest].join('.')}}' is not a capture`,
      hint: `write {match.0} for the whole match, {match.1} to {match.${MAX_CAPTURE}} for its groups`,
    };
  }
  return undefined;
}

/** Code points of one interpolated value, at most; the rest is cut and shown as `…`. */
export const MAX_SHOWN_VALUE = 200;

/** A value as a reason shows it: lists joined by ", ", control characters as spaces, bounded. */
export function shownValue(x: unknown): string {
  let s = '';
  const add = (v: unknown): void => {
    if (s.length > MAX_SHOWN_VALUE * 4) return; // far past the bound already: stop joining
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (i > 0) s += ', ';
        add(item);
      });
    } else s += String(v);
  };
  add(x);
  // C0, DEL, C1, and the format characters that reorder or hide text (bidi overrides).
  const clean = s.replace(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/gu, ' ').trim();
  const chars = [...clean];
  return chars.length > MAX_SHOWN_VALUE ? chars.slice(0, MAX_SHOWN_VALUE).join('') + '…' : clean;
}

/** Bytes as people read them: "512 B", "40 KB", "2.1 MB" (1 KB = 1024 bytes, as sizes are written). */
export function humanSize(x: unknown): string {
  const n = typeof x === 'number' ? x : Number(x);
  if (!Number.isFinite(n) || n < 0) return shownValue(x);
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

// The groups of the last `matches` that held, per message, for `{match.N}` in the reason of
// the same link (the link clears them before its condition runs).
const captures = new WeakMap<MessageContext, string[]>();

export function setCaptures(ctx: MessageContext, groups: string[]): void {
  captures.set(ctx, groups);
}

export function clearCaptures(ctx: MessageContext): void {
  captures.delete(ctx);
}

export function capture(ctx: MessageContext, group: number): string {
  return captures.get(ctx)?.[group] ?? '';
}
