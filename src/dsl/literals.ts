// What literal tokens mean: a string's escapes and `{path}` interpolations, a size's bytes,
// a regex's source and flags. Used by lex-parse.ts (to report MM10x on the exact characters)
// and by build-ast.ts (to get the values), so both read a literal the same way.

/** A problem inside a literal, at an offset relative to the token's start. */
export interface LiteralProblem {
  offset: number;
  length: number;
  code: 'MM101' | 'MM102' | 'MM103' | 'MM104';
  message: string;
  hint?: string;
  /** Found only because the string is read as a template (`{path}`). */
  template?: boolean;
}

/** A piece of an interpolated string: literal text, or a `{path}` with its offset in the token. */
export type TemplatePart = string | { path: string[]; offset: number; length: number };

export interface DecodedString {
  value: string;
  /** With `template`: the literal text and `{path}` pieces, in order. */
  parts: TemplatePart[];
  problems: LiteralProblem[];
}

const NO_PROBLEMS: LiteralProblem[] = [];
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t' };
// After a dot a part may start with a digit: `{match.1}`.
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?:\.[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*)*$/;
const ESCAPE_HINT = 'the escapes are \\" \\\\ \\n \\t and \\u{…}';

/**
 * Whether a STRING token's image is closed and has no escape: then its value is the text
 * between the quotes, and read as a plain string it has no problem. The lexer checks every
 * string this way before decoding any.
 */
export function isPlainString(image: string): boolean {
  return image.length >= 2 && image.charCodeAt(image.length - 1) === 34 && !image.includes('\\');
}

/**
 * Decodes a STRING token's image (quotes included). With `template`, `{path}` is an
 * interpolation and `{{` a literal brace; otherwise braces are plain text.
 */
export function decodeString(image: string, template = false): DecodedString {
  // Most strings are plain: no escape, no brace, properly closed. Skip the character walk.
  if (isPlainString(image) && !(template && image.includes('{'))) {
    const value = image.slice(1, -1);
    return { value, parts: value ? [value] : [], problems: NO_PROBLEMS };
  }
  const problems: LiteralProblem[] = [];
  const parts: TemplatePart[] = [];
  const terminated = image.length >= 2 && image.endsWith('"') && !endsWithEscape(image);
  const end = terminated ? image.length - 1 : image.length;
  if (!terminated) {
    problems.push({
      offset: 0,
      length: image.length,
      code: 'MM102',
      message: 'unterminated string',
      hint: 'a string ends with " on the same line',
    });
  }
  let text = '';
  let value = '';
  for (let i = 1; i < end; i++) {
    const c = image[i];
    if (c === '\\') {
      const { decoded, length, problem } = escape(image, i, end);
      if (problem) problems.push(problem);
      text += decoded;
      i += length - 1;
      continue;
    }
    if (template && c === '{') {
      if (image[i + 1] === '{') {
        text += '{';
        i++;
        continue;
      }
      const close = image.indexOf('}', i + 1);
      if (close < 0 || close >= end) {
        problems.push({
          offset: i,
          length: end - i,
          code: 'MM104',
          message: "unclosed '{' in a reason",
          hint: "write '{{' for a literal brace",
          template: true,
        });
        text += image.slice(i, end);
        break;
      }
      const path = image.slice(i + 1, close).trim();
      if (!PATH.test(path)) {
        problems.push({
          offset: i,
          length: close - i + 1,
          code: 'MM104',
          message: `'{${path}}' is not a value to interpolate`,
          hint: "interpolate a path such as {sender} or {list.display_name}; write '{{' for a literal brace",
          template: true,
        });
      }
      if (text) parts.push(text);
      value += text + image.slice(i, close + 1);
      text = '';
      parts.push({ path: path.split('.'), offset: i, length: close - i + 1 });
      i = close;
      continue;
    }
    text += c;
  }
  if (text) parts.push(text);
  value += text;
  return { value, parts, problems };
}

