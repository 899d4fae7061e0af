// `mailman fmt`: the canonical layout of a chain or pipeline file (docs/language.md#formatting).
//
// A token-stream formatter: the text is re-emitted token by token, comments included, and
// only the whitespace between tokens is decided here. The parser's tree (built even after
// syntax errors, thanks to recovery) only says where items begin: definitions, chains,
// pipelines, links and steps. A file with a lexical or syntax error is returned as it is;
// otherwise nothing is ever dropped or reordered, and as a last guard the result is re-lexed
// and compared with the input.
//
// The layout depends only on the token sequence, plus three things taken from the source
// that the output reproduces exactly (which is what makes the layout idempotent): whether a
// comment shares a line with code, where blank lines were (at most one, between items), and
// where the author broke a long item (before `then`, `and`, `or`, `when`, or after a rule's
// `=`).
import { tokenMatcher } from '../../grammar/chevrotain.js';
import type { IToken, TokenType } from 'chevrotain';
import * as T from '../../grammar/tokens.js';
import { dslParser } from '../../grammar/parser.js';
import { findStructure, isReal, isToken, type ItemKind, type Structure } from './format-structure.js';
import { MAX_SOURCE_CHARS, parseLimitProblem } from '../../grammar/limits.js';

export interface FormatResult {
  text: string;
  changed: boolean;
  /** Why the text was returned as it was, if it was not formatted. */
  skipped?: 'lexical-error' | 'syntax-error' | 'unsafe' | 'too-large';
  /** For `skipped`: what the problem is, in words. */
  reason?: string;
}

/** Lines longer than this do not get their `then` aligned with their neighbours'. */
export const MAX_WIDTH = 100;
const INDENT = '    ';

const is = (token: IToken | undefined, type: TokenType): boolean => token !== undefined && tokenMatcher(token, type);
const isComment = (token: IToken | undefined): boolean => token !== undefined && token.tokenType === T.Comment;

interface Line {
  text: string;
  depth: number;
  role: 'item' | 'comment' | 'close' | 'continuation' | 'blank';
  kind?: ItemKind;
  /** Where this line's `then` begins, for an `if` link that holds it. */
  thenAt?: number;
  /** Where an item too wide for one line is broken: before `then` or `when`, after a rule's `=`. */
  breakAt?: number;
  /** Length before a trailing comment. */
  codeLength?: number;
}

/** `line:column`, 1-based, of an offset (the lexer tracks offsets only). */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

export function format(text: string): FormatResult {
  if (text.length > MAX_SOURCE_CHARS)
    return {
      text,
      changed: false,
      skipped: 'too-large',
      reason: `the file is longer than ${MAX_SOURCE_CHARS} characters`,
    };
  const lexed = T.tokenize(text);
  // The parser below would overflow the stack past these limits (grammar/limits.ts).
  const limit = parseLimitProblem(lexed.tokens);
  if (limit)
    return {
      text,
      changed: false,
      skipped: 'too-large',
      reason: `${limit.message} at ${lineColumn(text, limit.start)}`,
    };
  if (lexed.errors.length > 0) {
    const e = lexed.errors[0];
    return {
      text,
      changed: false,
      skipped: 'lexical-error',
      reason: `unexpected character at ${lineColumn(text, e.offset)}`,
    };
  }
  const unterminated = lexed.tokens.find(
    (t) => t.tokenType === T.UnterminatedString || t.tokenType === T.UnterminatedRegex,
  );
  if (unterminated) {
    const what = unterminated.tokenType === T.UnterminatedString ? 'string' : 'regex';
    return {
      text,
      changed: false,
      skipped: 'lexical-error',
      reason: `unterminated ${what} at ${lineColumn(text, unterminated.startOffset)}`,
    };
  }
  const comments = (lexed.groups.comments ?? []) as IToken[];
  const all = [...lexed.tokens, ...comments].sort((a, b) => a.startOffset - b.startOffset);
  const structure = findStructure(lexed.tokens, text);
  // A layout guessed around a syntax error could move text to where it means something else
  // once the error is fixed: a file that does not parse is left exactly as its author wrote it.
  const syntaxError = dslParser.errors[0];
  if (syntaxError)
    return {
      text,
      changed: false,
      skipped: 'syntax-error',
      reason: `syntax error at ${lineColumn(text, syntaxError.token.startOffset)}: ${syntaxError.message}`,
    };
  const out = layout(text, all, structure);
  const problem = sameTokens(all, out);
  if (problem) return { text, changed: false, skipped: 'unsafe', reason: problem };
  return { text: out, changed: out !== text };
}

// ---------------------------------------------------------------------------------------
// Emitting the tokens.

/**
 * Tokens before which an author's line break is kept (indented as a continuation); for
 * `else`, only between two actions (joinsElse).
 */
const BREAKS_BEFORE: TokenType[] = [T.Then, T.And, T.Or, T.When, T.Else];
/** Reserved words that always begin an item where they may (not after `.`, not before `:`). */
const TOP_LEVEL_WORDS: TokenType[] = [T.Use, T.Let, T.RuleKw, T.Chain, T.Pipeline];

