// The tokens of the chain and pipeline language (docs/language.md#lexical-structure) and the one lexer built from
// them. Tokens only: what a token means (a string's escapes, a size's bytes) is decided in
// src/dsl, so this file stays a description of the text.
//
// A few tokens exist only to lex broken text into something the parser can still use
// (an unterminated string is still a STRING to the parser); src/dsl/lex-parse.ts reports
// them as MM1xx diagnostics, so one typo does not cascade into a page of syntax errors.
import { createToken, Lexer } from './chevrotain.js';
import type { ILexingResult, IToken, TokenType } from 'chevrotain';

/** Any identifier-like token: what may follow `.` or precede `:` (keywords included). */
export const Word = createToken({ name: 'Word', pattern: Lexer.NA, label: 'a word' });
/** What may name a chain: a NAME, or one of the four terminal chains that are also actions. */
export const ChainName = createToken({ name: 'ChainName', pattern: Lexer.NA, label: 'a chain name' });

export const Name = createToken({
  name: 'Name',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/,
  categories: [Word, ChainName],
  label: 'a name',
});

// Reserved words, in the order of docs/language.md#lexical-structure. The lexer never tries them
// one by one: it reads a Name and makes it the keyword when the whole word is one (DslLexer), so
// a word that goes on (`reject-message`, `andy`) stays a Name.
const KEYWORDS = [
  'chain',
  'pipeline',
  'let',
  'rule',
  'if',
  'then',
  'else',
  'for',
  'in',
  'when',
  'accept',
  'hold',
  'reject',
  'discard',
  'defer',
  'stop',
  'jump',
  'detour',
  'run',
  'to',
  'otherwise',
  'and',
  'or',
  'not',
  'is',
  'a',
  'an',
  'contains',
  'matches',
  'starts',
  'ends',
  'with',
  'exists',
  'missing',
  'header',
  'as',
  'count',
  'true',
  'false',
  'from',
  'before',
  'after',
  'without',
  'replace',
  'use',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** The four actions that also name their terminal chain (`jump accept`). */
const CHAIN_KEYWORDS: ReadonlySet<string> = new Set(['accept', 'hold', 'reject', 'discard']);

function keyword(word: Keyword): TokenType {
  const name = word.charAt(0).toUpperCase() + word.slice(1);
  return createToken({
    name,
    pattern: new RegExp(word), // what the word is; the lexer finds it as a Name (DslLexer)
    categories: CHAIN_KEYWORDS.has(word) ? [Word, ChainName] : [Word],
    label: `'${word}'`,
  });
}

export const keywords: Readonly<Record<Keyword, TokenType>> = Object.fromEntries(
  KEYWORDS.map((w) => [w, keyword(w)]),
) as Record<Keyword, TokenType>;
export const {
  chain: Chain,
  pipeline: Pipeline,
  let: Let,
  rule: RuleKw,
  if: If,
  then: Then,
  else: Else,
  for: For,
  in: In,
  when: When,
  accept: Accept,
  hold: Hold,
  reject: Reject,
  discard: Discard,
  defer: Defer,
  stop: Stop,
  jump: Jump,
  detour: Detour,
  run: Run,
  to: To,
  otherwise: Otherwise,
  and: And,
  or: Or,
  not: Not,
  is: Is,
  a: A,
  an: An,
  contains: Contains,
  matches: Matches,
  starts: Starts,
  ends: Ends,
  with: With,
  exists: Exists,
  missing: Missing,
  header: Header,
  as: As,
  count: Count,
  true: True,
  false: False,
  from: From,
  before: Before,
  after: After,
  without: Without,
  replace: Replace,
  use: Use,
} = keywords;

// Literals. SIZE comes before NUMBER so `40KB` is one token; a digit run glued to letters
// (`40kb`, `3x`) or with a fraction but no unit (`1.5`) is a malformed size, still usable
// where a SIZE is expected.
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: 'a string' });
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\r\n]|\\.)*/,
  categories: [StringLit],
  label: 'a string',
});
/** `'text'`: a string in the wrong quotes, lexed whole so one mistake is one MM101. */
export const SingleQuotedString = createToken({
  name: 'SingleQuotedString',
  pattern: /'[^'\r\n]*'/,
  categories: [StringLit],
  label: 'a string',
});
export const RegexLit = createToken({
  name: 'RegexLit',
  pattern: /\/(?:[^/\\\r\n[]|\\.|\[(?:[^\]\\\r\n]|\\.)*\])*\/[A-Za-z]*/,
  label: 'a regex',
});
export const UnterminatedRegex = createToken({
  name: 'UnterminatedRegex',
  pattern: /\/[^\r\n]*/,
  categories: [RegexLit],
  label: 'a regex',
});
export const Size = createToken({
  name: 'Size',
  pattern: /\d+(?:\.\d+)?(?:B|KB|MB|GB)(?![A-Za-z0-9_])/,
  label: 'a size',
});
export const BadNumber = createToken({
  name: 'BadNumber',
  pattern: /\d+(?:\.\d+)?[A-Za-z_][A-Za-z0-9_]*|\d+\.\d+/,
  categories: [Size],
  label: 'a size',
});
export const NumberLit = createToken({ name: 'NumberLit', pattern: /\d+/, label: 'a number' });

