// Examples files (NAME.examples, docs/language.md#examples): the line parser with its
// file:line:col diagnostics and bounds, and `mailman validate` running examples through the
// real CLI as a child process, as golden.test.ts does: a passing and a failing example for a
// chain and a pipeline, --no-examples, and every built-in file's examples passing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Codes, EXAMPLE_LIMITS, parseExamples } from '../../src/dsl/index.js';
import { CHAINS_DIR, PIPELINES_DIR, ROOT } from './support.js';

const run = promisify(execFile);

/** `mailman validate ARGS` in a var dir of its own, holding `files` (name -> text) in chains/. */
async function validate(
  files: Record<string, string>,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'examples-var-'));
  mkdirSync(join(dir, 'chains'));
  mkdirSync(join(dir, 'pipelines'));
  for (const [name, text] of Object.entries(files))
    writeFileSync(join(dir, name.includes('pipe') ? 'pipelines' : 'chains', name), text);
  const conf = join(dir, 'mailman.conf');
  writeFileSync(conf, `[paths]\nvar_dir: ${dir}\n`);
  const given = args.map((a) => (a.startsWith('-') ? a : join(dir, a)));
  try {
    const r = await run(process.execPath, [join('bin', 'mailman.js'), '-C', conf, 'validate', ...given], {
      cwd: ROOT,
      env: { ...process.env, MAILMAN_CONFIG_FILE: '' },
    });
    return { ...r, code: 0, dir };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code, dir };
  }
}

const STRICT_CHAIN = `# Holds posts from strangers; members go on.
chain strict "Strangers wait" {
    if sender is not a member then hold "Not from a member"
    accept
}
`;

