// The guide to each diagnostic code: what it means, a file that draws it, and the same file
// fixed. `mailman validate --explain MM301` prints an entry; test/dsl/code-guide.test.ts
// compiles every broken example (it must draw its code) and every fix (it must be clean), and
// checks each summary against the codes table of docs/language.md.
import { MAX_LITERAL_CHARS, MAX_NESTING } from '../../grammar/limits.js';
import { Codes, type Code } from './diagnostics.js';
import { USE_ENTRIES } from './code-guide-uses.js';
import { EXAMPLE_ENTRIES } from './code-guide-examples.js';

export interface CodeExample {
  /** The file's name: it matters (MM308, MM309). */
  file: string;
  text: string;
  /** As a site file (MM310); otherwise as a file named on the command line. */
  origin?: 'site';
}

export interface CodeGuideEntry {
  code: Code;
  /** The row of docs/language.md's codes table, word for word. */
  summary: string;
  /** What to do about it, in a sentence or two. */
  advice: string;
  broken?: CodeExample;
  fixed?: CodeExample;
  /** For a code of examples files: the chain the broken and fixed examples run through. */
  subject?: CodeExample;
  /** Files beside the broken and fixed ones (the .rules files a `use` names). */
  beside?: CodeExample[];
}

const chain = (name: string, ...links: string[]): string =>
  `chain ${name} {\n${links.map((l) => `    ${l}\n`).join('')}}\n`;
const pipeline = (name: string, ...steps: string[]): string =>
  `pipeline ${name} {\n${steps.map((s) => `    ${s}\n`).join('')}}\n`;

