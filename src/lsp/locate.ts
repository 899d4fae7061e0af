// What the cursor is on, found in the compiler's own tree (src/dsl's AST, built even for a
// file with errors): hover and go-to-definition both start here, so neither reads the text
// a second way.
import type { Ast } from '../dsl/index.js';
import { within } from './positions.js';

/** Whose parameters an argument list holds. */
export type ArgOwner = { kind: 'rule' | 'effect' | 'handler'; name: string };

export type Found =
  /** A name in a path (`max-size`, `list.max_message_size`): `part` is the index under the cursor. */
  | { kind: 'path'; path: Ast.Path; part: number; loops: Ast.ForLink[] }
  | { kind: 'definition'; def: Ast.Definition }
  | { kind: 'handler'; ident: Ast.Ident }
  | { kind: 'effect'; ident: Ast.Ident }
  | { kind: 'link-source'; path: Ast.Path }
  /** A chain name; `pipeline`: the base of a derived pipeline. */
  | { kind: 'chain'; ident: Ast.Ident; pipeline?: true }
  | { kind: 'declaration'; decl: Ast.Declaration }
  | { kind: 'role'; ident: Ast.Ident }
  | { kind: 'param'; ident: Ast.Ident; owner: ArgOwner }
  /** The keyword of an action (`hold`, `jump`, `run` …). */
  | { kind: 'action'; word: string; span: Ast.Node['span'] };

/** The keyword each kind of action node begins with. */
const ACTION_WORDS: Partial<Record<Ast.Action['kind'], string>> = {
  Accept: 'accept',
  Hold: 'hold',
  Reject: 'reject',
  Discard: 'discard',
  Defer: 'defer',
  Stop: 'stop',
  Jump: 'jump',
  Detour: 'detour',
  Run: 'run',
};

export function locate(ast: Ast.FileAst, offset: number): Found | undefined {
  return new Locator(offset).file(ast);
}

class Locator {
  private readonly loops: Ast.ForLink[] = [];
  constructor(private readonly offset: number) {}

  private on(node: { span: { start: number; end: number } } | undefined): boolean {
    return node !== undefined && within(node.span, this.offset);
  }

  file(ast: Ast.FileAst): Found | undefined {
    for (const item of ast.items) {
      if (!this.on(item)) continue;
      const found = item.kind === 'Let' || item.kind === 'RuleDef' ? this.definition(item) : this.declaration(item);
      if (found) return found;
    }
    return undefined;
  }

  private definition(def: Ast.Definition): Found | undefined {
    if (this.on(def.name)) return { kind: 'definition', def };
    return def.kind === 'Let' ? this.value(def.value) : this.condition(def.condition);
  }

  private declaration(decl: Ast.Declaration): Found | undefined {
    if (this.on(decl.name)) return { kind: 'declaration', decl };
    if (decl.kind === 'Chain') return this.links(decl.links);
    if (decl.base && this.on(decl.base)) return { kind: 'chain', ident: decl.base, pipeline: true };
    for (const edit of decl.edits) if (this.on(edit.anchor)) return { kind: 'handler', ident: edit.anchor };
    const edited = decl.edits.flatMap((e) => (e.step ? [e.step] : []));
    for (const step of [...decl.steps, ...edited]) {
      if (!this.on(step)) continue;
      if (this.on(step.handler)) return { kind: 'handler', ident: step.handler };
      const inArgs = this.args(step.args, { kind: 'handler', name: step.handler.name });
      if (inArgs) return inArgs;
      if (step.when) return this.condition(step.when);
    }
    return undefined;
  }

  private links(links: readonly Ast.Link[]): Found | undefined {
    for (const link of links) {
      if (!this.on(link)) continue;
      if (link.kind === 'For') {
        if (this.on(link.source)) return { kind: 'link-source', path: link.source };
        this.loops.push(link);
        const found = this.links(link.links);
        this.loops.pop();
        return found;
      }
      if (link.kind === 'If' && this.on(link.condition)) return this.condition(link.condition);
      return this.action(link.action);
    }
    return undefined;
  }

  private action(action: Ast.Action): Found | undefined {
    const word = ACTION_WORDS[action.kind];
    const keyword = word && { start: action.span.start, end: action.span.start + word.length };
    if (word && keyword && within(keyword, this.offset)) return { kind: 'action', word, span: keyword };
    switch (action.kind) {
      case 'Run':
        if (this.on(action.effect)) return { kind: 'effect', ident: action.effect };
        return this.args(action.args, { kind: 'effect', name: action.effect.name });
      case 'Jump':
      case 'Detour': {
        const target = action.target;
        if (target.kind === 'NamedTarget')
          return this.on(target.name) ? { kind: 'chain', ident: target.name } : undefined;
        return this.value(target.path) ?? (target.otherwise ? this.value(target.otherwise) : undefined);
      }
      case 'Hold':
      case 'Reject':
      case 'Discard':
        for (const part of action.reason?.parts ?? []) {
          if (typeof part !== 'string') {
            const found = this.value(part);
            if (found) return found;
          }
        }
        return undefined;
      default:
        return undefined;
    }
  }

  private condition(c: Ast.Condition): Found | undefined {
    switch (c.kind) {
      case 'Or':
      case 'And':
        for (const o of c.operands) if (this.on(o)) return this.condition(o);
        return undefined;
      case 'Not':
        return this.condition(c.operand);
      case 'Test': {
        const operand = c.operand;
        if (operand.kind === 'Ref') {
          const found = this.value(operand.path);
          if (found) return found;
          const name = operand.path.parts.length === 1 ? operand.path.parts[0].name : '';
          const inArgs = this.args(operand.args, { kind: 'rule', name });
          if (inArgs) return inArgs;
        }
        const p = c.predicate;
        if (p?.role && this.on(p.role)) return { kind: 'role', ident: p.role };
        return p?.value ? this.value(p.value) : undefined;
      }
    }
  }

  private value(v: Ast.Value): Found | undefined {
    if (!this.on(v)) return undefined;
    if (v.kind === 'Path') {
      const part = v.parts.findIndex((p) => this.on(p));
      return part < 0 ? undefined : { kind: 'path', path: v, part, loops: [...this.loops] };
    }
    if (v.kind === 'List') for (const item of v.items) if (this.on(item)) return this.value(item);
    return undefined;
  }

  private args(args: Ast.Args | undefined, owner: ArgOwner): Found | undefined {
    if (!args || !this.on(args)) return undefined;
    for (const arg of args.entries) {
      if (this.on(arg.name)) return { kind: 'param', ident: arg.name, owner };
      if (this.on(arg.value)) return this.value(arg.value);
    }
    return undefined;
  }
}
