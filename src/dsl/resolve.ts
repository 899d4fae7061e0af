// Stage 3: names. Every name in the file is looked up where it may live: rules, effects and
// handlers in the registry; chains and pipelines in the global name table; `let` and `rule`
// definitions in the file; list settings in the settings table. Unknown names get a
// "did you mean" (MM301-MM305); arguments are checked against the parameters (MM401/402).
//
// The result is a side table from each Path to what it denotes, which the IR lowering reads.
// A declaration holding a syntax error is skipped: its tree is incomplete, and its real
// problem was already reported.
import type * as A from './ast.js';
import { pathText } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import { closest, didYouMean } from './suggest.js';
import { MAX_NESTING } from '../../grammar/limits.js';
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import { sectionSpec, allSectionNames, isSecretKey, SECRET_NAME } from '../config/schema.js';
import { registry as globalRegistry, type Component, type ComponentRegistry, type Effect, type Handler, type LinkSource, type ParamSpec, type Rule } from '../registry.js';
import { MESSAGE_TYPES, ROLES, fromParamType, msgdataKeys, msgdataType, settingType, siteType, type Ty } from './types.js';

/** The registries names are resolved against (src/registry.ts's `registry` by default). */
export interface Registries {
  rules: Pick<ComponentRegistry<Rule>, 'get' | 'has' | 'names'>;
  effects: Pick<ComponentRegistry<Effect>, 'get' | 'has' | 'names'>;
  handlers: Pick<ComponentRegistry<Handler>, 'get' | 'has' | 'names'>;
  /** What `for` iterates; src/registry.ts's when absent. */
  linkSources?: Pick<ComponentRegistry<LinkSource>, 'get' | 'has' | 'names'>;
}

/** The link sources of a Registries, falling back to the process's. */
export function linkSourcesOf(r: Registries): Pick<ComponentRegistry<LinkSource>, 'get' | 'has' | 'names'> {
  return r.linkSources ?? globalRegistry.linkSources;
}

export interface ResolveEnv {
  registry: Registries;
  /** Every chain name in the catalog; undefined: jump targets are not checked. */
  chainNames?: ReadonlySet<string>;
  /** Every pipeline name in the catalog (for MM309 on a jump to a pipeline). */
  pipelineNames?: ReadonlySet<string>;
}

/** What a path denotes. */
export type Binding =
  | { kind: 'rule'; rule: Rule }
  | { kind: 'local-rule'; def: A.RuleDef }
  | { kind: 'const'; def: A.LetDef }
  | { kind: 'setting'; name: string; type: Ty }
  | { kind: 'msgdata'; key: string; type: Ty }
  /** A message value: `sender`, `sender.domain`, `senders`, `size`, `recipients`, `recipients.count`. */
  | { kind: 'message'; name: string; type: Ty }
  | { kind: 'site'; section: string; key: string; type: Ty }
  /** A field of the current row of a `for` loop. */
  | { kind: 'loop-var'; link: A.ForLink; field: string; type: Ty };

export interface Resolution {
  paths: Map<A.Path, Binding>;
  /** The link source of each `for`. */
  sources: Map<A.ForLink, LinkSource>;
  /** Declarations and definitions skipped because they hold a syntax error. */
  muted: Set<A.Node>;
}

/** Names the language gives a meaning of their own (dsl.md §5.2). */
const MESSAGE_VALUES = new Map<string, readonly string[]>([
  ['sender', ['domain', 'localpart']],
  ['senders', []],
  ['recipients', ['count']],
  ['size', []],
]);
const ROOTS = ['list', 'msgdata', 'site', ...MESSAGE_VALUES.keys()];
/** Handlers that run per copy in the out runner, never in a pipeline (MM505). */
export const PER_COPY_HANDLERS: ReadonlySet<string> = new Set(['decorate', 'arc-sign']);
const ACTION_WORDS = ['accept', 'hold', 'reject', 'discard', 'defer', 'stop', 'jump', 'detour', 'run', 'if', 'for'];