const entries: CodeGuideEntry[] = [
  {
    code: Codes.BadCharacter,
    summary: "a character that starts no token (hints for `'` `;` `!` `&` `\\|` `-`); a string in single quotes",
    advice: "Write the language's words for them: 'and', 'or', 'not'; strings in double quotes; no ';'.",
    broken: { file: 'symbols.chain', text: chain('symbols', 'if loop && any then discard', 'accept') },
    fixed: { file: 'symbols.chain', text: chain('symbols', 'if loop and any then discard', 'accept') },
  },
  {
    code: Codes.Unterminated,
    summary: 'an unterminated string or regex',
    advice: 'A string or a regex ends on the line it starts on: close it.',
    broken: { file: 'quote.chain', text: chain('quote', 'if loop then hold "a loop', 'accept') },
    fixed: { file: 'quote.chain', text: chain('quote', 'if loop then hold "a loop"', 'accept') },
  },
  {
    code: Codes.MalformedNumber,
    summary: 'a malformed size or number (`40 KB`, `40kb`, `1.5`), or one out of range',
    advice: 'A size is a number glued to B, KB, MB or GB, in capitals: 40KB, 1.5MB.',
    broken: { file: 'big.chain', text: chain('big', 'if size > 40 KB then hold', 'accept') },
    fixed: { file: 'big.chain', text: chain('big', 'if size > 40KB then hold', 'accept') },
  },
  {
    code: Codes.BadEscape,
    summary: 'a bad escape, a bad or repeated regex flag, an unclosed `{` or a `{…}` that is not a path in a reason',
    advice: 'Use the escapes \\" \\\\ \\n \\t \\u{…}, the flags i m s u, and close each { of a reason.',
    broken: { file: 'brace.chain', text: chain('brace', 'if loop then hold "sent by {sender"', 'accept') },
    fixed: { file: 'brace.chain', text: chain('brace', 'if loop then hold "sent by {sender}"', 'accept') },
  },
  {
    code: Codes.Syntax,
    summary: 'a syntax error: "expected X after Y, found Z"',
    advice: 'The message names what the grammar wanted there; docs/language.md#grammar has all of it.',
    broken: { file: 'then-less.chain', text: chain('then-less', 'if loop discard', 'accept') },
    fixed: { file: 'then-less.chain', text: chain('then-less', 'if loop then discard', 'accept') },
  },
  {
    code: Codes.UnknownAction,
    summary: 'an unknown action word (hint: `run NAME` when it is an effect)',
    advice: "After 'then': accept, hold, reject, discard, defer, stop, jump, detour, or run EFFECT.",
    broken: { file: 'effect.chain', text: chain('effect', 'if loop then hold-message', 'accept') },
    fixed: { file: 'effect.chain', text: chain('effect', 'if loop then hold', 'accept') },
  },
  {
    code: Codes.NotOneDeclaration,
    summary: 'not exactly one chain or pipeline, or a definition after it',
    advice: "A file holds its 'let' and 'rule' definitions, then exactly one chain or pipeline.",
    broken: { file: 'late.chain', text: chain('late', 'if size > limit then hold', 'accept') + 'let limit = 2MB\n' },
    fixed: { file: 'late.chain', text: 'let limit = 2MB\n\n' + chain('late', 'if size > limit then hold', 'accept') },
  },
  {
    code: Codes.TooDeep,
    summary: 'nesting deeper than 64 levels (brackets, `not`, and rules and constants built on each other)',
    advice: 'Flatten the condition: name parts of it with rule definitions, or split it over links.',
    broken: {
      file: 'deep.chain',
      text: chain('deep', `if ${'('.repeat(MAX_NESTING + 1)}loop${')'.repeat(MAX_NESTING + 1)} then discard`, 'accept'),
    },
    fixed: { file: 'deep.chain', text: chain('deep', 'if loop then discard', 'accept') },
  },
  {
    code: Codes.TooLarge,
    summary: 'a file, token count, literal or chain over a [limit](#limits)',
    advice: 'Keep long lists of addresses or patterns in list settings or header checks; split big chains.',
    broken: {
      file: 'long.chain',
      text: chain('long', `if loop then hold "${'x'.repeat(MAX_LITERAL_CHARS)}"`, 'accept'),
    },
    fixed: { file: 'long.chain', text: chain('long', 'if loop then hold "a loop"', 'accept') },
  },
  {
    code: Codes.CompilerFailure,
    summary: 'the compiler failed on this file, or its closures could not be built',
    advice: 'No file draws this on purpose: simplify the file, and report it with the file attached.',
  },
  {
    code: Codes.UnknownRule,
    summary: 'unknown rule',
    advice: "Name a registered rule (mailman components rules) or a 'rule' defined above the use.",
    broken: { file: 'typo.chain', text: chain('typo', 'if max-sise then hold', 'accept') },
    fixed: { file: 'typo.chain', text: chain('typo', 'if max-size then hold', 'accept') },
  },
  {
    code: Codes.UnknownHandler,
    summary: 'unknown handler',
    advice: 'Name a registered handler (mailman components handlers).',
    broken: { file: 'outgoing.pipeline', text: pipeline('outgoing', 'cook-headers', 'to-outgoin') },
    fixed: { file: 'outgoing.pipeline', text: pipeline('outgoing', 'cook-headers', 'to-outgoing') },
  },
  {
    code: Codes.UnknownChain,
    summary: 'unknown chain (a `jump` or `detour` target)',
    advice: 'Name a built-in or site chain (GET /3.1/chains lists them), or a terminal: accept, hold, reject, discard.',
    broken: { file: 'lost.chain', text: chain('lost', 'if loop then jump moderaton', 'accept') },
    fixed: { file: 'lost.chain', text: chain('lost', 'if loop then jump moderation', 'accept') },
  },
  {
    code: Codes.UnknownName,
    summary:
      'unknown name: list setting, msgdata key, configuration section or key, constant, link source, row field; ' +
      'a `{match.N}` past 9 or `{header}` without a name in a reason',
    advice: "List settings go by Mailman's names, msgdata keys must be registered, constants defined above.",
    broken: { file: 'setting.chain', text: chain('setting', 'if list.emergancy then hold', 'accept') },
    fixed: { file: 'setting.chain', text: chain('setting', 'if list.emergency then hold', 'accept') },
  },
  {
    code: Codes.UnknownEffect,
    summary: 'unknown effect',
    advice: 'Name a registered effect (mailman components effects).',
    broken: { file: 'notify.chain', text: chain('notify', 'if loop then run discard-mesage', 'accept') },
    fixed: { file: 'notify.chain', text: chain('notify', 'if loop then run discard-message', 'accept') },
  },
  {
    code: Codes.UnknownRole,
    summary: 'unknown role',
    advice: 'The roles are member, nonmember, owner and moderator.',
    broken: { file: 'role.chain', text: chain('role', 'if sender is a subscriber then accept', 'hold') },
    fixed: { file: 'role.chain', text: chain('role', 'if sender is a member then accept', 'hold') },
  },
  {
    code: Codes.Duplicate,
    summary: 'a duplicate name (below)',
    advice: 'Give each definition, argument and loop variable a name of its own, once.',
    broken: {
      file: 'twice.chain',
      text: 'let limit = 2MB\nlet limit = 4MB\n\n' + chain('twice', 'if size > limit then hold', 'accept'),
    },
    fixed: { file: 'twice.chain', text: 'let limit = 2MB\n\n' + chain('twice', 'if size > limit then hold', 'accept') },
  },
  {
    code: Codes.NameNotFile,
    summary: 'the chain or pipeline is not named after its file',
    advice: 'NAME.chain declares chain NAME: rename the chain or the file.',
    broken: { file: 'posting.chain', text: chain('post', 'if loop then discard', 'accept') },
    fixed: { file: 'posting.chain', text: chain('posting', 'if loop then discard', 'accept') },
  },
  {
    code: Codes.WrongKind,
    summary: 'the wrong kind of name (below)',
    advice: 'A .pipeline file declares a pipeline of handlers; a chain goes in a .chain file.',
    broken: { file: 'mixed.pipeline', text: chain('mixed', 'accept') },
    fixed: { file: 'mixed.pipeline', text: pipeline('mixed', 'to-outgoing') },
  },
  {
    code: Codes.SiteOverride,
    summary: 'note: a site file overrides a built-in',
    advice: 'Intended or not, the site file now runs instead of the built-in; give it a name of its own to keep both.',
    broken: { file: 'discard.chain', text: chain('discard', 'run discard-message', 'stop'), origin: 'site' },
    fixed: { file: 'quiet-discard.chain', text: chain('quiet-discard', 'run discard-message', 'stop'), origin: 'site' },
  },
  {
    code: Codes.Secret,
    summary: 'a secret (password or key) read as a value',
    advice: 'Passwords and keys are never values; a rule that needs one reads it itself (approved).',
    broken: {
      file: 'secret.chain',
      text: chain('secret', 'if header "Approved" contains list.moderator_password then accept', 'hold'),
    },
    fixed: { file: 'secret.chain', text: chain('secret', 'if approved then accept', 'hold') },
  },
  {
    code: Codes.UnknownBase,
    summary: 'the base of a derived pipeline is unknown, or has no version in force',
    advice: 'Name a pipeline that exists (mailman validate lists them) after from.',
    broken: {
      file: 'lean.pipeline',
      text: 'pipeline lean from default-postng-pipeline {\n    without tagger\n}\n',
    },
    fixed: { file: 'lean.pipeline', text: 'pipeline lean from default-posting-pipeline {\n    without tagger\n}\n' },
  },
  {
    code: Codes.UnknownAnchor,
    summary: '`before`, `after`, `replace` or `without` names a step its base does not have',
    advice: 'An edit names a step of the base pipeline; the hint lists them.',
    broken: {
      file: 'lean.pipeline',
      text: 'pipeline lean from default-posting-pipeline {\n    without decorate\n}\n',
    },
    fixed: { file: 'lean.pipeline', text: 'pipeline lean from default-posting-pipeline {\n    without tagger\n}\n' },
  },
  {
    code: Codes.StepPlacement,
    summary: 'a plain step in a derived pipeline, or an edit in a pipeline with no base',
    advice: 'A derived pipeline holds only edits (before X: STEP, after X: STEP, replace X: STEP, without X).',
    broken: {
      file: 'lean.pipeline',
      text: 'pipeline lean from default-posting-pipeline {\n    tagger\n}\n',
    },
    fixed: {
      file: 'lean.pipeline',
      text:
        'pipeline lean from default-posting-pipeline {\n' +
        '    after tagger: add-header(name: "X-Lean", value: "yes")\n}\n',
    },
  },
  {
    code: Codes.UnknownParam,
    summary: 'an unknown parameter, or arguments to something that takes none',
    advice: 'mailman components rules lists the parameters of each rule.',
    broken: { file: 'param.chain', text: chain('param', 'if max-size(limt: 2MB) then hold', 'accept') },
    fixed: { file: 'param.chain', text: chain('param', 'if max-size(limit: 2MB) then hold', 'accept') },
  },
  {
    code: Codes.MissingParam,
    summary: 'a required argument is missing',
    advice: 'Give every required parameter; mailman components rules marks them.',
    broken: {
      file: 'spam.chain',
      text: chain('spam', 'if header-match(header: "X-Spam", pattern: "yes") then hold', 'accept'),
    },
    fixed: {
      file: 'spam.chain',
      text: chain('spam', 'if header-match(header: "X-Spam", pattern: "yes", suffix: "spam") then hold', 'accept'),
    },
  },
  {
    code: Codes.WrongArgType,
    summary: 'an argument or compared value of the wrong type (below)',
    advice:
      "Give the type the parameter or predicate takes: a size for 'limit', a list for 'in', a regex for 'matches'.",
    broken: { file: 'limit.chain', text: chain('limit', 'if max-size(limit: "2MB") then hold', 'accept') },
    fixed: { file: 'limit.chain', text: chain('limit', 'if max-size(limit: 2MB) then hold', 'accept') },
  },
  {
    code: Codes.BadOperator,
    summary: 'an operator not defined for the types, or a condition that is not boolean',
    advice: 'Sizes and numbers compare with < <= > >=; text with is, contains, starts with, matches.',
    broken: { file: 'compare.chain', text: chain('compare', 'if size is "big" then hold', 'accept') },
    fixed: { file: 'compare.chain', text: chain('compare', 'if size > 2MB then hold', 'accept') },
  },
  {
    code: Codes.BadRegex,
    summary: 'an invalid regex',
    advice: 'The message quotes the engine; close groups and classes, escape what is meant literally.',
    broken: {
      file: 'pattern.chain',
      text: chain('pattern', 'if header "Subject" matches /(buy now/i then hold', 'accept'),
    },
    fixed: {
      file: 'pattern.chain',
      text: chain('pattern', 'if header "Subject" matches /buy now/i then hold', 'accept'),
    },
  },
  {
    code: Codes.BacktrackingRegex,
    summary: 'a regex that needs backtracking (back-references, look-arounds), which the linear-time engine refuses',
    advice: 'Write the pattern without back-references or look-arounds, or split it over two tests.',
    broken: {
      file: 'repeat.chain',
      text: chain('repeat', 'if header "Subject" matches /(\\w+) \\1/ then hold', 'accept'),
    },
    fixed: {
      file: 'repeat.chain',
      text: chain('repeat', 'if header "Subject" matches /(\\w+) (\\w+)/ then hold', 'accept'),
    },
  },
  {
    code: Codes.BadTarget,
    summary: 'a `jump to`/`detour to` value that is not an action or chain name',
    advice: 'Jump to a value typed as an action or a chain, so every place it can lead is known.',
    broken: { file: 'computed.chain', text: chain('computed', 'jump to list.display_name') },
    fixed: { file: 'computed.chain', text: chain('computed', 'jump to list.default_member_action', 'accept') },
  },
  {
    code: Codes.Cycle,
    summary: 'a jump/detour cycle, across any number of files; a pipeline derived from itself through its bases',
    advice: 'A chain must not reach itself again; end it with a disposition instead.',
    broken: { file: 'again.chain', text: chain('again', 'if loop then discard', 'jump again') },
    fixed: { file: 'again.chain', text: chain('again', 'if loop then discard', 'accept') },
  },
  {
    code: Codes.Unreachable,
    summary: 'warning: a link that is never reached (after an unconditional disposition, jump or stop)',
    advice: 'Move the link above the one that always ends the chain, or remove it.',
    broken: { file: 'dead.chain', text: chain('dead', 'accept', 'if loop then discard') },
    fixed: { file: 'dead.chain', text: chain('dead', 'if loop then discard', 'accept') },
  },
  {
    code: Codes.NoDisposition,
    summary:
      'warning: a chain may run out of links with no disposition (not reported for a chain only ever detoured to)',
    advice: 'End the chain with accept, hold, reject, discard or a jump, or the message is dropped.',
    broken: { file: 'open.chain', text: chain('open', 'if loop then discard') },
    fixed: { file: 'open.chain', text: chain('open', 'if loop then discard', 'accept') },
  },
  {
    code: Codes.DeferRecordsNothing,
    summary: 'warning: a `defer` whose condition records nothing, or an `else defer`',
    advice:
      "A 'defer' only matters after a rule that records its hit, for a later 'if any'; 'else defer' never " +
      'matters, since a failed condition goes on with the next link anyway.',
    broken: { file: 'idle.chain', text: chain('idle', 'defer', 'accept') },
    fixed: { file: 'idle.chain', text: chain('idle', 'accept') },
  },
  {
    code: Codes.PerCopyHandler,
    summary: 'warning: `decorate` or `arc-sign` in a pipeline',
    advice: 'The out runner decorates (and will sign) each copy; remove the step.',
    broken: { file: 'copies.pipeline', text: pipeline('copies', 'decorate', 'to-outgoing') },
    fixed: { file: 'copies.pipeline', text: pipeline('copies', 'to-outgoing') },
  },
  {
    code: Codes.NoOutgoing,
    summary: 'warning: a pipeline without `to-outgoing`',
    advice: "Without 'to-outgoing' nothing the pipeline handles is delivered: add it as the last step.",
    broken: { file: 'nowhere.pipeline', text: pipeline('nowhere', 'cook-headers') },
    fixed: { file: 'nowhere.pipeline', text: pipeline('nowhere', 'cook-headers', 'to-outgoing') },
  },
  ...EXAMPLE_ENTRIES,
];

