// Stage 3: names. Every name in the file is looked up where it may live: rules, effects and
// handlers in the registry; chains and pipelines in the global name table; `let` and `rule`
// definitions in the file; list settings in the settings table. Unknown names get a
// "did you mean" (MM301-MM305); arguments are checked against the parameters (MM401/402,
// resolve-params.ts). The language's own roots (list., msgdata., site., message values) are
// looked up in resolve-paths.ts; definitions too deep are measured in nesting.ts (MM204).
//
// The result is a side table from each Path to what it denotes, which the IR lowering reads.
// A declaration holding a syntax error is skipped: its tree is incomplete, and its real
// problem was already reported.
import type * as A from './ast.js';
import { linkAt, nestedRuns, pathText, within } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import { didYouMean, habit, suggest } from './suggest.js';
import { MAX_NESTING } from '../../grammar/limits.js';
import type { ComponentRegistry, Effect, Handler, LinkSource, Rule } from '../registry.js';
import type { Ty } from './types.js';
import { NestingDepths } from './nesting.js';
import { ROOTS, type RootedBinding } from './resolve-paths.js';
import { reasonSpecial } from './reasons.js';
import { ConditionResolver } from './resolve-conditions.js';
import { whereDefined, type SharedDef, type SharedScope } from './uses.js';

/** What names are resolved against: the part of a Registry (src/registry.ts) files can name. */
export interface Registries {
  rules: Pick<ComponentRegistry<Rule>, 'get' | 'has' | 'names'>;
  effects: Pick<ComponentRegistry<Effect>, 'get' | 'has' | 'names'>;
  handlers: Pick<ComponentRegistry<Handler>, 'get' | 'has' | 'names'>;
  /** What `for` iterates. */
  linkSources: Pick<ComponentRegistry<LinkSource>, 'get' | 'has' | 'names'>;
}

export interface ResolveEnv {
  registry: Registries;
  /** Every chain name in the catalog; undefined: jump targets are not checked. */
  chainNames?: ReadonlySet<string>;
  /** Every pipeline name in the catalog (for MM309 on a jump to a pipeline). */
  pipelineNames?: ReadonlySet<string>;
  /** What the file's `use` declarations bring in (uses.ts). */
  shared?: SharedScope;
  /** Where a .rules file not used defines a name: the hint of an unknown name. */
  definedIn?: (name: string) => { from: string; at: string } | undefined;
}

/** What a path denotes. */
export type Binding =
  | { kind: 'rule'; rule: Rule }
  | { kind: 'local-rule'; def: A.RuleDef }
  | { kind: 'const'; def: A.LetDef }
  | RootedBinding
  /** A field of the current row of a `for` loop. */
  | { kind: 'loop-var'; link: A.ForLink; field: string; type: Ty; key?: string };

export interface Resolution {
  paths: Map<A.Path, Binding>;
  /** The link source of each `for`. */
  sources: Map<A.ForLink, LinkSource>;
  /** Definitions, links and steps skipped because they hold a syntax error. */
  muted: Set<A.Node>;
  /** Declarations holding a syntax error: checked link by link, but never lowered for the graph. */
  broken: Set<A.Declaration>;
  /** Definitions brought in by `use`, with the file they are written in. */
  shared: Map<A.Definition, SharedDef>;
}

const ACTION_WORDS = ['accept', 'hold', 'reject', 'discard', 'defer', 'stop', 'jump', 'detour', 'run', 'if', 'for'];

/** The expected declaration name and kind, from a file named NAME.chain or NAME.pipeline. */
export function expectedFromFile(file: string): { name: string; kind: 'Chain' | 'Pipeline' } | undefined {
  const base = file.split(/[\\/]/).pop() ?? file;
  const m = /^(.*)\.(chain|pipeline)$/.exec(base);
  return m ? { name: m[1], kind: m[2] === 'chain' ? 'Chain' : 'Pipeline' } : undefined;
}

export function resolve(
  ast: A.FileAst,
  env: ResolveEnv,
  sink: DiagnosticSink,
  syntaxErrorOffsets: readonly number[],
): Resolution {
  const r = new Resolver(env, sink);
  r.mute(ast.items, syntaxErrorOffsets);
  r.file(ast);
  return { paths: r.paths, muted: r.muted, broken: r.broken, sources: r.sources, shared: r.shared };
}

class Resolver extends ConditionResolver {
  readonly muted = new Set<A.Node>();
  /** How deep each definition nests, through the definitions it names (MM204). */
  private readonly depths = new NestingDepths();

  readonly broken = new Set<A.Declaration>();
  readonly shared = new Map<A.Definition, SharedDef>();
  private readonly sharedNames = new Map<string, SharedDef>();

