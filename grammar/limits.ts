// How large and how deep a file may be before the parsers refuse it. Both parsers (parser.ts,
// the recovering CstParser, and src/dsl/fast-parse.ts) and every later stage recurse once or
// more per level of nesting, so a few hundred levels of `(` or `not` overflow the stack of a
// fresh process. The nesting is measured here on the token stream, iteratively, before
// either parser runs: a file that passes can be walked recursively by every stage.
//
// The limits are far above what a real chain needs (the built-in files nest 3 deep and the
// largest is 40 lines) and far below what breaks the stack or stalls a runner.
import type { IToken, TokenType } from 'chevrotain';
import * as T from './tokens.js';

/** Levels of `(`, `[`, `{` and consecutive `not`s, together. */
export const MAX_NESTING = 64;
/** Characters of one file (the 10,000-line chain of docs/language.md#limits is about 720,000). */
export const MAX_SOURCE_CHARS = 1_000_000;
/** Tokens of one file (the 10,000-line chain has about 108,000). */
export const MAX_TOKENS = 150_000;
/** Characters of one string or regex literal, quotes and slashes included. */
export const MAX_LITERAL_CHARS = 10_000;
/** Links of one chain (nested `for` links included), or steps of one pipeline. */
export const MAX_LINKS = 20_000;

export interface LimitProblem {
  /** depth: MM204; size: MM205. */
  kind: 'depth' | 'size';
  /** Offsets in the text: where to point. */
  start: number;
  end: number;
  message: string;
  hint: string;
}

const OPENS: ReadonlySet<TokenType> = new Set([T.LParen, T.LBracket, T.LBrace]);
const CLOSES: ReadonlySet<TokenType> = new Set([T.RParen, T.RBracket, T.RBrace]);

/**
 * The first place the tokens nest deeper than MAX_NESTING, or undefined. A `not` counts as a
 * level until the next token that is neither `not` nor an opening bracket (`not not x`,
 * `not (not x)`); a bracket counts until its close. Unbalanced brackets are the parser's
 * problem: a stray close pops nothing.
 */
export function nestingProblem(tokens: readonly IToken[]): LimitProblem | undefined {
  /** Per open bracket, the run of `not`s before it, which stays open with it. */
  const stack: number[] = [];
  let depth = 0;
  let nots = 0;
  // Indexed, not for-of: V8 made an iterator result per token here (2 MB per 10,000 lines).
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const type = t.tokenType;
    if (type === T.Not) {
      nots++;
      depth++;
    } else if (OPENS.has(type)) {
      stack.push(nots + 1);
      nots = 0;
      depth++;
    } else {
      depth -= nots;
      nots = 0;
      if (CLOSES.has(type) && stack.length > 0) depth -= stack.pop()!;
    }
    if (depth > MAX_NESTING) {
      return {
        kind: 'depth',
        start: t.startOffset,
        end: (t.endOffset ?? t.startOffset) + 1,
        message: `this nests more than ${MAX_NESTING} levels deep (parentheses, lists, blocks and 'not' together)`,
        hint: "split the condition into named rules ('rule NAME = …') and combine them",
      };
    }
  }
  return undefined;
}

/** Too many tokens for one file, or undefined. */
export function tokenCountProblem(tokens: readonly IToken[]): LimitProblem | undefined {
  if (tokens.length <= MAX_TOKENS) return undefined;
  const t = tokens[MAX_TOKENS];
  return {
    kind: 'size',
    start: t.startOffset,
    end: (t.endOffset ?? t.startOffset) + 1,
    message: `the file has more than ${MAX_TOKENS} words and symbols`,
    hint: 'split it into several chains joined by jump or detour',
  };
}

/** The first problem that keeps the parsers from running on these tokens. */
export function parseLimitProblem(tokens: readonly IToken[]): LimitProblem | undefined {
  return tokenCountProblem(tokens) ?? nestingProblem(tokens);
}
