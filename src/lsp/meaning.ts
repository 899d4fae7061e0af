// What a located name denotes, looked up where the compiler looks it up (resolve.ts): the
// file's `let` and `rule` definitions, the `for` loops around it, the registry, and the
// language's own tables (src/dsl/vocabulary.ts). Hover shows it; definition jumps to it.
import type { Component, ParamSpec } from '../registry.js';
import { pathText, rootedPathType, type Ast, type Registries, type SharedDef, type Ty } from '../dsl/index.js';
import type { ArgOwner, Found } from './locate.js';

export type Meaning =
  /** `shared`: brought in by `use`, written in that .rules file. */
  | { kind: 'let'; def: Ast.LetDef; shared?: SharedDef }
  | { kind: 'local-rule'; def: Ast.RuleDef; shared?: SharedDef }
  | { kind: 'component'; what: 'rule' | 'effect' | 'handler' | 'link source'; component: Component }
  | { kind: 'loop-variable'; loop: Ast.ForLink; source?: Component & { fields?: Record<string, string> } }
  | { kind: 'loop-field'; loop: Ast.ForLink; field: string; type?: string }
  | { kind: 'root'; root: string }
  | { kind: 'typed'; text: string; type: Ty; what: string }
  | { kind: 'chain'; name: string; pipeline?: true }
  | { kind: 'declaration'; decl: Ast.Declaration }
  | { kind: 'role'; name: string }
  | { kind: 'param'; param: ParamSpec; owner: ArgOwner }
  | { kind: 'action'; word: string };

const ROOT_WHAT: Record<string, string> = { list: 'list setting', msgdata: 'msgdata key', site: 'configuration key' };

function ownerComponent(registry: Registries, owner: ArgOwner): Component | undefined {
  if (owner.kind === 'rule') return registry.rules.get(owner.name);
  if (owner.kind === 'effect') return registry.effects.get(owner.name);
  return registry.handlers.get(owner.name);
}

function pathMeaning(
  ast: Ast.FileAst,
  registry: Registries,
  found: Extract<Found, { kind: 'path' }>,
  shared: readonly SharedDef[],
): Meaning | undefined {
  const names = found.path.parts.map((p) => p.name);
  const head = names[0];
  const loop = [...found.loops].reverse().find((l) => l.variable.name === head);
  if (loop) {
    const source = registry.linkSources.get(pathText(loop.source));
    if (found.part === 0) return { kind: 'loop-variable', loop, source };
    return { kind: 'loop-field', loop, field: names[1], type: source?.fields[names[1]] };
  }
  if (names.length === 1) {
    const def = ast.definitions.find((d) => d.name.name === head);
    if (def?.kind === 'Let') return { kind: 'let', def };
    if (def?.kind === 'RuleDef') return { kind: 'local-rule', def };
    const used = shared.find((s) => s.def.name.name === head);
    if (used?.def.kind === 'Let') return { kind: 'let', def: used.def, shared: used };
    if (used?.def.kind === 'RuleDef') return { kind: 'local-rule', def: used.def, shared: used };
    const rule = registry.rules.get(head);
    if (rule) return { kind: 'component', what: 'rule', component: rule };
  }
  if (found.part === 0 && ROOT_WHAT[head] && names.length > 1) return { kind: 'root', root: head };
  const type = rootedPathType(names);
  if (!type) return undefined;
  return { kind: 'typed', text: names.join('.'), type, what: ROOT_WHAT[head] ?? 'message value' };
}

export function meaningOf(
  ast: Ast.FileAst,
  registry: Registries,
  found: Found,
  shared: readonly SharedDef[] = [],
): Meaning | undefined {
  switch (found.kind) {
    case 'path':
      return pathMeaning(ast, registry, found, shared);
    case 'definition':
      return found.def.kind === 'Let' ? { kind: 'let', def: found.def } : { kind: 'local-rule', def: found.def };
    case 'handler': {
      const component = registry.handlers.get(found.ident.name);
      return component && { kind: 'component', what: 'handler', component };
    }
    case 'effect': {
      const component = registry.effects.get(found.ident.name);
      return component && { kind: 'component', what: 'effect', component };
    }
    case 'link-source': {
      const component = registry.linkSources.get(pathText(found.path));
      return component && { kind: 'component', what: 'link source', component };
    }
    case 'chain':
      return { kind: 'chain', name: found.ident.name, ...(found.pipeline ? { pipeline: true as const } : {}) };
    case 'declaration':
      return { kind: 'declaration', decl: found.decl };
    case 'role':
      return { kind: 'role', name: found.ident.name };
    case 'action':
      return { kind: 'action', word: found.word };
    case 'param': {
      const param = ownerComponent(registry, found.owner)?.params?.find((p) => p.name === found.ident.name);
      return param && { kind: 'param', param, owner: found.owner };
    }
  }
}
