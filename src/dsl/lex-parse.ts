// Stage 1: text -> tokens -> concrete syntax tree, with every lexical (MM1xx) and syntax
// (MM2xx) problem as a diagnostic. The parser recovers, so one file reports several errors.
import { EOF, tokenMatcher } from '../../grammar/chevrotain.js';
import type { CstNode, IRecognitionException, IToken, TokenType } from 'chevrotain';
import {
  tokenize,
  Name,
  Word,
  NumberLit,
  Size,
  RegexLit,
  StringLit,
  BadNumber,
  UnterminatedString,
  UnterminatedRegex,
  SingleQuotedString,
  Colon,
  Contains,
  Ends,
  Greater,
  Is,
  Less,
  Matches,
  Starts,
  With,
  If,
  Let,
  RuleKw,
  Dot,
  Run,
  Jump,
  Detour,
  Equals,
  Chain,
  Pipeline,
  Or,
  And,
  LParen,
  RParen,
  Comma,
} from '../../grammar/tokens.js';
import { dslParser, parseTokens, type StartRule } from '../../grammar/parser.js';
import { MAX_LITERAL_CHARS, type LimitProblem } from '../../grammar/limits.js';
import { Codes, DiagnosticSink, type Diagnostic } from './diagnostics.js';
import { checkNumber, decodeRegex, decodeSize, decodeString, isPlainString, type LiteralProblem } from './literals.js';
import { habit } from './suggest.js';
import type { SourceText, Span } from './source.js';

export interface LexParseResult {
  /** The tree; after syntax errors it holds what recovery salvaged. */
  cst: CstNode;
  tokens: IToken[];
  /** `#` comments, in order, for the formatter. */
  comments: IToken[];
  diagnostics: Diagnostic[];
  /** Offsets of syntax errors, so later stages can mute the declarations they fall in. */
  syntaxErrorOffsets: number[];
}

const CHARACTER_HINTS: Record<string, string> = {
  "'": 'strings are written in double quotes',
  ';': 'links and steps need no separator',
  '!': "write 'not'",
  '&': "write 'and'",
  '|': "write 'or'",
  '-': 'a name may contain single hyphens between letters or digits',
};

const ACTIONS_HINT = 'the actions are accept, hold, reject, discard, defer, stop, jump, detour and run';

/** Stage 1a: the tokens, with every lexical problem (MM1xx) in `sink`. */
export function lex(source: SourceText, sink: DiagnosticSink): { tokens: IToken[]; comments: IToken[] } {
  const lexed = tokenize(source.text);
  for (const e of lexed.errors) {
    const chars = source.text.slice(e.offset, e.offset + e.length);
    sink.error(
      { start: e.offset, end: e.offset + e.length },
      Codes.BadCharacter,
      `unexpected character${chars.length > 1 ? 's' : ''} '${chars}'`,
      CHARACTER_HINTS[chars[0]],
    );
  }
  const tokens = repairHabits(joinSpacedSizes(lexed.tokens, source.text), source.text, sink);
  for (let i = 0; i < tokens.length; i++) checkLiteral(tokens[i], sink); // no iterator result per token
  return { tokens, comments: (lexed.groups.comments ?? []) as IToken[] };
}

/** A token of another type in the same place: what the author meant, for the parser. */
function retyped(t: IToken, type: TokenType): IToken {
  return { ...t, tokenType: type, tokenTypeIdx: type.tokenTypeIdx! };
}

/** Sieve's `:comparator` tags, written against the colon: `header "X" :contains "y"`. */
const SIEVE_TAGS: Readonly<Record<string, [TokenType, string]>> = {
  contains: [Contains, 'contains'],
  is: [Is, 'is'],
  matches: [Matches, 'matches'],
  regex: [Matches, 'matches'],
  value: [Is, 'is'],
  over: [Greater, '>'],
  under: [Less, '<'],
};

