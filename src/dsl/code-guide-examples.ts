// The guide's entries for the codes of examples files (MM601-MM604): each broken examples file
// and its fix run through `mailman validate` beside the chain of `subject`.
import type { CodeExample, CodeGuideEntry } from './code-guide.js';
import { Codes } from './diagnostics.js';

const chain = (name: string, ...links: string[]): string =>
  `chain ${name} {\n${links.map((l) => `    ${l}\n`).join('')}}\n`;

/** The chain the examples codes' examples are for, and an examples file with these lines. */
const GATE: CodeExample = {
  file: 'gate.chain',
  text: chain('gate', 'if max-size(limit: 2MB) then reject "too big"', 'accept'),
};
const gateExamples = (...lines: string[]): CodeExample => ({
  file: 'gate.examples',
  text: `example "big post"\n${lines.map((l) => `    ${l}\n`).join('')}`,
});

export const EXAMPLE_ENTRIES: CodeGuideEntry[] = [
  {
    code: Codes.ExampleSyntax,
    summary:
      'an [examples](#examples) line that cannot be read: an unknown key, a bad `expect:`, an unknown list ' +
      'setting, an example without `expect:`',
    advice:
      'An example is `example "NAME"` then indented key: value lines and one expect: line ' +
      '(docs/language.md#examples).',
    subject: GATE,
    broken: gateExamples('attachment: big.pdf application/pdf 3MB', 'expect: rejected'),
    fixed: gateExamples('attachment: big.pdf application/pdf 3MB', 'expect: reject "too big"'),
  },
  {
    code: Codes.ExampleLimit,
    summary: 'an examples file over a [limit](#examples)',
    advice: 'Split the examples, or make their messages smaller.',
    subject: GATE,
    broken: gateExamples('attachment: big.pdf application/pdf 11MB', 'expect: reject'),
    fixed: gateExamples('attachment: big.pdf application/pdf 3MB', 'expect: reject'),
  },
  {
    code: Codes.ExampleFailed,
    summary: 'an example whose message did not get what its `expect:` says',
    advice:
      'The chain or pipeline changed what happens to that message: fix the file, or the example if the ' +
      'change was meant.',
    subject: GATE,
    broken: gateExamples('attachment: big.pdf application/pdf 3MB', 'expect: accept'),
    fixed: gateExamples('attachment: big.pdf application/pdf 3MB', 'expect: reject "too big"'),
  },
  {
    code: Codes.ExampleNotRun,
    summary:
      'an example that could not run: a list setting, member or header filter refused, a malformed message, ' +
      'a pipeline that failed',
    advice: 'Fix the setting, member or message the example gives; the diagnostic says which.',
    subject: GATE,
    broken: gateExamples('list: max_num_recipients = many', 'expect: accept'),
    fixed: gateExamples('list: max_num_recipients = 10', 'expect: accept'),
  },
];