/** Codes drawn by examples files (NAME.examples), not by a chain or pipeline: their examples run through `subject`. */
export const EXAMPLE_CODES: ReadonlySet<Code> = new Set([
  Codes.ExampleSyntax,
  Codes.ExampleLimit,
  Codes.ExampleFailed,
  Codes.ExampleNotRun,
]);

export const CODE_GUIDE: ReadonlyMap<Code, CodeGuideEntry> = new Map(
  [...entries, ...USE_ENTRIES].map((e) => [e.code, e]),
);

/** Lines of an example wider than this are cut, so a limit's example stays readable. */
const SHOWN_WIDTH = 100;

function shown(example: CodeExample): string {
  return example.text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${[...l].length > SHOWN_WIDTH ? [...l].slice(0, SHOWN_WIDTH).join('') + ' …' : l}`)
    .join('\n');
}

/** The entry as `mailman validate --explain CODE` prints it; undefined for an unknown code. */
export function explainCode(code: string): string | undefined {
  const entry = CODE_GUIDE.get(code.toUpperCase() as Code);
  if (!entry) return undefined;
  const out = [`${entry.code}: ${entry.summary.replace(/`/g, '')}`, '', entry.advice];
  if (entry.subject) out.push('', `For (${entry.subject.file}):`, shown(entry.subject));
  for (const b of (entry.beside ?? []).slice(0, 2)) out.push('', `Beside it (${b.file}):`, shown(b));
  if (entry.broken) out.push('', `Broken (${entry.broken.file}):`, shown(entry.broken));
  if (entry.fixed) out.push('', `Fixed (${entry.fixed.file}):`, shown(entry.fixed));
  return out.join('\n') + '\n';
}