/**
 * Sieve habits that would otherwise derail the parser, reported once each (MM201, "did you
 * mean …?") and read as what was meant, so the rest of the link, and of the file, is still
 * parsed and checked: `begins with` and `startswith` (`starts with`), `endswith`, and the
 * `:contains`, `:is`, `:matches`, `:regex`, `:over`, `:under` tags. The file still has an error,
 * so it never compiles to something its author did not write.
 */
export function repairHabits(tokens: IToken[], text: string, sink: DiagnosticSink): IToken[] {
  let out: IToken[] | undefined;
  /** Commas of an `anyof(…)`/`allof(…)` to read as `or`/`and`, by index. */
  const joiners = new Map<number, TokenType>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const joiner = joiners.get(i);
    if (joiner) {
      out!.push(retyped(t, joiner));
      continue;
    }
    const next = tokens[i + 1];
    const isName = tokenMatcher(t, Name);
    // Most tokens are neither a habit word nor a colon: pass them on before any string work.
    const word = isName ? t.image.toLowerCase() : '';
    const habitual = isName ? HABIT_WORDS.has(word) : tokenMatcher(t, Colon);
    if (!habitual || (!tokenMatcher(t, Colon) && isNamed(tokens[i - 1], next))) {
      out?.push(t);
      continue;
    }
    let replacement: IToken[] | undefined;
    let skip = 0;
    if (tokenMatcher(t, Name) && word === 'elsif' && startsLine(text, tokens[i - 1], t)) {
      // Sieve's `elsif TEST` reads as this language's next `if TEST` link (`else` is a keyword here).
      sink.error(
        { start: t.startOffset, end: t.endOffset! + 1 },
        Codes.Syntax,
        `'${t.image}' is not a keyword`,
        habit(word),
      );
      replacement = [retyped(t, If)];
    } else if (tokenMatcher(t, Name) && (word === 'anyof' || word === 'allof') && next && tokenMatcher(next, LParen)) {
      // `anyof(A, B)` is `(A or B)`: the commas at the top level of its brackets become `or`.
      sink.error(
        { start: t.startOffset, end: t.endOffset! + 1 },
        Codes.Syntax,
        `'${t.image}' is not a test`,
        habit(word),
      );
      const joiner = word === 'anyof' ? Or : And;
      let depth = 0;
      for (let j = i + 1; j < tokens.length; j++) {
        const u = tokens[j];
        if (tokenMatcher(u, LParen)) depth++;
        else if (tokenMatcher(u, RParen)) depth--;
        else if (depth === 1 && tokenMatcher(u, Comma)) joiners.set(j, joiner);
        if (depth === 0) break;
      }
      replacement = [];
    } else if (tokenMatcher(t, Name) && word === 'begins' && next && tokenMatcher(next, With)) {
      sink.error(
        { start: t.startOffset, end: next.endOffset! + 1 },
        Codes.Syntax,
        "'begins with' is not a predicate",
        "did you mean 'starts with'?",
      );
      replacement = [retyped(t, Starts)];
    } else if (tokenMatcher(t, Name) && ['startswith', 'beginswith', 'endswith'].includes(word)) {
      const ends = word === 'endswith';
      sink.error(
        { start: t.startOffset, end: t.endOffset! + 1 },
        Codes.Syntax,
        `'${t.image}' is not a predicate`,
        `did you mean '${ends ? 'ends' : 'starts'} with'?`,
      );
      replacement = [retyped(t, ends ? Ends : Starts), retyped(t, With)];
    } else if (
      tokenMatcher(t, Colon) &&
      next &&
      next.startOffset === t.endOffset! + 1 &&
      Object.hasOwn(SIEVE_TAGS, next.image.toLowerCase()) &&
      i > 0 &&
      /\s/.test(text[t.startOffset - 1] ?? '')
    ) {
      const [type, written] = SIEVE_TAGS[next.image.toLowerCase()];
      sink.error(
        { start: t.startOffset, end: next.endOffset! + 1 },
        Codes.Syntax,
        `':${next.image}' is Sieve's spelling`,
        `did you mean '${written}'?`,
      );
      replacement = [retyped(next, type)];
      out ??= tokens.slice(0, i);
      out.push(...replacement);
      i++; // the tag is consumed with its colon
      continue;
    }
    if (replacement) {
      out ??= tokens.slice(0, i);
      out.push(...replacement);
      i += skip;
      continue;
    }
    out?.push(t);
  }
  return out ?? tokens;
}

