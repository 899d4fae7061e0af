// Examples files: NAME.examples beside NAME.chain or NAME.pipeline, messages and what must
// happen to them, which `mailman validate` runs dry (docs/language.md#examples). A side file
// rather than a block of the .chain grammar, so an admin can add examples to any file without
// touching the chain, and the chain's parser stays as it is.
//
//   # A stranger's post waits for the moderators.
//   example "stranger posts"
//       from: x@elsewhere.example
//       subject: hi
//       list: default_nonmember_action = hold
//       expect: hold "not from a list member"
//
// This module only reads the file (a line parser, bounded before any work); the CLI runs the
// examples against a throw-away database.
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import { Codes, type Diagnostic } from './diagnostics.js';
import { didYouMean } from './suggest.js';
import {
  codePoints,
  EXAMPLE_ACTIONS,
  EXAMPLE_LIMITS,
  EXAMPLE_ROLES,
  type Example,
  type ExampleAt,
  type ExampleMember,
  type ExamplesFile,
  HEADER_NAME,
  KEYS,
  ParseError,
  quoted,
  SIZE,
} from './example-syntax.js';
import { parseExpect } from './example-expect.js';

export { EXAMPLE_LIMITS, EXAMPLE_KEYS, type Example, type ExampleExpect, type ExamplesFile } from './example-syntax.js';

function parseSize(text: string, column: number): number {
  const m = SIZE.exec(text);
  if (!m) throw new ParseError(column, `expected a size such as 2MB, 40KB or 300, found '${text}'`);
  const n = Number(m[1]) * (m[2] === 'MB' ? 1024 * 1024 : m[2] === 'KB' ? 1024 : 1);
  if (n > EXAMPLE_LIMITS.attachmentBytes)
    throw new ParseError(
      column,
      `an attachment of ${text} is over the limit of 10MB per example`,
      undefined,
      Codes.ExampleLimit,
    );
  return n;
}

function parseValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('"')) return quoted(text, 0).value;
  return text;
}