/** What the layout needs to know of each token before it is placed. */
interface Placed {
  token: IToken;
  /** The item this token begins, if it begins one. */
  item?: ItemKind;
  /** Block depth of the line this token would start (a `}` already counts as closed). */
  depth: number;
  /** The next code token (comments skipped). */
  next?: IToken;
  /** Right after the `=` of a `rule` definition, where a break may be kept. */
  afterRuleEquals: boolean;
}

function place(tokens: IToken[], structure: Structure): Placed[] {
  const placed: Placed[] = [];
  let depth = 0;
  let prevCode: IToken | undefined;
  let itemFirst: IToken | undefined;
  for (const token of tokens) placed.push({ token, depth: 0, afterRuleEquals: false });
  for (let i = placed.length - 1, next: IToken | undefined; i >= 0; i--) {
    placed[i].next = next;
    if (!isComment(placed[i].token)) next = placed[i].token;
  }
  for (const p of placed) {
    const t = p.token;
    if (is(t, T.RBrace)) depth = Math.max(0, depth - 1);
    p.depth = depth;
    if (isComment(t)) continue;
    p.item = structure.items.get(t.startOffset);
    const topLevelWord = TOP_LEVEL_WORDS.some((type) => is(t, type));
    if (!p.item && depth === 0 && !is(prevCode, T.Dot) && !is(p.next, T.Colon) && topLevelWord) {
      p.item = is(t, T.Let) || is(t, T.RuleKw) || is(t, T.Use) ? 'definition' : 'declaration';
    }
    if (p.item) itemFirst = t;
    p.afterRuleEquals = is(prevCode, T.Equals) && is(itemFirst, T.RuleKw);
    if (is(t, T.LBrace)) depth++;
    prevCode = t;
  }
  return placed;
}

function layout(text: string, tokens: IToken[], structure: Structure): string {
  const placed = place(tokens, structure);
  const startsItem = new Set(placed.filter((p) => p.item).map((p) => p.token));
  /** Whether the next code token begins an item or closes a block (or the file ends). */
  const betweenItems = (p: Placed): boolean => p.next === undefined || startsItem.has(p.next) || is(p.next, T.RBrace);

  const lines: Line[] = [];
  let current: Line | undefined;
  /** Inside an item, lines after its first are continuations, indented one more. */
  let inItem = false;
  let prev: IToken | undefined;

  for (const p of placed) {
    const t = p.token;
    const comment = isComment(t);
    const closes = is(t, T.RBrace);
    const ownLineComment = comment && (!prev || hasNewline(text, prev, t));

    let role: Line['role'] | undefined;
    if (comment && !ownLineComment)
      role = undefined; // a trailing comment stays on its line
    else if (p.item) role = 'item';
    else if (closes) role = 'close';
    else if (ownLineComment) role = 'comment';
    else if (!prev || isComment(prev)) role = 'continuation';
    else if (is(prev, T.LBrace))
      role = 'item'; // not an item, yet first in a block: a syntax error
    else if (p.afterRuleEquals && hasNewline(text, prev, t)) role = 'continuation';
    else if (BREAKS_BEFORE.some((type) => is(t, type)) && !joinsElse(t, prev, p.next) && hasNewline(text, prev, t))
      role = 'continuation';

    if (role === undefined) {
      const line = current!;
      const space = spaceBetween(prev!, t, structure);
      if (comment) line.codeLength = line.text.length;
      if (line.role === 'item' && line.breakAt === undefined) {
        const at = line.text.length + space.length;
        if (is(t, T.Then) && line.kind === 'if') line.thenAt = line.breakAt = at;
        else if ((is(t, T.When) && line.kind === 'step') || p.afterRuleEquals) line.breakAt = at;
      }
      line.text += space + image(t);
    } else {
      if (role === 'item' || role === 'close') inItem = role === 'item';
      const between = role === 'item' || role === 'close' || (role === 'comment' && betweenItems(p)) || !inItem;
      // A blank line from the source is kept between items, not inside one nor at a block's edge.
      const blankBefore = prev && !is(prev, T.LBrace) && !closes && between && hasBlankLine(text, prev, t);
      if (blankBefore && current?.role !== 'blank') {
        lines.push({ text: '', depth: p.depth, role: 'blank' });
      }
      if (p.item === 'declaration' && p.depth === 0) separateDeclaration(lines);
      current = { text: INDENT.repeat(p.depth + (between ? 0 : 1)) + image(t), depth: p.depth, role };
      if (role === 'item') current.kind = p.item;
      lines.push(current);
    }
    if (is(t, T.LBrace)) inItem = false;
    prev = t;
  }
  const wrapped = wrap(lines);
  alignThen(wrapped);
  const body = wrapped.map((l) => l.text.replace(/[ \t]+$/, '')).join('\n');
  return body.length > 0 ? `${body}\n` : '';
}

/**
 * An `else` that stays on the line before it: after a block's `}`, and before a block or an
 * `else if`, whose lines follow the block layout (`} else {`, `} else if … then {`).
 */