/** The expected declaration name and kind, from a file named NAME.chain or NAME.pipeline. */
export function expectedFromFile(file: string): { name: string; kind: 'Chain' | 'Pipeline' } | undefined {
  const base = file.split(/[\\/]/).pop() ?? file;
  const m = /^(.*)\.(chain|pipeline)$/.exec(base);
  return m ? { name: m[1], kind: m[2] === 'chain' ? 'Chain' : 'Pipeline' } : undefined;
}

export function resolve(ast: A.FileAst, env: ResolveEnv, sink: DiagnosticSink, syntaxErrorOffsets: readonly number[]): Resolution {
  const r = new Resolver(env, sink);
  r.mute(ast.items, syntaxErrorOffsets);
  r.file(ast);
  return { paths: r.paths, muted: r.muted, sources: r.sources };
}

class Resolver {
  readonly paths = new Map<A.Path, Binding>();
  readonly sources = new Map<A.ForLink, LinkSource>();
  readonly muted = new Set<A.Node>();
  /** For each muted item, the offset of its first syntax error. */
  private readonly firstError = new Map<A.Node, number>();
  private readonly lets = new Map<string, A.LetDef>();
  private readonly rules = new Map<string, A.RuleDef>();
  /** How deep each definition nests, through the definitions it names (MM204). */
  private readonly depths = new Map<string, number>();
  /** Definitions refused by MM204: their uses are left unresolved without another error. */
  private readonly tooDeep = new Set<string>();
  /** Definitions further down the file, for "defined below" hints. */
  private later = new Set<string>();
  private loopVars = new Map<string, A.ForLink>();
  private inPipeline = false;

  constructor(
    private readonly env: ResolveEnv,
    private readonly sink: DiagnosticSink,
  ) {}

  /** Each syntax error mutes the last item starting at or before it. */
  mute(items: readonly (A.Definition | A.Declaration)[], offsets: readonly number[]): void {
    for (const at of offsets) {
      let owner: A.Node | undefined;
      for (const item of items) if (item.span.start <= at) owner = item;
      if (!owner) continue;
      this.muted.add(owner);
      this.firstError.set(owner, Math.min(at, this.firstError.get(owner) ?? Infinity));
    }
  }

  file(ast: A.FileAst): void {
    this.later = new Set(ast.definitions.map((d) => d.name.name));
    for (const def of ast.definitions) {
      this.later.delete(def.name.name);
      if (!this.muted.has(def)) this.definition(def);
      if (this.measure(def)) this.define(def);
      else this.tooDeep.add(def.name.name);
    }
    const expected = expectedFromFile(ast.file);
    for (const decl of ast.declarations) {
      if (this.muted.has(decl)) {
        // An unknown action word is a syntax problem: worth reporting even here.
        if (decl.kind === 'Chain') this.unknownActions(decl.links, this.firstError.get(decl) ?? Infinity);
        continue;
      }
      // A second declaration is MM203 already; the file name speaks for the first only.
      const named = decl === ast.declarations[0] ? expected : undefined;
      if (named && decl.kind !== named.kind) {
        const is = decl.kind === 'Chain' ? 'a chain' : 'a pipeline';
        this.sink.error(decl.name.span, Codes.WrongKind, `${is} in a .${named.kind.toLowerCase()} file`, `declare a ${named.kind.toLowerCase()} here, or rename the file to ${decl.name.name}.${decl.kind.toLowerCase()}`);
      } else if (named && decl.name.name !== named.name) {
        this.sink.error(decl.name.span, Codes.NameNotFile, `${decl.kind.toLowerCase()} '${decl.name.name}' is in a file named '${named.name}.${named.kind.toLowerCase()}'`, `name it '${named.name}', or rename the file to ${decl.name.name}.${decl.kind.toLowerCase()}`);
      }
      if (decl.kind === 'Chain') this.links(decl.links);
      else this.pipeline(decl);
    }
  }