// Punctuation. `<=` before `<`, `>=` before `>`.
export const LBrace = createToken({ name: 'LBrace', pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/, label: "']'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });
export const LessEq = createToken({ name: 'LessEq', pattern: /<=/, label: "'<='" });
export const Less = createToken({ name: 'Less', pattern: /</, label: "'<'" });
export const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/, label: "'>='" });
export const Greater = createToken({ name: 'Greater', pattern: />/, label: "'>'" });

/** `#` to end of line; kept in the `comments` group for the formatter. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\uFEFF]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

const keywordTokens = KEYWORDS.map((w) => keywords[w]);
/** A whole word to its keyword token type. */
const KEYWORD_OF: ReadonlyMap<string, TokenType> = new Map(KEYWORDS.map((w) => [w, keywords[w]]));
/**
 * Each keyword's word as one shared string, by token type index: a keyword token holds it
 * instead of its own copy of the text, which then dies young instead of being kept and promoted
 * with the token through a whole compile (issue 15).
 */
const KEYWORD_IMAGE: string[] = [];
for (const w of KEYWORDS) KEYWORD_IMAGE[keywords[w].tokenTypeIdx!] = w;

/** Every token type, in lexing order (the order matters: first match wins). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  ...keywordTokens,
  Name,
  StringLit,
  UnterminatedString,
  SingleQuotedString,
  RegexLit,
  UnterminatedRegex,
  Size,
  BadNumber,
  NumberLit,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equals,
  Dot,
  LessEq,
  Less,
  GreaterEq,
  Greater,
  Word,
  ChainName,
];

/**
 * Chevrotain's lexer, making each token whole as it is found: a Name that is a reserved word
 * becomes that keyword (one regex per word instead of trying each keyword that starts with its
 * letter), and every token gets its endOffset (inclusive) at once, as with full tracking. Adding
 * endOffset afterwards gave each of a big file's tokens a second allocation and a second shape.
 */
class DslLexer extends Lexer {
  // Chevrotain's constructor picks this method by name for positionTracking 'onlyOffset'; the
  // check below dslLexer fails loudly at load if a Chevrotain upgrade stops calling it.
  createOffsetOnlyToken(image: string, startOffset: number, tokenTypeIdx: number, tokenType: TokenType): IToken {
    if (tokenType === Name) {
      const kw = KEYWORD_OF.get(image);
      if (kw !== undefined) {
        tokenType = kw;
        tokenTypeIdx = kw.tokenTypeIdx!;
        image = KEYWORD_IMAGE[tokenTypeIdx];
      }
    }
    return { image, startOffset, endOffset: startOffset + image.length - 1, tokenTypeIdx, tokenType } as IToken;
  }
}

/** Not lexed by pattern: DslLexer makes a Name a keyword. */
const keywordSet: ReadonlySet<TokenType> = new Set(keywordTokens);

/**
 * The lexer, built once per process. It tracks offsets only: line and column tracking
 * cost a fifth of a 10,000-line compile, and diagnostics turn offsets into lines and columns
 * themselves (SourceText).
 */
export const dslLexer = new DslLexer(
  allTokens.filter((t) => !keywordSet.has(t)),
  { positionTracking: 'onlyOffset', ensureOptimizations: true },
);

const probe = dslLexer.tokenize('if').tokens[0];
if (probe?.tokenType !== If || probe.endOffset !== 1) throw new Error('grammar/tokens.ts: DslLexer is not in use');

/** Lexes `text`; every token and comment has its endOffset (inclusive). */
export function tokenize(text: string): ILexingResult {
  return dslLexer.tokenize(text);
}