  /**
   * Each syntax error mutes the smallest thing it falls in: a definition, or the link or step
   * of a chain or pipeline (the innermost, inside `for` blocks), so one mistake does not hide
   * the rest of the file's. A link recovery could not salvage is not in the tree at all.
   */
  mute(items: readonly (A.Definition | A.Declaration)[], offsets: readonly number[]): void {
    for (const at of offsets) {
      let owner: A.Definition | A.Declaration | undefined;
      for (const item of items) if (item.span.start <= at) owner = item;
      if (!owner) continue;
      if (owner.kind === 'Chain' || owner.kind === 'Pipeline') {
        this.broken.add(owner);
        const inner = owner.kind === 'Chain' ? linkAt(owner.links, at) : owner.steps.find((s) => within(s, at));
        if (inner) this.muted.add(inner);
        continue;
      }
      this.muted.add(owner);
    }
  }

  /** The definitions `use` brought in, resolved in their own file: in scope before the file's own. */
  private useShared(scope: SharedScope | undefined): void {
    if (!scope) return;
    // MM320 at the `use` says why these are missing: no MM301 at every use of them as well.
    for (const name of scope.broken) this.tooDeep.add(name);
    for (const [p, b] of scope.paths) this.paths.set(p, b);
    for (const s of scope.defs) {
      const def = s.def;
      this.depths.remember(def.name.name, this.depths.measure(def));
      if (def.kind === 'Let') this.lets.set(def.name.name, def);
      else this.rules.set(def.name.name, def);
      this.shared.set(def, s);
      this.sharedNames.set(def.name.name, s);
    }
  }

  file(ast: A.FileAst): void {
    this.useShared(this.env.shared);
    this.later = new Set(ast.definitions.map((d) => d.name.name));
    for (const def of ast.definitions) {
      this.later.delete(def.name.name);
      if (!this.muted.has(def)) this.definition(def);
      if (this.measure(def)) this.define(def);
      else this.tooDeep.add(def.name.name);
    }
    const expected = expectedFromFile(ast.file);
    for (const decl of ast.declarations) {
      // A second declaration is MM203 already; the file name speaks for the first only.
      const named = decl === ast.declarations[0] ? expected : undefined;
      const kind = decl.kind.toLowerCase();
      const fileKind = named?.kind.toLowerCase();
      if (named && decl.kind !== named.kind) {
        const is = decl.kind === 'Chain' ? 'a chain' : 'a pipeline';
        this.sink.error(
          decl.name.span,
          Codes.WrongKind,
          `${is} in a .${fileKind} file`,
          `declare a ${fileKind} here, or rename the file to ${decl.name.name}.${kind}`,
        );
      } else if (named && decl.name.name !== named.name) {
        this.sink.error(
          decl.name.span,
          Codes.NameNotFile,
          `${kind} '${decl.name.name}' is in a file named '${named.name}.${fileKind}'`,
          `name it '${named.name}', or rename the file to ${decl.name.name}.${kind}`,
        );
      }
      if (decl.kind === 'Chain') this.links(decl.links);
      else this.pipeline(decl);
    }
  }

  private define(def: A.Definition): void {
    const name = def.name.name;
    const used = this.sharedNames.get(name);
    if (used) {
      // An error, not a quiet override: a chain would run a rule of the same name as the
      // shared one but of other meaning, and a reader of either file could not tell.
      this.sink.error(
        def.name.span,
        Codes.ShadowsShared,
        `'${name}' is already defined at ${whereDefined(used)}, which this file uses`,
        'give this definition a name of its own, or drop it and use the shared one',
      );
      return;
    }
    if (this.lets.has(name) || this.rules.has(name)) {
      this.sink.error(def.name.span, Codes.Duplicate, `'${name}' is already defined in this file`);
      return;
    }
    if (def.kind === 'RuleDef' && this.env.registry.rules.has(name)) {
      this.sink.error(
        def.name.span,
        Codes.Duplicate,
        `rule '${name}' shadows the registered rule of that name`,
        'give the rule a name of its own',
      );
      return;
    }
    if (ROOTS.includes(name)) {
      this.sink.error(
        def.name.span,
        Codes.Duplicate,
        `'${name}' is a name of the language and cannot be redefined`,
        `give the ${def.kind === 'Let' ? 'constant' : 'rule'} a name of its own`,
      );
      return;
    }
    if (def.kind === 'Let') this.lets.set(name, def);
    else this.rules.set(name, def);
  }

  /** MM204 for a definition built on others deeper than MAX_NESTING: it is not kept. */
  private measure(def: A.Definition): boolean {
    const name = def.name.name;
    const depth = this.depths.measure(def);
    if (depth > MAX_NESTING) {
      this.sink.error(
        def.name.span,
        Codes.TooDeep,
        `'${name}' nests ${depth} levels deep through the rules and constants it uses; the limit is ${MAX_NESTING}`,
        'build it from fewer layers of rules and constants',
      );
      return false;
    }
    this.depths.remember(name, depth);
    return true;
  }

  private definition(def: A.Definition): void {
    if (def.kind === 'Let') this.value(def.value);
    else this.condition(def.condition);
  }

  // ---- chains

