// The guide's entries for shared definitions (`use "NAME.rules"`, MM315-MM320): each broken
// example is validated with the files of `beside` next to it, as is its fix.
import type { CodeExample, CodeGuideEntry } from './code-guide.js';
import { Codes } from './diagnostics.js';
import { MAX_USE_FILES } from './uses.js';

const SITE_RULES: CodeExample = {
  file: 'site.rules',
  text:
    "# shared by the site's chains\nlet big = 2MB\n" +
    'rule spammy "flagged by the filter" = header "X-Spam-Flag" is "YES"\n',
};
const OTHER_RULES: CodeExample = { file: 'other.rules', text: 'rule spammy = header "X-Spam" contains "yes"\n' };
const BROKEN_RULES: CodeExample = {
  file: 'broken.rules',
  text: 'rule loud = header "Subject" matches /!!!+/\nlet x = nowhere\n',
};

const gate = (...lines: string[]): string =>
  `${lines.join('\n')}\n\nchain gate {\n    if spammy then hold "spam"\n    accept\n}\n`;

/** More files than a compile may read, each defining one constant. */
const MANY: CodeExample[] = Array.from({ length: MAX_USE_FILES + 1 }, (_, i) => ({
  file: `part${i}.rules`,
  text: `let part${i} = ${i}\n`,
}));

export const USE_ENTRIES: CodeGuideEntry[] = [
  {
    code: Codes.UnknownUse,
    summary: '`use` names no .rules file known',
    advice: "Name a NAME.rules file of the site's chain directory (or a built-in one), without a directory.",
    beside: [SITE_RULES],
    broken: { file: 'gate.chain', text: gate('use "sites.rules"') },
    fixed: { file: 'gate.chain', text: gate('use "site.rules"') },
  },
  {
    code: Codes.UseCycle,
    summary: '.rules files that use each other in a loop',
    advice: 'A .rules file cannot use itself, directly or through others: move what both need into a third file.',
    beside: [SITE_RULES],
    broken: { file: 'spam.rules', text: 'use "spam.rules"\nrule shouting = header "Subject" matches /!!!+/\n' },
    fixed: { file: 'spam.rules', text: 'use "site.rules"\nrule shouting = header "Subject" matches /!!!+/\n' },
  },
  {
    code: Codes.UseLimit,
    summary: `more than ${MAX_USE_FILES} .rules files used, or \`use\` nested too deep`,
    advice: 'Gather the definitions into fewer .rules files, and use them from the chain directly.',
    beside: [...MANY, SITE_RULES],
    broken: { file: 'gate.chain', text: gate(...MANY.map((m) => `use "${m.file}"`), 'use "site.rules"') },
    fixed: { file: 'gate.chain', text: gate('use "site.rules"') },
  },
  {
    code: Codes.SharedDuplicate,
    summary: 'one name defined in two used files',
    advice: 'A name means one thing in a file: rename one of the definitions, or use only one of the files.',
    beside: [SITE_RULES, OTHER_RULES],
    broken: { file: 'gate.chain', text: gate('use "site.rules"', 'use "other.rules"') },
    fixed: { file: 'gate.chain', text: gate('use "site.rules"') },
  },
  {
    code: Codes.ShadowsShared,
    summary: "a file's own definition has the name of one it uses",
    advice: 'Give the definition a name of its own, or drop it and use the shared one.',
    beside: [SITE_RULES],
    broken: { file: 'gate.chain', text: gate('use "site.rules"', 'let big = 5MB') },
    fixed: { file: 'gate.chain', text: gate('use "site.rules"', 'let huge = 5MB') },
  },
  {
    code: Codes.BrokenUse,
    summary: 'a used .rules file does not compile',
    advice:
      'Fix the .rules file (the hint says where its first error is); until then the last good version ' +
      'of each chain using it stays in force.',
    beside: [SITE_RULES, BROKEN_RULES],
    broken: { file: 'gate.chain', text: gate('use "site.rules"', 'use "broken.rules"') },
    fixed: { file: 'gate.chain', text: gate('use "site.rules"') },
  },
];