test('a passing chain example: exit 0 and the count', async () => {
  const r = await validate(
    {
      'strict.chain': STRICT_CHAIN,
      'strict.examples': `example "member"\n    from: anne@example.org\n    member: anne@example.org\n    expect: accept\n`,
    },
    'chains/strict.chain',
  );
  try {
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^1 example run, 0 failed$/m);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('a failing chain example: file:line:col, what was expected and got, exit 1; --no-examples skips it', async () => {
  const files = {
    'strict.chain': STRICT_CHAIN,
    'strict.examples': [
      '# A stranger should get through (it does not).',
      'example "stranger posts"',
      '    from: x@elsewhere.example',
      '    subject: hi',
      '    expect: accept',
      '',
    ].join('\n'),
  };
  const r = await validate(files, 'chains/strict.chain');
  try {
    assert.equal(r.code, 1, r.stdout);
    const file = join(r.dir, 'chains', 'strict.examples');
    assert.ok(
      r.stdout.includes(
        `${file}:5:13: error ${Codes.ExampleFailed}: example "stranger posts": expected accept, got hold (no rule hit)`,
      ),
      r.stdout,
    );
    assert.ok(r.stdout.includes('    expect: accept\n            ^'), r.stdout);
    assert.ok(r.stdout.includes(`hint: decided at ${join(r.dir, 'chains', 'strict.chain')}:3:5: if sender is not`));
    assert.match(r.stdout, /^1 example run, 1 failed$/m);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
  const skipped = await validate(files, 'chains/strict.chain', '--no-examples');
  try {
    assert.equal(skipped.code, 0, skipped.stdout);
    assert.doesNotMatch(skipped.stdout, /examples? run/);
  } finally {
    rmSync(skipped.dir, { recursive: true, force: true });
  }
});

test('a chain example checks the reason, and one that cannot run says why', async () => {
  const r = await validate(
    {
      'strict.chain': STRICT_CHAIN,
      'strict.examples': [
        'example "wrong reason"',
        '    from: x@elsewhere.example',
        '    expect: hold "spam"',
        'example "bad setting"',
        '    list: max_message_size = lots',
        '    expect: hold',
        '',
      ].join('\n'),
    },
    'chains/strict.chain',
  );
  try {
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /strict\.examples:3:13: error MM603: example "wrong reason": expected a reason with "spam", got "Not from a member"/,
    );
    assert.match(
      r.stdout,
      /strict\.examples:5:11: error MM604: example "bad setting": the list refuses max_message_size = lots: /,
    );
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('pipeline examples: headers, recipients and parts after the pipeline, a failure at its expect line', async () => {
  const r = await validate(
    {
      'tagged-pipe.pipeline': [
        'pipeline tagged-pipe "Tag and deliver" {',
        '    member-recipients',
        '    add-header(name: "X-Policy", value: "members only")',
        '    remove-header(name: "X-Spam-Report")',
        '    to-outgoing',
        '}',
        '',
      ].join('\n'),
      'tagged-pipe.examples': [
        'example "tagged"',
        '    member: anne@example.org',
        '    member: bob@example.org',
        '    header: X-Spam-Report: clean',
        '    expect: header X-Policy: members only',
        '    expect: no header X-Spam-Report',
        '    expect: recipients bob@example.org anne@example.org',
        '    expect: part text/plain',
        'example "wrong"',
        '    member: anne@example.org',
        '    expect: recipients carol@example.org',
        '',
      ].join('\n'),
    },
    'pipelines/tagged-pipe.pipeline',
  );
  try {
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stdout,
      /tagged-pipe\.examples:11:13: error MM603: example "wrong": expected recipients carol@example\.org, got anne@example\.org/,
    );
    assert.match(r.stdout, /^2 examples run, 1 failed$/m);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('every built-in chain and pipeline has examples, and they all pass', async () => {
  const builtins = [
    ...readdirSync(CHAINS_DIR)
      .filter((f) => f.endsWith('.chain'))
      .map((f) => join(CHAINS_DIR, f)),
    ...readdirSync(PIPELINES_DIR)
      .filter((f) => f.endsWith('.pipeline'))
      .map((f) => join(PIPELINES_DIR, f)),
  ];
  let total = 0;
  for (const path of builtins) {
    const examples = path.replace(/\.(chain|pipeline)$/, '.examples');
    assert.ok(existsSync(examples), `${path} has no examples file`);
    const parsed = parseExamples(
      examples,
      readFileSync(examples, 'utf8'),
      path.endsWith('.chain') ? 'chain' : 'pipeline',
    );
    assert.deepEqual(parsed.diagnostics, []);
    const least = path.endsWith('default-posting-chain.chain') ? 10 : 2;
    assert.ok(parsed.examples.length >= least, `${path}: ${parsed.examples.length} examples`);
    total += parsed.examples.length;
  }
  const r = await validate({});
  try {
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, new RegExp(`^${total} examples run, 0 failed$`, 'm'));
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

/** file:line:col code message for each diagnostic, for compact comparisons. */
function brief(text: string, kind: 'chain' | 'pipeline' = 'chain'): string[] {
  return parseExamples('x.examples', text, kind).diagnostics.map(
    (d) => `${d.line}:${d.column} ${d.code} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

test('parse errors point at the line and column, with a suggestion when one is close', () => {
  assert.deepEqual(brief('example "a"\n    subjct: x@y.example\n    expect: hold\n'), [
    "2:5 MM601 expected one of 'from:', 'sender:', 'to:', 'cc:', 'subject:', 'body:', 'header:', 'attachment:', " +
      "'list:', 'member:', 'msgdata:', 'header-match:', 'ban:', 'expect:', found 'subjct' (did you mean 'subject'?)",
  ]);
  assert.deepEqual(brief('example "a"\n    expect: hld\n'), [
    "2:13 MM601 expected accept, hold, reject, discard or none after 'expect:', found 'hld' (did you mean 'hold'?)",
  ]);
  assert.deepEqual(brief('example "a"\n    list: max_mesage_size = 4\n    expect: hold\n'), [
    "2:11 MM601 unknown list setting 'max_mesage_size' (did you mean 'max_message_size'?)",
  ]);
  assert.deepEqual(brief('example "a"\n    expect: hold spam\n'), [
    `2:18 MM601 expected a "quoted" string, found 'spam'`,
  ]);
  assert.deepEqual(brief('example "a"\n    member: anne@example.org owenr\n    expect: hold\n'), [
    '2:30 MM601 expected a role (member, owner, moderator, nonmember) or a moderation action ' +
      "(accept, hold, reject, discard, defer), found 'owenr' (did you mean 'owner'?)",
  ]);
  assert.deepEqual(brief('example "a"\n    from: a@b.example\n'), [
    '1:1 MM601 example "a" has no \'expect:\' line (say what must happen, e.g. `expect: hold`)',
  ]);
  assert.deepEqual(brief('    from: a@b.example\nexample "a"\n    expect: hold\n'), [
    '1:5 MM601 a line before the first `example "NAME"`',
  ]);
  assert.deepEqual(brief('example "a"\n    expect: hold\nexample "a"\n    expect: hold\n'), [
    '3:9 MM601 a second example named "a" (give each example its own name)',
  ]);
  assert.deepEqual(brief('example "a"\n    expect: hold\n', 'pipeline'), [
    "2:13 MM601 expected 'header NAME: VALUE', 'no header NAME', 'recipients ADDRESS…', 'part TYPE', 'no part TYPE', " +
      "discard or reject after 'expect:' in a pipeline's examples, found 'hold'",
  ]);
  // Columns count code points, as the language's diagnostics do.
  assert.deepEqual(brief('example "été"\n    subject: çà\n    expect: nope\n'), [
    "3:13 MM601 expected accept, hold, reject, discard or none after 'expect:', found 'nope' (did you mean 'none'?)",
  ]);
});

test('a well-formed file reads into examples', () => {
  const parsed = parseExamples(
    'x.examples',
    [
      '# comment',
      'example "all keys"',
      '    from: x@elsewhere.example',
      '    subject:',
      '    body: line one',
      '    body: line two',
      '    header: X-Spam-Score: 7.5',
      '    attachment: evil.exe application/x-msdownload 2MB',
      '    list: subject_prefix = "[ants] "',
      '    member: anne@example.org moderator hold',
      '    msgdata: dmarc_action = reject',
      '    header-match: X-Spam: ^yes -> discard',
      '    ban: ^.*@spam\\.example',
      '    expect: hold "not from a list member"',
      '',
    ].join('\n'),
    'chain',
  );
  assert.deepEqual(parsed.diagnostics, []);
  const [ex] = parsed.examples;
  assert.equal(ex.subject, '');
  assert.deepEqual(ex.body, ['line one', 'line two']);
  assert.deepEqual(ex.headers, [{ name: 'X-Spam-Score', value: '7.5' }]);
  assert.equal(ex.attachments[0].size, 2 * 1024 * 1024);
  assert.equal(ex.settings[0].value, '[ants] ');
  assert.deepEqual(
    ex.members.map((m) => [m.address, m.role, m.action]),
    [['anne@example.org', 'moderator', 'hold']],
  );
  assert.equal(ex.msgdata[0].value, 'reject');
  assert.deepEqual(
    ex.headerMatches.map((h) => [h.header, h.pattern, h.action]),
    [['X-Spam', '^yes', 'discard']],
  );
  assert.deepEqual(ex.expects, [
    { line: 14, column: 13, kind: 'disposition', disposition: 'hold', reason: 'not from a list member' },
  ]);
});

test('the bounds are checked before the work: file size, examples, lines, line length, attachments', () => {
  const huge = parseExamples('x.examples', '#'.repeat(EXAMPLE_LIMITS.fileChars + 1), 'chain');
  assert.deepEqual(
    huge.diagnostics.map((d) => d.code),
    [Codes.ExampleLimit],
  );
  assert.equal(huge.examples.length, 0);

  const many = Array.from(
    { length: EXAMPLE_LIMITS.examples + 1 },
    (_, i) => `example "e${i}"\n    expect: hold\n`,
  ).join('');
  const tooMany = parseExamples('x.examples', many, 'chain');
  assert.equal(tooMany.examples.length, EXAMPLE_LIMITS.examples);
  assert.deepEqual(
    tooMany.diagnostics.map((d) => `${d.line} ${d.code}`),
    [`${2 * EXAMPLE_LIMITS.examples + 1} ${Codes.ExampleLimit}`],
  );

  const long = `example "a"\n    subject: ${'x'.repeat(EXAMPLE_LIMITS.lineChars)}\n    expect: hold\n`;
  assert.deepEqual(brief(long), ['2:1 MM602 a line of 2013 characters, over the limit of 2,000']);

  const lines = `example "a"\n${'    body: x\n'.repeat(EXAMPLE_LIMITS.linesPerExample)}    expect: hold\n`;
  assert.deepEqual(brief(lines), [
    `${EXAMPLE_LIMITS.linesPerExample + 2}:1 MM602 example "a" has more than 200 lines`,
    '1:1 MM601 example "a" has no \'expect:\' line (say what must happen, e.g. `expect: hold`)',
  ]);

  assert.deepEqual(brief('example "a"\n    attachment: a.bin application/octet-stream 11MB\n    expect: hold\n'), [
    '2:48 MM602 an attachment of 11MB is over the limit of 10MB per example',
  ]);
  assert.deepEqual(
    brief(
      'example "a"\n    attachment: a.bin application/octet-stream 6MB\n' +
        '    attachment: b.bin application/octet-stream 6MB\n    expect: hold\n',
    ),
    ['3:17 MM602 the attachments of this example are over the limit of 10MB'],
  );
});
