// REST resources and CLI commands are each listed by name in one index (their order matters:
// routes that overlap, `mailman --help`). A module added to the folder but not to its index
// would silently never be served, so every module is checked against the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RESOURCE_NAMES } from '../../src/rest/resources/index.js';
import { COMMAND_NAMES } from '../../src/cli/commands/index.js';

const DIST_SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** The modules of a built folder that export `entry`, by name. */
async function modulesExporting(folder: string, entry: string): Promise<string[]> {
  const dir = join(DIST_SRC, folder);
  const names: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.js') || file === 'index.js') continue;
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    if (typeof mod[entry] === 'function') names.push(file.slice(0, -3));
  }
  return names;
}

test('every REST resource module is in rest/resources/index.ts, once', async () => {
  assert.deepEqual([...RESOURCE_NAMES].sort(), await modulesExporting('rest/resources', 'routes'));
  assert.equal(new Set(RESOURCE_NAMES).size, RESOURCE_NAMES.length);
  assert.equal(RESOURCE_NAMES.at(-1), 'roster', 'roster catches /lists/<list>/<role>/<email>, so it goes last');
});

test('every CLI command module is in cli/commands/index.ts, once', async () => {
  assert.deepEqual([...COMMAND_NAMES].sort(), await modulesExporting('cli/commands', 'register'));
  assert.equal(new Set(COMMAND_NAMES).size, COMMAND_NAMES.length);
});
