// Where the installed package lives, so built-in chains, pipelines and templates are found
// whether we run from dist/ or from an installed copy, whatever the working directory.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'chains'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('mailman-ts: cannot find the package root (package.json beside chains/)');
    dir = up;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const BUILTIN_CHAIN_DIR = join(PACKAGE_ROOT, 'chains');
export const BUILTIN_PIPELINE_DIR = join(PACKAGE_ROOT, 'pipelines');
/** The built-in texts of the named templates, one directory per language (templates/en/NAME.txt). */
export const BUILTIN_TEMPLATE_DIR = join(PACKAGE_ROOT, 'templates');
/** The compiled entry point a child process runs (the master forks it once per runner). */
/** A worker process hosting runner slices (src/master/host.ts). */
export const HOST_ENTRY = join(PACKAGE_ROOT, 'dist', 'src', 'master', 'host.js');
/** The one-off process that migrates the database and checks the chains before runners start. */
export const PREPARE_ENTRY = join(PACKAGE_ROOT, 'dist', 'src', 'master', 'prepare.js');
