// The chain and pipeline files named on a command line (`validate`, `compile`, `fmt`): a
// directory stands for its .chain and .pipeline files, and any other file is refused, since
// the server would never load it and its name could not be checked against what it declares.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './context.js';

export const DSL_EXTENSIONS = ['.chain', '.pipeline', '.rules'];

const isDslName = (name: string): boolean => DSL_EXTENSIONS.some((ext) => name.endsWith(ext) && name !== ext);

/**
 * Files as given, directories expanded to their .chain and .pipeline files (sorted, not
 * recursive), each once. `missingOk`: a path that does not exist is skipped, not refused.
 */
export function dslPaths(paths: readonly string[], missingOk = false): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      if (missingOk) continue;
      throw new CliError(`${path}: no such file or directory`, 2);
    }
    if (isDir) {
      for (const name of readdirSync(path).sort())
        if (isDslName(name) && statSync(join(path, name)).isFile()) files.push(join(path, name));
      continue;
    }
    if (!isDslName(path))
      throw new CliError(
        `${path}: not a chain, pipeline or rules file: a file's name is NAME.chain or NAME.pipeline, ` +
          'after what it declares, or NAME.rules',
        2,
      );
    files.push(path);
  }
  return [...new Set(files)];
}