  private links(links: readonly A.Link[]): void {
    let previous: A.Action | undefined;
    for (const link of links) {
      const after = previous;
      previous = link.kind === 'For' ? undefined : link.action;
      if (this.muted.has(link)) continue;
      // `iff loop then …` makes two unknown words of one typo: report the first only.
      if (link.kind === 'Do' && link.action.kind === 'UnknownAction' && after?.kind === 'UnknownAction' && !after.args)
        continue;
      if (link.kind === 'If') this.condition(link.condition);
      if (link.kind === 'For') {
        this.forLink(link);
        continue;
      }
      this.action(link.action);
      if (link.kind === 'If' && link.otherwise) this.action(link.otherwise);
    }
  }

  private forLink(link: A.ForLink): void {
    const name = pathText(link.source);
    const sources = this.env.registry.linkSources;
    const source = sources.get(name);
    if (source) this.sources.set(link, source);
    else {
      const known = sources.names();
      this.sink.error(
        link.source.span,
        Codes.UnknownName,
        `unknown link source '${name}'`,
        didYouMean(name, known) ?? (known.length ? `the link sources are ${known.join(', ')}` : undefined),
      );
    }
    const v = link.variable.name;
    if (this.lets.has(v) || this.rules.has(v) || this.loopVars.has(v) || ROOTS.includes(v)) {
      this.sink.error(
        link.variable.span,
        Codes.Duplicate,
        `loop variable '${v}' hides another name`,
        'give the loop variable a name of its own',
      );
    }
    const outer = this.loopVars;
    this.loopVars = new Map(outer).set(v, link);
    this.links(link.links);
    this.loopVars = outer;
  }

  private action(action: A.Action): void {
    switch (action.kind) {
      case 'Jump':
      case 'Detour':
        if (action.target.kind === 'NamedTarget') this.chainTarget(action.target.name);
        else {
          this.value(action.target.path);
          if (action.target.otherwise) this.value(action.target.otherwise);
        }
        return;
      case 'Run': {
        const effect = this.env.registry.effects.get(action.effect.name);
        const other = this.kindOf(action.effect.name);
        if (!effect && other) {
          const guess = didYouMean(action.effect.name, this.env.registry.effects.names());
          this.sink.error(
            action.effect.span,
            Codes.WrongKind,
            `'${action.effect.name}' is ${other}, not an effect`,
            `'run' calls an effect${guess?.replace(/^did/, ': did') ?? ''}`,
          );
        } else if (!effect) {
          this.sink.error(
            action.effect.span,
            Codes.UnknownEffect,
            `unknown effect '${action.effect.name}'`,
            suggest(action.effect.name, this.env.registry.effects.names(), 'effects', 'mailman components effects'),
          );
        }
        this.args(action.args, effect, action.effect, 'effect');
        return;
      }
      case 'Hold':
      case 'Reject':
      case 'Discard':
        for (const part of action.reason?.parts ?? []) {
          if (typeof part === 'string') continue;
          const special = reasonSpecial(part);
          if (special?.kind === 'bad') this.sink.error(part.span, Codes.UnknownName, special.message, special.hint);
          else if (!special) this.value(part);
        }
        return;
      case 'Block':
        this.links(action.links);
        return;
      case 'UnknownAction': {
        const word = action.word.name;
        const hint = this.env.registry.effects.has(word)
          ? `to call the effect, write 'run ${word}'`
          : (habit(word) ??
            didYouMean(word, ACTION_WORDS) ??
            'the actions are accept, hold, reject, discard, defer, stop, jump, detour and run');
        this.sink.error(action.word.span, Codes.UnknownAction, `unknown action '${word}'`, hint);
        return;
      }
      default:
        return;
    }
  }

  private chainTarget(name: A.Ident): void {
    const { chainNames, pipelineNames } = this.env;
    if (!chainNames || chainNames.has(name.name)) return;
    if (pipelineNames?.has(name.name)) {
      this.sink.error(
        name.span,
        Codes.WrongKind,
        `'${name.name}' is a pipeline, not a chain`,
        'jump and detour go to chains',
      );
      return;
    }
    this.sink.error(name.span, Codes.UnknownChain, `unknown chain '${name.name}'`, didYouMean(name.name, chainNames));
  }

  // ---- pipelines

  private pipeline(decl: A.PipelineDecl): void {
    for (const step of decl.steps) if (!this.muted.has(step)) this.step(step);
    for (const edit of decl.edits) if (edit.step) this.step(edit.step);
  }

  private step(step: A.Step): void {
    const handler = this.env.registry.handlers.get(step.handler.name);
    const other = handler ? undefined : this.kindOf(step.handler.name);
    // A per-copy handler is registered: MM505 (check/steps.ts) says what is wrong with the step.
    if (other) {
      this.sink.error(
        step.handler.span,
        Codes.WrongKind,
        `'${step.handler.name}' is ${other}, not a handler`,
        'a pipeline step names a registered handler',
      );
    } else if (!handler) {
      this.sink.error(
        step.handler.span,
        Codes.UnknownHandler,
        `unknown handler '${step.handler.name}'`,
        suggest(step.handler.name, this.env.registry.handlers.names(), 'handlers', 'mailman components handlers'),
      );
    }
    this.args(step.args, handler, step.handler, 'handler');
    if (step.when) {
      this.inPipeline = true;
      this.condition(step.when);
      this.inPipeline = false;
    }
  }
}