  private define(def: A.Definition): void {
    const name = def.name.name;
    if (this.lets.has(name) || this.rules.has(name)) {
      this.sink.error(def.name.span, Codes.Duplicate, `'${name}' is already defined in this file`);
      return;
    }
    if (def.kind === 'RuleDef' && this.env.registry.rules.has(name)) {
      this.sink.error(def.name.span, Codes.Duplicate, `rule '${name}' shadows the registered rule of that name`, 'give the rule a name of its own');
      return;
    }
    if (ROOTS.includes(name)) {
      this.sink.error(def.name.span, Codes.Duplicate, `'${name}' is a name of the language and cannot be redefined`, `give the ${def.kind === 'Let' ? 'constant' : 'rule'} a name of its own`);
      return;
    }
    if (def.kind === 'Let') this.lets.set(name, def);
    else this.rules.set(name, def);
  }

  /**
   * MM204 for a definition built on others deeper than MAX_NESTING: rules calling rules and
   * lets naming lets are unfolded level by level by the later stages and at message time,
   * so their nesting adds up like parentheses do. A definition too deep is not kept.
   */
  private measure(def: A.Definition): boolean {
    const name = def.name.name;
    const depth = def.kind === 'Let' ? this.valueDepth(def.value) : this.condDepth(def.condition);
    if (depth > MAX_NESTING) {
      this.sink.error(def.name.span, Codes.TooDeep, `'${name}' nests ${depth} levels deep through the rules and constants it uses; the limit is ${MAX_NESTING}`, 'build it from fewer layers of rules and constants');
      return false;
    }
    if (!this.depths.has(name)) this.depths.set(name, depth);
    return true;
  }

  /** Levels of a condition, counting the definitions it names at their own depth. */
  private condDepth(c: A.Condition): number {
    switch (c.kind) {
      case 'Or':
      case 'And':
        return 1 + c.operands.reduce((m, o) => Math.max(m, this.condDepth(o)), 0);
      case 'Not':
        return 1 + this.condDepth(c.operand);
      case 'Test': {
        const left = c.operand.kind === 'Header' ? 0 : c.operand.kind === 'Ref' ? this.valueDepth(c.operand.path) : this.valueDepth(c.operand);
        const args = c.operand.kind === 'Ref' ? (c.operand.args?.entries ?? []).reduce((m, a) => Math.max(m, this.valueDepth(a.value)), 0) : 0;
        return Math.max(1, left, args, c.predicate?.value ? this.valueDepth(c.predicate.value) : 0);
      }
    }
  }

  private valueDepth(v: A.Value): number {
    if (v.kind === 'List') return 1 + v.items.reduce((m, i) => Math.max(m, this.valueDepth(i)), 0);
    if (v.kind === 'Path' && v.parts.length === 1) return 1 + (this.depths.get(v.parts[0].name) ?? 0);
    return 1;
  }

  private definition(def: A.Definition): void {
    if (def.kind === 'Let') this.value(def.value);
    else this.condition(def.condition);
  }

  // ---- chains

  private links(links: readonly A.Link[]): void {
    for (const link of links) {
      if (link.kind === 'If') this.condition(link.condition);
      if (link.kind === 'For') {
        this.forLink(link);
        continue;
      }
      this.action(link.action);
    }
  }

  /**
   * MM202 only, for a declaration muted by a syntax error, and only before that error: after
   * it, recovery may have made words of anything.
   */
  private unknownActions(links: readonly A.Link[], before: number): void {
    let previous: A.Action | undefined;
    for (const link of links) {
      if (link.span.start >= before) return;
      if (link.kind === 'For') {
        this.unknownActions(link.links, before);
        previous = undefined;
        continue;
      }
      // `iff loop then …` makes two unknown words of one typo: report the first.
      const echo = previous?.kind === 'UnknownAction' && !previous.args;
      if (link.action.kind === 'UnknownAction' && !echo) this.action(link.action);
      previous = link.action;
    }
  }

