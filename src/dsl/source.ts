import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { MAX_SOURCE_CHARS } from '../../grammar/limits.js';

// A source file's text with its line table: turns the UTF-16 offsets the lexer gives into
// the 1-based line and code-point column that diagnostics and the IR's `at` report.

/** A half-open range of UTF-16 offsets into the source: [start, end). */
export interface Span {
  start: number;
  end: number;
}

export interface Position {
  line: number;
  column: number;
}

export class SourceText {
  private readonly lineStarts: number[] = [0];
  /** Whether any code point takes two UTF-16 units; if none, a column is a subtraction. */
  private readonly astral: boolean;
  /** The last column counted (line start, offset, code points), to go on from it. */
  private last = { from: -1, at: -1, count: 0 };

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.astral = /[\uD800-\uDBFF]/.test(text);
  }

  /**
   * Code points from a line start to an offset. Counting from the line start each time is
   * quadratic on a long line (a 60,000-operand condition): go on from the last count instead.
   */
  private column(from: number, at: number): number {
    if (!this.astral) return at - from;
    const last = this.last;
    const count =
      last.from === from && last.at <= at
        ? last.count + codePoints(this.text, last.at, at)
        : codePoints(this.text, from, at);
    this.last = { from, at, count };
    return count;
  }

  /** The 1-based line and code-point column of an offset (clamped to the text). */
  position(offset: number): Position {
    const at = Math.max(0, Math.min(Number.isFinite(offset) ? offset : this.text.length, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: this.column(this.lineStarts[lo], at) + 1 };
  }

  /** `line:col` of an offset, as IR nodes carry it. */
  at(offset: number): string {
    const { line, column } = this.position(offset);
    return `${line}:${column}`;
  }

  /** The text of a 1-based line, without its line break. */
  line(line: number): string | undefined {
    return sourceLine(this.text, line);
  }
}

/** The text of a 1-based line of `text`, without its line break. */
export function sourceLine(text: string, line: number): string | undefined {
  let start = 0;
  for (let n = 1; n < line; n++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const nl = text.indexOf('\n', start);
  return text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, '');
}

/** Code points in text[from, to): a surrogate pair counts once. */
function codePoints(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= to) n++;
    else {
      n++;
      i++;
    }
  }
  return n;
}

/**
 * A chain or pipeline file's text, read no further than a file of the largest size allowed
 * could reach: a huge file (an accident, or an attack) is not taken into memory whole, and
 * what is read is still over the limit, so compile() refuses it (MM205) without lexing it.
 */
export function readSourceFile(path: string): string {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; one unit more than allowed is enough.
  const cap = MAX_SOURCE_CHARS * 3 + 4;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= cap) return readFileSync(fd, 'utf8');
    const buf = Buffer.alloc(cap);
    const n = readSync(fd, buf, 0, cap, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
