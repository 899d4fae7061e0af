// The registry tests compile and run against: built once per test process from the
// component modules, as every server process builds its own at start.
import { buildRegistry } from '../../src/registry.js';

export const registry = await buildRegistry();