function endsWithEscape(image: string): boolean {
  // `"abc\"` is unterminated: count the backslashes before the final quote.
  let n = 0;
  for (let i = image.length - 2; i > 0 && image[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function escape(image: string, at: number, end: number): { decoded: string; length: number; problem?: LiteralProblem } {
  const next = image[at + 1];
  if (next !== undefined && at + 1 < end && next in ESCAPES) return { decoded: ESCAPES[next], length: 2 };
  if (next === 'u') {
    const m = /^\\u\{([0-9A-Fa-f]{1,6})\}/.exec(image.slice(at, end));
    const cp = m ? parseInt(m[1], 16) : NaN;
    if (m && cp <= 0x10ffff) return { decoded: String.fromCodePoint(cp), length: m[0].length };
    const length = m ? m[0].length : 2;
    const problem = badEscape(image, at, length, 'write a code point as \\u{1F600}, at most 10FFFF');
    return { decoded: '', length, problem };
  }
  const length = next === undefined || at + 1 >= end ? 1 : 2;
  return { decoded: '', length, problem: badEscape(image, at, length, ESCAPE_HINT) };
}

function badEscape(image: string, at: number, length: number, hint: string): LiteralProblem {
  return { offset: at, length, code: 'MM104', message: `bad escape '${image.slice(at, at + length)}'`, hint };
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
/** No message is a terabyte: a larger size is a typo. */
const MAX_SIZE = 1024 ** 4;
/** Whole numbers JavaScript holds exactly. */
export const MAX_NUMBER = Number.MAX_SAFE_INTEGER;

/** A NUMBER token's problem: out of the range numbers are held in exactly. */
export function checkNumber(image: string): LiteralProblem | undefined {
  if (Number(image) <= MAX_NUMBER) return undefined;
  return {
    offset: 0,
    length: image.length,
    code: 'MM103',
    message: `number ${image.length > 24 ? `${image.slice(0, 20)}…` : image} is out of range`,
    hint: `numbers go up to ${MAX_NUMBER}`,
  };
}

/** A SIZE token's bytes (1KB = 1024 bytes, as in Mailman), or a problem. */
export function decodeSize(image: string): { bytes: number; problem?: LiteralProblem } {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/.exec(image);
  if (m && !/\s/.test(image)) {
    const bytes = Math.round(parseFloat(m[1]) * UNITS[m[2]]);
    if (bytes <= MAX_SIZE) return { bytes };
    const message = `size '${image}' is out of range`;
    const hint = 'sizes go up to 1024GB';
    return { bytes: NaN, problem: { offset: 0, length: image.length, code: 'MM103', message, hint } };
  }
  const number = /^\d+(?:\.\d+)?/.exec(image)?.[0] ?? image;
  const unit = image.slice(number.length).trim();
  const fix = UNITS[unit.toUpperCase()] ? `${number}${unit.toUpperCase()}` : undefined;
  const message = unit ? `malformed size '${image}'` : `malformed number '${image}'`;
  const hint = fix
    ? `write '${fix}'`
    : unit
      ? 'a size is a number glued to B, KB, MB or GB, as in 40KB'
      : 'numbers are whole; for a size add a unit, as in 1.5MB';
  return { bytes: NaN, problem: { offset: 0, length: image.length, code: 'MM103', message, hint } };
}

const FLAGS = 'imsu';

/** A REGEX token's source and flags, with problems (unterminated, unknown or repeated flag). */
export function decodeRegex(image: string): { source: string; flags: string; problems: LiteralProblem[] } {
  const problems: LiteralProblem[] = [];
  const close = lastUnescapedSlash(image);
  if (close <= 0) {
    const openClass = /^\/(?:[^\\[]|\\.)*\[/.test(image) && !/\]/.test(image.slice(image.indexOf('[')));
    const hint = openClass
      ? "a '[' opens a character class that runs to ']', so the closing / is inside it; write \\[ for a literal bracket"
      : 'a regex ends with / on the same line; escape a / inside it as \\/';
    problems.push({ offset: 0, length: image.length, code: 'MM102', message: 'unterminated regex', hint });
    return { source: image.slice(1), flags: '', problems };
  }
  const flags = image.slice(close + 1);
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    if (!FLAGS.includes(f) || flags.indexOf(f) !== i) {
      problems.push({
        offset: close + 1 + i,
        length: 1,
        code: 'MM104',
        message: `bad regex flag '${f}'`,
        hint: 'the flags are i, m, s and u, each at most once',
      });
    }
  }
  return { source: image.slice(1, close), flags, problems };
}

function lastUnescapedSlash(image: string): number {
  let inClass = false;
  for (let i = 1; i < image.length; i++) {
    const c = image[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return i;
  }
  return -1;
}
