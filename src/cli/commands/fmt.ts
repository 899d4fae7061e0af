// `mailman fmt [--check] [PATH...]`: rewrites chain and pipeline files in the canonical
// layout (src/dsl/format.ts). Without paths: the built-in chains/ and pipelines/, and the
// site's [dsl] chain_dir and pipeline_dir when they exist.
import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../queue/atomic-file.js';
import { CliContext, CliError, out } from '../context.js';
import { format, readSourceFile } from '../../dsl/index.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../../paths.js';

const EXTENSIONS = ['.chain', '.pipeline'];

export function register(program: Command, ctx: CliContext): void {
  program
    .command('fmt')
    .description('Rewrite chain and pipeline files in the canonical layout (default: the built-in and site files).')
    .argument('[paths...]', 'files, or directories whose .chain and .pipeline files are formatted')
    .option('--check', 'write nothing; list the files that would change and exit 1 if any')
    .option('--json', 'as JSON: {"changed": [files], "left_alone": [{"file", "reason"}]}')
    .action((paths: string[], opts: { check?: boolean; json?: boolean }) => {
      const files = collectFiles(paths.length > 0 ? paths : defaultDirs(ctx), paths.length > 0);
      const changed: string[] = [];
      const leftAlone: { file: string; reason: string }[] = [];
      for (const file of files) {
        const text = readSourceFile(file);
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
      if (opts.check && changed.length > 0) process.exitCode = 1;
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

/** Named files as given; directories give their .chain and .pipeline files, sorted. */
function collectFiles(paths: string[], explicit: boolean): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      if (!explicit) continue;
      throw new CliError(`${path}: no such file or directory`, 2);
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    for (const name of readdirSync(path).sort()) {
      if (EXTENSIONS.some((ext) => name.endsWith(ext)) && statSync(join(path, name)).isFile())
        files.push(join(path, name));
    }
  }
  return [...new Set(files)];
}

/** A reader (a runner reloading site files) sees the old file or the new one, never half. */
function writeAtomically(file: string, text: string): void {
  try {
    writeFileAtomically(file, text, { mode: statSync(file).mode & 0o777 });
  } catch (err) {
    throw new CliError(`${file}: cannot write: ${(err as Error).message}`);
  }
}