function parseLine(ex: Example, key: string, value: string, at: ExampleAt, kind: 'chain' | 'pipeline'): void {
  const needValue = (): void => {
    if (!value) throw new ParseError(at.column, `'${key}:' needs a value`);
  };
  switch (key) {
    case 'from':
    case 'sender':
    case 'to':
    case 'cc':
      needValue();
      ex[key] = value;
      return;
    case 'subject':
      ex.subject = value;
      return;
    case 'body':
      ex.body.push(value);
      return;
    case 'header': {
      const colon = value.indexOf(':');
      const name = colon < 0 ? '' : value.slice(0, colon).trim();
      if (!HEADER_NAME.test(name)) throw new ParseError(at.column, "expected 'header: NAME: VALUE'");
      ex.headers.push({ name, value: value.slice(colon + 1).trim() });
      return;
    }
    case 'attachment': {
      const parts = value.split(/\s+/);
      if (parts.length !== 3 || !/^[\w.+-]+\/[\w.+-]+$/.test(parts[1]))
        throw new ParseError(
          at.column,
          "expected 'attachment: FILENAME TYPE/SUBTYPE SIZE' (e.g. a.exe text/plain 2MB)",
        );
      const size = parseSize(parts[2], at.column + codePoints(value) - codePoints(parts[2]));
      const total = ex.attachments.reduce((n, a) => n + a.size, size);
      if (total > EXAMPLE_LIMITS.attachmentBytes)
        throw new ParseError(
          at.column,
          'the attachments of this example are over the limit of 10MB',
          undefined,
          Codes.ExampleLimit,
        );
      if (/["\\]/.test(parts[0])) throw new ParseError(at.column, 'a file name may not hold " or \\');
      ex.attachments.push({ ...at, filename: parts[0], type: parts[1].toLowerCase(), size });
      return;
    }
    case 'list': {
      const m = /^([a-z_0-9]+)\s*=\s*(.*)$/.exec(value);
      if (!m) throw new ParseError(at.column, "expected 'list: SETTING = VALUE'");
      const spec = SETTINGS_BY_NAME.get(m[1]);
      if (!spec)
        throw new ParseError(at.column, `unknown list setting '${m[1]}'`, didYouMean(m[1], SETTINGS_BY_NAME.keys()));
      if (spec.readonly) throw new ParseError(at.column, `the list setting '${m[1]}' cannot be set`);
      // A "quoted" value keeps its spaces (a subject_prefix ends with one).
      const raw = m[2].trim();
      const valueColumn = at.column + codePoints(value) - codePoints(raw);
      let setting = raw;
      if (raw.startsWith('"')) {
        const q = quoted(raw, valueColumn);
        if (q.rest) throw new ParseError(valueColumn, `unexpected '${q.rest}' after the value`);
        setting = q.value;
      }
      ex.settings.push({ ...at, name: m[1], value: setting });
      return;
    }
    case 'member': {
      const [address, ...words] = value.split(/\s+/);
      if (!address || !address.includes('@'))
        throw new ParseError(at.column, "expected 'member: ADDRESS [ROLE] [ACTION]'");
      const member: ExampleMember = { ...at, address: address.toLowerCase(), role: 'member' };
      for (const w of words) {
        if ((EXAMPLE_ROLES as readonly string[]).includes(w)) member.role = w as ExampleMember['role'];
        else if ((EXAMPLE_ACTIONS as readonly string[]).includes(w)) member.action = w as ExampleMember['action'];
        else
          throw new ParseError(
            at.column + codePoints(value.slice(0, value.indexOf(w))),
            `expected a role (${EXAMPLE_ROLES.join(', ')}) or a moderation action (${EXAMPLE_ACTIONS.join(', ')}), ` +
              `found '${w}'`,
            didYouMean(w, [...EXAMPLE_ROLES, ...EXAMPLE_ACTIONS]),
          );
      }
      ex.members.push(member);
      return;
    }
    case 'msgdata': {
      const m = /^([a-z_0-9]+)\s*=\s*(.*)$/.exec(value);
      if (!m) throw new ParseError(at.column, "expected 'msgdata: KEY = VALUE'");
      ex.msgdata.push({ ...at, key: m[1], value: parseValue(m[2].trim()) });
      return;
    }
    case 'header-match': {
      const m = /^([!-9;-~]+):\s*(.*?)(?:\s+->\s+(\S+))?$/.exec(value);
      if (!m || !m[2]) throw new ParseError(at.column, "expected 'header-match: HEADER: PATTERN [-> ACTION]'");
      ex.headerMatches.push({ ...at, header: m[1], pattern: m[2], ...(m[3] ? { action: m[3] } : {}) });
      return;
    }
    case 'ban':
      needValue();
      ex.bans.push({ ...at, address: value });
      return;
    case 'expect':
      needValue();
      ex.expects.push(parseExpect(value, at, kind));
      return;
  }
}

/** Reads an examples file for a chain or a pipeline; never throws on bad input. */
export function parseExamples(file: string, text: string, kind: 'chain' | 'pipeline'): ExamplesFile {
  const diagnostics: Diagnostic[] = [];
  const examples: Example[] = [];
  const report = (line: number, column: number, message: string, hint?: string, code: string = Codes.ExampleSyntax) => {
    const d: Diagnostic = {
      file,
      line,
      column,
      endLine: line,
      endColumn: column + 1,
      severity: 'error',
      code,
      message,
    };
    if (hint !== undefined) d.hint = hint;
    diagnostics.push(d);
  };
  if (text.length > EXAMPLE_LIMITS.fileChars) {
    report(
      1,
      1,
      `the examples file has ${text.length} characters, over the limit of 200,000`,
      undefined,
      Codes.ExampleLimit,
    );
    return { file, examples, diagnostics };
  }
  const lines = text.split(/\r?\n/);
  let current: Example | undefined;
  let lineCount = 0;
  /** Examples with a line already reported: a misread `expect:` is not also a missing one. */
  const misread = new Set<Example>();
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (raw.length > EXAMPLE_LIMITS.lineChars) {
      report(line, 1, `a line of ${raw.length} characters, over the limit of 2,000`, undefined, Codes.ExampleLimit);
      continue;
    }
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const indent = codePoints(/^\s*/.exec(raw)![0]);
    try {
      if (indent === 0) {
        const m = /^example\s+(.*)$/.exec(trimmed);
        if (!m)
          throw new ParseError(
            1,
            `expected 'example "NAME"', found '${trimmed.slice(0, 30)}'`,
            /^\S+:/.test(trimmed) ? 'indent the lines of an example under its `example "NAME"` line' : undefined,
          );
        const q = quoted(m[1], 1 + codePoints(trimmed) - codePoints(m[1]));
        if (q.rest) throw new ParseError(1 + codePoints(trimmed) - codePoints(q.rest), `unexpected '${q.rest}'`);
        if (!q.value) throw new ParseError(9, 'an example needs a name');
        if (examples.length >= EXAMPLE_LIMITS.examples) {
          report(line, 1, 'more than 200 examples in one file', undefined, Codes.ExampleLimit);
          break;
        }
        if (examples.some((e) => e.name === q.value))
          throw new ParseError(9, `a second example named "${q.value}"`, 'give each example its own name');
        current = {
          line,
          column: 1,
          name: q.value,
          body: [],
          headers: [],
          attachments: [],
          settings: [],
          members: [],
          msgdata: [],
          headerMatches: [],
          bans: [],
          expects: [],
        };
        examples.push(current);
        lineCount = 0;
        continue;
      }
      if (!current) throw new ParseError(indent + 1, 'a line before the first `example "NAME"`');
      if (++lineCount > EXAMPLE_LIMITS.linesPerExample) {
        if (lineCount === EXAMPLE_LIMITS.linesPerExample + 1)
          report(line, 1, `example "${current.name}" has more than 200 lines`, undefined, Codes.ExampleLimit);
        continue;
      }
      const m = /^([a-z-]+):(?:\s|$)(.*)$/.exec(trimmed);
      if (!m || !(KEYS as readonly string[]).includes(m[1])) {
        const word = /^[^\s:]*/.exec(trimmed)![0];
        throw new ParseError(
          indent + 1,
          `expected one of ${KEYS.map((k) => `'${k}:'`).join(', ')}, found '${word}'`,
          didYouMean(word, KEYS),
        );
      }
      const value = m[2].trim();
      const column = indent + 1 + codePoints(trimmed) - codePoints(m[2].trimStart());
      parseLine(current, m[1], value, { line, column }, kind);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      report(line, err.column, err.message, err.hint, err.code);
      if (current) misread.add(current);
    }
  }
  for (const ex of examples)
    if (ex.expects.length === 0 && !misread.has(ex))
      report(ex.line, 1, `example "${ex.name}" has no 'expect:' line`, 'say what must happen, e.g. `expect: hold`');
  return { file, examples, diagnostics };
}

/** The examples file of a chain or pipeline file: NAME.examples beside it. */
export function examplesPathOf(path: string): string | undefined {
  const m = /^(.*)\.(chain|pipeline)$/.exec(path);
  return m ? `${m[1]}.examples` : undefined;
}
