// Every REST resource module, in the order its routes are registered. Adding a resource is a
// module in this folder exporting `routes(router, deps)` and its name on one line below.
// Order matters only where paths overlap: fixed segments (/lists/styles, /members/find,
// /held/count) before parameters, as each module registers them.
import type { RestResource } from '../context.js';

const IN_ORDER = [
  'explain', // its /chains/<name>/graph comes before any /chains/<name> route
  'system',
  'queues',
  'plugins',
  'chains',
  'rules-files',
  'domains',
  'lists',
  'listconf',
  'held',
  'requests',
  'members',
  'addresses',
  'users',
  'preferences',
  'bans',
  'header-matches',
  'archivers',
  'digest',
  'uris',
  'roster', // last: its /lists/<list>/<role>/<email> would shadow the fixed paths of the others
];

export const RESOURCE_NAMES: readonly string[] = IN_ORDER;

export const RESOURCES: readonly RestResource[] = await Promise.all(
  IN_ORDER.map(async (name) => (await import(`./${name}.js`)) as RestResource),
);
