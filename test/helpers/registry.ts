// The registry tests compile and run against: built once per test process from the
// component modules, as every server process builds its own at start.
import { buildRegistry, runnerTable } from '../../src/registry.js';

export const registry = await buildRegistry();

/** The runners and their defaults, for a Config that reads a server's `[runner.NAME]` sections. */
export const runners = await runnerTable();
