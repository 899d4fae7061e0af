// `mailman fmt [--check] [PATH...]`: rewrites chain and pipeline files in the canonical
// layout (src/dsl/format.ts). Without paths: the built-in chains/ and pipelines/, and the
// site's [dsl] chain_dir and pipeline_dir when they exist. A file with a lexical or syntax
// error is left untouched and its diagnostics printed; the exit status is then 1.
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { writeFileAtomically } from '../../queue/atomic-file.js';
import { CliContext, CliError, out } from '../context.js';
import { dslPaths } from '../dsl-paths.js';
import { type Diagnostic, format, formatReport, readSourceFile, syntaxDiagnostics } from '../../dsl/index.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../paths.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('fmt')
    .description('Rewrite chain and pipeline files in the canonical layout (default: the built-in and site files).')
    .argument('[paths...]', 'files, or directories whose .chain and .pipeline files are formatted')
    .option('--check', 'write nothing; list the files that would change and exit 1 if any')
    .option('--json', 'as JSON: {"changed": [files], "left_alone": [{"file", "reason", "diagnostics"?}]}')
    .action((paths: string[], opts: { check?: boolean; json?: boolean }) => {
      const files = dslPaths(paths.length > 0 ? paths : defaultDirs(ctx), paths.length === 0);
      const changed: string[] = [];
      const leftAlone: { file: string; reason: string; diagnostics?: Diagnostic[] }[] = [];
      let unparsable = 0;
      for (const file of files) {
        const text = readSourceFile(file);
        // A file that does not parse is not laid out: it is reported, as `validate` would.
        const problems = syntaxDiagnostics(text, file);
        if (problems.length > 0) {
          unparsable++;
          const first = problems[0];
          const reason = `it does not parse (${first.code} at ${first.line}:${first.column}: ${first.message})`;
          leftAlone.push({ file, reason, diagnostics: problems });
          if (!opts.json) {
            process.stderr.write(`mailman fmt: ${file}: left as it is: ${reason}\n`);
            process.stderr.write(formatReport(problems, () => text) + '\n');
          }
          continue;
        }
        const result = format(text);
        if (result.skipped) {
          leftAlone.push({ file, reason: result.reason ?? '' });
          if (!opts.json) process.stderr.write(`mailman fmt: ${file}: left as it is: ${result.reason}\n`);
        }
        if (!result.changed) continue;
        changed.push(file);
        if (!opts.check) writeAtomically(file, result.text);
        if (!opts.json) out(file);
      }
      if (opts.json) out(JSON.stringify({ changed, left_alone: leftAlone }, null, 2));
      if (unparsable > 0 || (opts.check && changed.length > 0)) process.exitCode = 1;
    });
}

/** The built-in directories, then the site's, which need not exist (nor a config file). */
function defaultDirs(ctx: CliContext): string[] {
  const dirs = [BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR];
  for (const key of ['chain_dir', 'pipeline_dir']) {
    const dir = ctx.config.path('dsl', key);
    if (existsSync(dir) && !dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** A reader (a runner reloading site files) sees the old file or the new one, never half. */
function writeAtomically(file: string, text: string): void {
  try {
    writeFileAtomically(file, text, { mode: statSync(file).mode & 0o777 });
  } catch (err) {
    throw new CliError(`${file}: cannot write: ${(err as Error).message}`);
  }
}