function joinsElse(t: IToken, prev: IToken, next: IToken | undefined): boolean {
  return is(t, T.Else) && (is(prev, T.RBrace) || is(next, T.LBrace) || is(next, T.If));
}

/** An item wider than MAX_WIDTH is broken once, at its preferred place, if it has one. */
function wrap(lines: Line[]): Line[] {
  const out: Line[] = [];
  for (const line of lines) {
    const width = line.codeLength ?? line.text.length;
    if (line.role !== 'item' || line.breakAt === undefined || width <= MAX_WIDTH) {
      out.push(line);
      continue;
    }
    const rest = line.text.slice(line.breakAt);
    out.push({ text: line.text.slice(0, line.breakAt).trimEnd(), depth: line.depth, role: 'item', kind: line.kind });
    out.push({ text: INDENT.repeat(line.depth + 1) + rest, depth: line.depth, role: 'continuation' });
  }
  return out;
}

/** A blank line before a chain or pipeline that follows definitions (before its comments). */
function separateDeclaration(lines: Line[]): void {
  let i = lines.length;
  while (i > 0 && lines[i - 1].role === 'comment' && lines[i - 1].depth === 0) i--;
  if (i > 0 && lines[i - 1].role !== 'blank') lines.splice(i, 0, { text: '', depth: 0, role: 'blank' });
}

function image(t: IToken): string {
  return isComment(t) ? t.image.replace(/\s+$/, '') : t.image;
}

function between(text: string, a: IToken, b: IToken): string {
  return text.slice((a.endOffset ?? a.startOffset) + 1, b.startOffset);
}

function hasNewline(text: string, a: IToken, b: IToken): boolean {
  return /[\r\n]/.test(between(text, a, b));
}

function hasBlankLine(text: string, a: IToken, b: IToken): boolean {
  return /\n[ \t\f\r\uFEFF]*\n/.test(between(text, a, b).replace(/\r\n?/g, '\n'));
}

const isWord = (t: IToken): boolean => tokenMatcher(t, T.Word);

/** The space between two tokens on one line: none inside `name(a: b, c: d)`, `x.y`, `[a, b]`. */
function spaceBetween(a: IToken, b: IToken, structure: Structure): string {
  if (isComment(b)) return ' ';
  if (is(b, T.LParen) && structure.argParens.has(b.startOffset) && isWord(a)) return '';
  if (is(a, T.LParen) || is(a, T.LBracket)) return '';
  if (is(b, T.RParen) || is(b, T.RBracket) || is(b, T.Comma)) return '';
  if (is(b, T.Colon) && isWord(a)) return '';
  if (is(b, T.Dot) && isWord(a)) return '';
  if (is(a, T.Dot) && isWord(b)) return '';
  return ' ';
}

/**
 * Within a run of links with nothing but single-line links and comments between them, the
 * `then` of every `if` line starts in one column, unless that makes a line too wide.
 */
function alignThen(lines: Line[]): void {
  let run: Line[] = [];
  let runDepth = -1;
  const flush = () => {
    const ifs = run.filter((l) => l.thenAt !== undefined);
    if (ifs.length > 1) {
      const column = ifs.reduce((m, l) => Math.max(m, l.thenAt!), 0);
      const fits = ifs.every((l) => (l.codeLength ?? l.text.length) + column - l.thenAt! <= MAX_WIDTH);
      if (fits) {
        for (const l of ifs) {
          l.text = l.text.slice(0, l.thenAt!) + ' '.repeat(column - l.thenAt!) + l.text.slice(l.thenAt!);
        }
      }
    }
    run = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const continued = lines[i + 1]?.role === 'continuation';
    // A `then {` opens a block: its `then` stays next to the condition.
    const opensBlock = line.text.endsWith('{');
    const aligned = line.kind === 'if' ? line.thenAt !== undefined && !opensBlock : line.kind === 'action';
    const member = line.role === 'item' && !continued && aligned;
    const passes = line.role === 'comment';
    if (member && (run.length === 0 || line.depth === runDepth)) {
      run.push(line);
      runDepth = line.depth;
    } else if (passes && line.depth === runDepth) {
      continue;
    } else {
      flush();
      if (member) {
        run.push(line);
        runDepth = line.depth;
      } else runDepth = -1;
    }
  }
  flush();
}

/** The guard: the output lexes to the very tokens and comments of the input. */
function sameTokens(input: IToken[], output: string): string | undefined {
  const lexed = T.tokenize(output);
  if (lexed.errors.length > 0) return 'the formatted text does not lex';
  const comments = (lexed.groups.comments ?? []) as IToken[];
  const again = [...lexed.tokens, ...comments].sort((a, b) => a.startOffset - b.startOffset);
  if (again.length !== input.length) return `the formatted text has ${again.length} tokens, not ${input.length}`;
  for (let i = 0; i < input.length; i++) {
    if (again[i].tokenType !== input[i].tokenType || image(again[i]) !== image(input[i])) {
      return `the formatted text differs at token ${i + 1} ('${input[i].image}' became '${again[i].image}')`;
    }
  }
  return undefined;
}