  private forLink(link: A.ForLink): void {
    const name = pathText(link.source);
    const sources = linkSourcesOf(this.env.registry);
    const source = sources.get(name);
    if (source) this.sources.set(link, source);
    else {
      const known = sources.names();
      this.sink.error(link.source.span, Codes.UnknownName, `unknown link source '${name}'`, didYouMean(name, known) ?? (known.length ? `the link sources are ${known.join(', ')}` : undefined));
    }
    const v = link.variable.name;
    if (this.lets.has(v) || this.rules.has(v) || this.loopVars.has(v) || ROOTS.includes(v)) {
      this.sink.error(link.variable.span, Codes.Duplicate, `loop variable '${v}' hides another name`, 'give the loop variable a name of its own');
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
          this.sink.error(action.effect.span, Codes.WrongKind, `'${action.effect.name}' is ${other}, not an effect`, `'run' calls an effect${didYouMean(action.effect.name, this.env.registry.effects.names())?.replace(/^did/, ': did') ?? ''}`);
        } else if (!effect) {
          this.sink.error(action.effect.span, Codes.UnknownEffect, `unknown effect '${action.effect.name}'`, didYouMean(action.effect.name, this.env.registry.effects.names()));
        }
        this.args(action.args, effect, action.effect, 'effect');
        return;
      }
      case 'Hold':
      case 'Reject':
      case 'Discard':
        for (const part of action.reason?.parts ?? []) if (typeof part !== 'string') this.value(part);
        return;
      case 'UnknownAction': {
        const word = action.word.name;
        const hint = this.env.registry.effects.has(word)
          ? `to call the effect, write 'run ${word}'`
          : (didYouMean(word, ACTION_WORDS) ?? 'the actions are accept, hold, reject, discard, defer, stop, jump, detour and run');
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
      this.sink.error(name.span, Codes.WrongKind, `'${name.name}' is a pipeline, not a chain`, 'jump and detour go to chains');
      return;
    }
    this.sink.error(name.span, Codes.UnknownChain, `unknown chain '${name.name}'`, didYouMean(name.name, chainNames));
  }

  // ---- pipelines

  private pipeline(decl: A.PipelineDecl): void {
    for (const step of decl.steps) {
      const handler = this.env.registry.handlers.get(step.handler.name);
      const other = handler ? undefined : this.kindOf(step.handler.name);
      if (PER_COPY_HANDLERS.has(step.handler.name)) {
        // MM505 says what is wrong with it (lower.ts), registered or not.
      } else if (other) {
        this.sink.error(step.handler.span, Codes.WrongKind, `'${step.handler.name}' is ${other}, not a handler`, 'a pipeline step names a registered handler');
      } else if (!handler) {
        this.sink.error(step.handler.span, Codes.UnknownHandler, `unknown handler '${step.handler.name}'`, didYouMean(step.handler.name, this.env.registry.handlers.names()));
      }
      this.args(step.args, handler, step.handler, 'handler');
      if (step.when) {
        this.inPipeline = true;
        this.condition(step.when);
        this.inPipeline = false;
      }
    }
  }

  // ---- conditions

  private condition(c: A.Condition): void {
    switch (c.kind) {
      case 'Or':
      case 'And':
        for (const o of c.operands) this.condition(o);
        return;
      case 'Not':
        this.condition(c.operand);
        return;
      case 'Test':
        if (c.operand.kind === 'Ref') {
          if (c.predicate) {
            this.value(c.operand.path);
            if (c.operand.args) this.sink.error(c.operand.args.span, Codes.UnknownParam, `'${pathText(c.operand.path)}' takes no arguments`);
          } else this.bareTest(c.operand);
        } else if (c.operand.kind !== 'Header') this.value(c.operand);
        if (c.predicate?.value) this.value(c.predicate.value);
        if (c.predicate?.role && !(ROLES as readonly string[]).includes(c.predicate.role.name)) {
          const role = c.predicate.role;
          this.sink.error(role.span, Codes.UnknownRole, `unknown role '${role.name}'`, didYouMean(role.name, ROLES) ?? `the roles are ${ROLES.join(', ')}`);
        }
        return;
    }
  }

  /** What else a name is, for MM309: "a handler", "an effect", "a chain" … */
  private kindOf(name: string): string | undefined {
    const r = this.env.registry;
    if (r.rules.has(name) || this.rules.has(name)) return 'a rule';
    if (r.effects.has(name)) return 'an effect';
    if (r.handlers.has(name)) return 'a handler';
    if (this.env.chainNames?.has(name)) return 'a chain';
    if (this.env.pipelineNames?.has(name)) return 'a pipeline';
    return undefined;
  }

  /** A Ref with no predicate: a rule, or a boolean value. */
  private bareTest(ref: A.RefOperand): void {
    const path = ref.path;
    const [head, ...rest] = path.parts;
    if (rest.length === 0) {
      if (this.tooDeep.has(head.name)) return;
      const local = this.rules.get(head.name);
      const rule = this.env.registry.rules.get(head.name);
      if (local || rule) {
        if (this.inPipeline) {
          this.sink.error(path.span, Codes.WrongKind, `rule '${head.name}' in a pipeline's 'when'`, "a step's condition may test headers, settings and msgdata, not rules");
          return;
        }
        if (local) {
          this.paths.set(path, { kind: 'local-rule', def: local });
          if (ref.args) this.sink.error(ref.args.span, Codes.UnknownParam, `rule '${head.name}' is defined in this file and takes no arguments`);
          return;
        }
        this.paths.set(path, { kind: 'rule', rule: rule! });
        this.args(ref.args, rule, head, 'rule');
        return;
      }
      if (this.lets.has(head.name) || this.loopVars.has(head.name) || MESSAGE_VALUES.has(head.name)) {
        this.value(path);
        return;
      }
      const other = this.kindOf(head.name);
      if (other) {
        this.sink.error(head.span, Codes.WrongKind, `'${head.name}' is ${other}, not a rule`, other === 'a chain' ? `to continue in the chain, write 'jump ${head.name}' or 'detour ${head.name}'` : other === 'an effect' ? `to call the effect, write 'then run ${head.name}'` : 'a condition tests rules and values');
        return;
      }
      const candidates = [...(this.inPipeline ? [] : this.env.registry.rules.names()), ...(this.inPipeline ? [] : this.rules.keys())];
      const hint = this.later.has(head.name) ? `'${head.name}' is defined further down; move its definition up` : didYouMean(head.name, candidates);
      this.sink.error(head.span, Codes.UnknownRule, `unknown rule '${head.name}'`, hint);
      return;
    }
    this.value(path);
    if (ref.args) this.sink.error(ref.args.span, Codes.UnknownParam, `'${pathText(path)}' takes no arguments`);
  }

  // ---- values

  private value(v: A.Value): void {
    if (v.kind === 'List') {
      for (const item of v.items) this.value(item);
      return;
    }
    if (v.kind !== 'Path') return;
    const binding = this.valuePath(v);
    if (binding) this.paths.set(v, binding);
  }

  private valuePath(path: A.Path): Binding | undefined {
    const [head, ...rest] = path.parts;
    const name = head.name;
    const loop = this.loopVars.get(name);
    if (loop) return this.loopField(path, loop);
    if (rest.length === 0) {
      if (this.tooDeep.has(name)) return undefined;
      const def = this.lets.get(name);
      if (def) return { kind: 'const', def };
      const type = MESSAGE_TYPES.get(name);
      if (type) return { kind: 'message', name, type };
      if (this.rules.has(name) || this.env.registry.rules.has(name)) {
        this.sink.error(path.span, Codes.BadOperator, `rule '${name}' is a condition, not a value`, `test it on its own: 'if ${name} then …'`);
        return undefined;
      }
      if (name === 'list' || name === 'msgdata' || name === 'site') {
        const example = name === 'list' ? 'list.display_name' : name === 'msgdata' ? 'msgdata.approved' : 'site.antispam.jump_chain';
        this.sink.error(path.span, Codes.UnknownName, `'${name}' alone is not a value`, `name one of its keys, as in ${example}`);
        return undefined;
      }
      const hint = this.later.has(name) ? `'${name}' is defined further down; move its definition up` : didYouMean(name, [...this.lets.keys(), ...this.loopVars.keys(), ...ROOTS]);
      this.sink.error(path.span, Codes.UnknownName, `unknown name '${name}'`, hint);
      return undefined;
    }
    switch (name) {
      case 'list': {
        const setting = rest[0].name;
        const type = settingType(setting);
        if (rest.length > 1 || !type) {
          const what = rest.length > 1 ? pathText(path) : `list.${setting}`;
          this.sink.error(path.span, Codes.UnknownName, `unknown list setting '${what}'`, rest.length > 1 ? (type ? `'list.${setting}' has no parts` : undefined) : didYouMean(setting, SETTINGS_BY_NAME.keys())?.replace(/'(.*)'/, "'list.$1'"));
          return undefined;
        }
        if (SETTINGS_BY_NAME.get(setting)?.secret || SECRET_NAME.test(setting)) {
          this.secret(path, `list.${setting}`);
          return undefined;
        }
        return { kind: 'setting', name: setting, type };
      }
      case 'msgdata': {
        const type = msgdataType(rest[0].name);
        if (rest.length > 1 || !type) {
          const hint = rest.length > 1 ? 'msgdata keys are one word: msgdata.KEY' : (didYouMean(rest[0].name, msgdataKeys()) ?? 'the rule or handler that sets a msgdata key registers it with its type');
          this.sink.error(path.span, Codes.UnknownName, `unknown msgdata key '${pathText(path).slice('msgdata.'.length)}'`, hint);
          return undefined;
        }
        return { kind: 'msgdata', key: rest[0].name, type };
      }
      case 'site': {
        const [section, key, ...more] = rest.map((p) => p.name);
        const spec = sectionSpec(section);
        if (!spec) {
          this.sink.error(path.span, Codes.UnknownName, `unknown configuration section '${section}'`, didYouMean(section, allSectionNames())?.replace(/'(.*)'/, "'site.$1'") ?? 'write site.SECTION.KEY, as in site.antispam.jump_chain');
          return undefined;
        }
        const type = key === undefined ? undefined : siteType(section, key);
        if (!type || more.length) {
          const hint = key === undefined ? `name a key of [${section}]: ${Object.keys(spec).join(', ')}` : more.length && type ? `'site.${section}.${key}' has no parts` : (didYouMean(key, Object.keys(spec))?.replace(/'(.*)'/, `'site.${section}.$1'`) ?? `the keys of [${section}] are ${Object.keys(spec).join(', ')}`);
          this.sink.error(path.span, Codes.UnknownName, key === undefined ? `'site.${section}' is a section, not a value` : `unknown configuration key '${pathText(path).slice('site.'.length)}'`, hint);
          return undefined;
        }
        if (isSecretKey(section, key!)) {
          this.secret(path, `site.${section}.${key}`);
          return undefined;
        }
        return { kind: 'site', section, key, type };
      }
      default: {
        const fields = MESSAGE_VALUES.get(name);
        const full = pathText(path);
        const type = MESSAGE_TYPES.get(full);
        if (type) return { kind: 'message', name: full, type };
        if (fields) {
          const guess = rest.length === 1 ? didYouMean(rest[0].name, fields)?.replace(/'(.*)'/, `'${name}.$1'`) : undefined;
          this.sink.error(path.span, Codes.UnknownName, `'${name}' has no '${rest.map((p) => p.name).join('.')}'`, guess ?? (fields.length ? `it has ${fields.map((f) => `${name}.${f}`).join(' and ')}` : `'${name}' has no parts`));
          return undefined;
        }
        this.sink.error(head.span, Codes.UnknownName, `unknown name '${name}'`, didYouMean(name, [...this.lets.keys(), ...this.loopVars.keys(), ...ROOTS]));
        return undefined;
      }
    }
  }

  /**
   * MM311: passwords and keys are not values of the language. Refused here, where every
   * `list.X` and `site.S.K` (conditions, arguments, reasons, lets) is resolved, so no
   * reason, trace or `explain` can ever show one.
   */
  private secret(path: A.Path, what: string): void {
    this.sink.error(path.span, Codes.Secret, `'${what}' is a secret: chains and pipelines cannot read passwords or keys`, 'test something else; a rule that needs a secret reads it itself (as approved does with the moderator password)');
  }

  /** `c.header`: a field of the row a `for` is at, typed by its link source. */
  private loopField(path: A.Path, loop: A.ForLink): Binding | undefined {
    const [head, ...rest] = path.parts;
    const source = this.sources.get(loop);
    if (rest.length !== 1) {
      const fields = source ? Object.keys(source.fields) : [];
      this.sink.error(path.span, Codes.UnknownName, rest.length === 0 ? `loop variable '${head.name}' is a row, not a value` : `'${pathText(path)}' goes too deep`, fields.length ? `name a field: ${fields.map((f) => `${head.name}.${f}`).join(', ')}` : undefined);
      return undefined;
    }
    const field = rest[0].name;
    if (!source) return { kind: 'loop-var', link: loop, field, type: 'unknown' }; // unknown source: reported at the 'for'
    const type = source.fields[field];
    if (!type) {
      const fields = Object.keys(source.fields);
      this.sink.error(rest[0].span, Codes.UnknownName, `rows of '${source.name}' have no field '${field}'`, didYouMean(field, fields) ?? `the fields are ${fields.join(', ')}`);
      return undefined;
    }
    return { kind: 'loop-var', link: loop, field, type: fromParamType(type) };
  }

  // ---- arguments

  /** Checks arguments against a component's parameters; with no component (unknown), only resolves values. */
  private args(args: A.Args | undefined, component: Component | undefined, owner: A.Ident, kind: string): void {
    const declared: readonly ParamSpec[] = component?.params ?? [];
    const given = new Set<string>();
    /** Parameters a misspelt argument was probably meant for: not also "missing". */
    const meant = new Set<string>();
    for (const arg of args?.entries ?? []) {
      const name = arg.name.name;
      if (given.has(name)) this.sink.error(arg.name.span, Codes.Duplicate, `argument '${name}' is given twice`);
      given.add(name);
      if (component && !declared.some((p) => p.name === name)) {
        const guess = closest(name, declared.map((p) => p.name));
        if (guess) meant.add(guess);
        const hint = guess ? `did you mean '${guess}'?` : declared.length ? `${kind} '${owner.name}' takes ${declared.map((p) => p.name).join(', ')}` : `${kind} '${owner.name}' takes no arguments`;
        this.sink.error(arg.name.span, Codes.UnknownParam, `${kind} '${owner.name}' has no parameter '${name}'`, hint);
      }
      this.value(arg.value);
    }
    const missing = declared.filter((p) => p.required && p.default === undefined && !given.has(p.name) && !meant.has(p.name)).map((p) => p.name);
    if (missing.length) {
      const list = missing.length === 1 ? `the argument '${missing[0]}'` : `the arguments ${missing.slice(0, -1).map((m) => `'${m}'`).join(', ')} and '${missing[missing.length - 1]}'`;
      this.sink.error(args?.span ?? owner.span, Codes.MissingParam, `${kind} '${owner.name}' needs ${list}`, `write ${owner.name}(${[...(args?.entries ?? []).filter((a) => declared.some((p) => p.name === a.name.name)).map((a) => `${a.name.name}: …`), ...missing.map((m) => `${m}: …`)].join(', ')})`);
    }
  }

}