/** The words repairHabits looks at; any other name is passed through at once. */
const HABIT_WORDS: ReadonlySet<string> = new Set([
  'elsif',
  'anyof',
  'allof',
  'begins',
  'startswith',
  'beginswith',
  'endswith',
]);

/** Whether a token is the first of its line: where a Sieve `elsif` would be. */
function startsLine(text: string, prev: IToken | undefined, t: IToken): boolean {
  return !prev || text.slice(prev.endOffset! + 1, t.startOffset).includes('\n');
}

/** A word being defined, called or read as a path is a name, whatever it looks like. */
function isNamed(prev: IToken | undefined, next: IToken | undefined): boolean {
  if (prev && [Let, RuleKw, Chain, Pipeline, Dot, Run, Jump, Detour].some((type) => tokenMatcher(prev, type)))
    return true;
  return next !== undefined && [Equals, Colon, Dot].some((type) => tokenMatcher(next, type));
}

export function lexAndParse(
  source: SourceText,
  start: StartRule = 'file',
  lexed?: { tokens: IToken[]; comments: IToken[]; diagnostics: Diagnostic[] },
): LexParseResult {
  const sink = new DiagnosticSink(source);
  let tokens: IToken[];
  let comments: IToken[];
  if (lexed) {
    ({ tokens, comments } = lexed);
    for (const d of lexed.diagnostics) sink.items.push(d);
  } else ({ tokens, comments } = lex(source, sink));

  const cst = parseTokens(tokens, start);
  const syntaxErrorOffsets: number[] = [];
  if (cst.refused) {
    reportLimit(cst.refused, sink);
    syntaxErrorOffsets.push(cst.refused.start);
    return { cst, tokens, comments, diagnostics: sink.items, syntaxErrorOffsets };
  }
  const seen = new Set<string>();
  // An unterminated string or regex swallows the rest of its line, so the parser's complaint
  // about what follows only repeats it: keep the MM102, drop that MM201 (still muting).
  const unterminated = tokens.filter((t) => t.tokenType === UnterminatedString || t.tokenType === UnterminatedRegex);
  const unterminatedEnds = new Set(unterminated.map((t) => t.endOffset! + 1));
  for (const e of dslParser.errors) {
    const span = errorSpan(e, tokens, source.text.length);
    const key = `${span.start}:${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    syntaxErrorOffsets.push(span.start);
    const before =
      tokens[tokens.indexOf(e.token) - 1] ?? (e.token.tokenType === EOF ? tokens[tokens.length - 1] : undefined);
    if (before && unterminatedEnds.has(before.endOffset! + 1)) continue;
    sink.error(span, Codes.Syntax, e.message, syntaxHint(e));
  }
  return { cst, tokens, comments, diagnostics: sink.items, syntaxErrorOffsets };
}

/**
 * `40 KB`: a NUMBER then a unit NAME on the same line becomes one (malformed) SIZE, reported
 * once as MM103 (and laid out as one by fmt). The lexer tracks offsets only, so "the same
 * line" is read from the text between the two.
 */
export function joinSpacedSizes(tokens: IToken[], text: string): IToken[] {
  // Nearly every file has none: find the first before copying anything.
  let first = -1;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const [t, next] = [tokens[i], tokens[i + 1]];
    if (t.tokenType === NumberLit && next.tokenType === Name && /^(b|kb|mb|gb)$/i.test(next.image)) {
      first = i;
      break;
    }
  }
  if (first < 0) return tokens;
  const out: IToken[] = tokens.slice(0, first);
  for (let i = first; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    const unitAfter = next && tokenMatcher(next, Name) && /^(b|kb|mb|gb)$/i.test(next.image);
    if (tokenMatcher(t, NumberLit) && unitAfter && !/[\r\n]/.test(text.slice(t.endOffset! + 1, next.startOffset))) {
      out.push({
        ...t,
        image: `${t.image} ${next.image}`,
        endOffset: next.endOffset,
        tokenType: BadNumber,
        tokenTypeIdx: BadNumber.tokenTypeIdx!,
      });
      i++;
      continue;
    }
    out.push(t);
  }
  return out;
}

/** Token types whose text needs checking; the rest (names, keywords, punctuation) never do. */
const LITERAL_TYPES: ReadonlySet<TokenType> = new Set([
  SingleQuotedString,
  StringLit,
  UnterminatedString,
  RegexLit,
  UnterminatedRegex,
  Size,
  BadNumber,
  NumberLit,
]);

/** A limit of grammar/limits.ts as its diagnostic (MM204 or MM205). */
export function reportLimit(p: LimitProblem, sink: DiagnosticSink): void {
  sink.error({ start: p.start, end: p.end }, p.kind === 'depth' ? Codes.TooDeep : Codes.TooLarge, p.message, p.hint);
}

/** No problem: shared, so the many clean literals allocate nothing. */
const NONE: readonly LiteralProblem[] = [];

function checkLiteral(token: IToken, sink: DiagnosticSink): void {
  const type = token.tokenType;
  if (!LITERAL_TYPES.has(type)) return;
  if (token.image.length > MAX_LITERAL_CHARS) {
    // Pointing at the opening quote or slash: the whole literal would be one long caret line.
    const what = type === RegexLit || type === UnterminatedRegex ? 'regex' : 'string';
    sink.error(
      { start: token.startOffset, end: token.startOffset + 1 },
      Codes.TooLarge,
      `this ${what} is ${token.image.length} characters long; the limit is ${MAX_LITERAL_CHARS}`,
      `keep long lists of addresses or patterns in list settings or header checks, not in the file`,
    );
    return;
  }
  let problems: readonly LiteralProblem[] = NONE;
  if (type === SingleQuotedString) {
    const inner = token.image.slice(1, -1);
    const hint = `write "${inner.replace(/["\\]/g, '\\$&')}"`;
    const message = 'strings are written in double quotes';
    problems = [{ offset: 0, length: token.image.length, code: 'MM101', message, hint }];
  } else if (type === StringLit || type === UnterminatedString) {
    if (!isPlainString(token.image)) problems = decodeString(token.image).problems;
  } else if (type === RegexLit || type === UnterminatedRegex) problems = decodeRegex(token.image).problems;
  else if (type === Size || type === BadNumber) {
    const p = decodeSize(token.image).problem;
    if (p) problems = [p];
  } else if (type === NumberLit) {
    const p = checkNumber(token.image);
    if (p) problems = [p];
  }
  for (const p of problems) {
    const start = token.startOffset + p.offset;
    sink.error({ start, end: start + p.length }, p.code, p.message, p.hint);
  }
}

function errorSpan(e: IRecognitionException, tokens: IToken[], textLength: number): Span {
  const t = e.token;
  if (t && t.tokenType !== EOF && Number.isFinite(t.startOffset) && t.endOffset !== undefined)
    return {
      start: t.startOffset,
      end: t.endOffset + 1,
    };
  // At the end of the file: point just after the last token.
  const last = tokens[tokens.length - 1];
  const at = last ? last.endOffset! + 1 : textLength;
  return { start: at, end: at + 1 };
}

function syntaxHint(e: IRecognitionException): string | undefined {
  const rule = e.context?.ruleStack?.[e.context.ruleStack.length - 1];
  const found = e.token;
  const known = found && habit(found.image);
  if (known) return known;
  const wantedName = /^expected (a name|a condition|a value)/.test(e.message);
  if (found && tokenMatcher(found, Word) && !tokenMatcher(found, Name) && wantedName) {
    return `'${found.image}' is a reserved word; a name cannot be one`;
  }
  if (e.message.startsWith("expected 'then'")) return "a link reads 'if CONDITION then ACTION'";
  if (rule === 'action' || rule === 'branch') return ACTIONS_HINT;
  if (e.message.startsWith("expected '}'")) return "each '{' needs a matching '}'";
  return undefined;
}
