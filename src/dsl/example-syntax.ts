// What an examples file is made of (docs/language.md#examples): the shapes an example reads
// into, the keys of its lines with what each means (the parser, `validate` and the language
// server read the one table), and the bounds on the file.
import type { Diagnostic } from './diagnostics.js';
import { Codes } from './diagnostics.js';

/** Limits of one examples file: it is admin input, read by every `validate`. */
export const EXAMPLE_LIMITS = {
  /** Characters in the file. */
  fileChars: 200_000,
  /** Examples in one file. */
  examples: 200,
  /** Lines (keys) in one example. */
  linesPerExample: 200,
  /** Characters in one line: a header value, a body line, a setting. */
  lineChars: 2_000,
  /** Bytes of all attachments of one example. */
  attachmentBytes: 10 * 1024 * 1024,
} as const;

export const EXAMPLE_ROLES = ['member', 'owner', 'moderator', 'nonmember'] as const;
export const EXAMPLE_ACTIONS = ['accept', 'hold', 'reject', 'discard', 'defer'] as const;
export const DISPOSITIONS = ['accept', 'hold', 'reject', 'discard', 'none'] as const;
export const PIPELINE_ENDS = ['discard', 'reject'] as const;

/** Where a line of the file is: 1-based line and column (code points) of its value. */
export interface ExampleAt {
  line: number;
  column: number;
}

export type ExampleExpect = ExampleAt &
  (
    | { kind: 'disposition'; disposition: (typeof DISPOSITIONS)[number]; reason?: string }
    | { kind: 'header'; header: string; value?: string }
    | { kind: 'no-header'; header: string }
    | { kind: 'recipients'; addresses: string[] }
    | { kind: 'part'; type: string; present: boolean }
    | { kind: 'ends'; how: (typeof PIPELINE_ENDS)[number] }
  );

export interface ExampleMember extends ExampleAt {
  address: string;
  role: (typeof EXAMPLE_ROLES)[number];
  action?: (typeof EXAMPLE_ACTIONS)[number];
}

export interface Example extends ExampleAt {
  name: string;
  from?: string;
  /** The envelope sender (MAIL FROM); default: the From address. */
  sender?: string;
  to?: string;
  cc?: string;
  /** Undefined: "Example"; '': no Subject header. */
  subject?: string;
  body: string[];
  headers: { name: string; value: string }[];
  attachments: (ExampleAt & { filename: string; type: string; size: number })[];
  settings: (ExampleAt & { name: string; value: string })[];
  members: ExampleMember[];
  msgdata: (ExampleAt & { key: string; value: unknown })[];
  headerMatches: (ExampleAt & { header: string; pattern: string; action?: string })[];
  /** Addresses (or ^patterns) banned from the list. */
  bans: (ExampleAt & { address: string })[];
  expects: ExampleExpect[];
}

export interface ExamplesFile {
  file: string;
  examples: Example[];
  diagnostics: Diagnostic[];
}

/** The keys of an example's lines, each with what it says (hover and completion show it). */
export const EXAMPLE_KEYS = {
  from: 'the From address (default someone@example.org)',
  sender: 'the envelope sender, as explain --sender takes it (default: none given)',
  to: 'the To header (default: the list, list@example.com)',
  cc: 'a Cc header',
  subject: 'the Subject (default "Example"; nothing after the colon: no Subject)',
  body: 'a line of the body; repeat for more lines',
  header: 'header: NAME: VALUE, another header',
  attachment: 'attachment: FILENAME TYPE/SUBTYPE SIZE (2MB, 40KB, 300): the message becomes multipart/mixed',
  list: 'list: SETTING = VALUE, a list setting as mailman listconf --set takes it',
  member: 'member: ADDRESS [ROLE] [ACTION]: on the roster as member, owner, moderator or nonmember',
  msgdata: 'msgdata: KEY = VALUE (true, false, a number or text), as an earlier chain would leave it',
  'header-match': "header-match: HEADER: PATTERN [-> ACTION], one of the list's header filters",
  ban: 'an address (or ^pattern) banned from the list',
  expect:
    'what must happen: for a chain ACTION ["REASON"]; for a pipeline header NAME[: VALUE], no header NAME, ' +
    'recipients ADDRESS…, part TYPE, no part TYPE, discard or reject',
} as const;

export type ExampleKey = keyof typeof EXAMPLE_KEYS;
export const KEYS = Object.keys(EXAMPLE_KEYS) as ExampleKey[];

/** A header name as RFC 5322 allows it. */
export const HEADER_NAME = /^[!-9;-~]+$/;
export const SIZE = /^(\d+)(B|KB|MB)?$/;

/** A line that cannot be read: where on it, and why. */
export class ParseError extends Error {
  constructor(
    readonly column: number,
    message: string,
    readonly hint?: string,
    readonly code: string = Codes.ExampleSyntax,
  ) {
    super(message);
  }
}

export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A "quoted" string at the start of `text` (backslash escapes " and \), and what follows. */
export function quoted(text: string, column: number): { value: string; rest: string } {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(text);
  if (!m) throw new ParseError(column, `expected a "quoted" string, found '${text.slice(0, 20)}'`);
  return { value: m[1].replace(/\\(.)/g, '$1'), rest: text.slice(m[0].length).trim() };
}
