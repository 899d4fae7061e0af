// Stage 3, the names in conditions and values: rules (registered or defined in the file),
// `let` constants, loop variables' fields, and the language's own roots (resolve-paths.ts).
// resolve.ts walks the declarations and calls in here for every condition and value.
import type * as A from './ast.js';
import { pathText } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import { didYouMean, habit, suggest } from './suggest.js';
import type { Component, LinkSource } from '../registry.js';
import { MESSAGE_TYPES, ROLES, fromParamType } from './types.js';
import { checkParams } from './resolve-params.js';
import { MESSAGE_VALUES, ROOTS, resolveRooted } from './resolve-paths.js';
import type { Binding, ResolveEnv } from './resolve.js';

/** A key of each root, for the hint when a root is used alone. */
const EXAMPLE_KEYS: Record<string, string> = {
  list: 'list.display_name',
  msgdata: 'msgdata.approved',
  site: 'site.antispam.jump_chain',
};

export abstract class ConditionResolver {
  readonly paths = new Map<A.Path, Binding>();
  readonly sources = new Map<A.ForLink, LinkSource>();
  protected readonly lets = new Map<string, A.LetDef>();
  protected readonly rules = new Map<string, A.RuleDef>();
  /** Definitions refused by MM204: their uses are left unresolved without another error. */
  protected readonly tooDeep = new Set<string>();
  /** Definitions further down the file, for "defined below" hints. */
  protected later = new Set<string>();
  protected loopVars = new Map<string, A.ForLink>();
  protected inPipeline = false;
  /** The file's own names for a hint; one function for all paths, not a closure per path. */
  private readonly ownNames = (): string[] => [...this.lets.keys(), ...this.loopVars.keys(), ...ROOTS];

  constructor(
    protected readonly env: ResolveEnv,
    protected readonly sink: DiagnosticSink,
  ) {}

  /** The hint for a name a .rules file defines that this file does not use. */
  private definedElsewhere(name: string): string | undefined {
    const found = this.env.definedIn?.(name);
    return found && `defined in ${found.from}:${found.at}; add \`use "${found.from}"\``;
  }

  // ---- conditions

  protected condition(c: A.Condition): void {
    switch (c.kind) {
      case 'Or':
      case 'And':
        for (const o of c.operands) this.condition(o);
        return;
      case 'Not':
        this.condition(c.operand);
        return;
      case 'Test': {
        const operand = c.operand.kind === 'Convert' ? c.operand.of : c.operand;
        if (operand.kind === 'Ref') {
          if (operand.key) this.keyed(operand);
          else if (c.predicate || c.operand.kind === 'Convert') {
            this.value(operand.path);
            if (operand.args) {
              this.sink.error(operand.args.span, Codes.UnknownParam, `'${pathText(operand.path)}' takes no arguments`);
            }
          } else this.bareTest(operand);
        } else if (operand.kind !== 'Header') this.value(operand);
        if (c.predicate?.value) this.value(c.predicate.value);
        if (c.predicate?.role && !(ROLES as readonly string[]).includes(c.predicate.role.name)) {
          const role = c.predicate.role;
          this.sink.error(
            role.span,
            Codes.UnknownRole,
            `unknown role '${role.name}'`,
            habit(role.name) ?? didYouMean(role.name, ROLES) ?? `the roles are ${ROLES.join(', ')}`,
          );
        }
        return;
      }
    }
  }

  /** `part.header "X"`: a field of a loop's row read with a name. */
  private keyed(ref: A.RefOperand): void {
    const path = ref.path;
    const head = path.parts[0];
    const more = path.parts.length - 1; // not a rest array: this runs for every path
    const loop = this.loopVars.get(head.name);
    const source = loop && this.sources.get(loop);
    const keyed = source?.keyedFields ?? {};
    if (loop && !source) return; // an unknown link source: reported at the `for`
    if (!loop || more !== 1 || !keyed[path.parts[1].name]) {
      const names = Object.keys(keyed).map((f) => `${head.name}.${f} "Name"`);
      this.sink.error(
        ref.key!.span,
        Codes.BadOperator,
        `'${pathText(path)}' is not read with a name`,
        names.length
          ? `only ${names.join(', ')} takes a name`
          : `a name after a value reads a header of a MIME part: for part in message.parts { … part.header "X" … }`,
      );
      if (!loop) this.value(path);
      return;
    }
    if (ref.args) this.sink.error(ref.args.span, Codes.UnknownParam, `'${pathText(path)}' takes no arguments`);
    const field = path.parts[1].name;
    this.paths.set(path, {
      kind: 'loop-var',
      link: loop,
      field,
      type: fromParamType(keyed[field]),
      key: ref.key!.value,
    });
  }

  /** What else a name is, for MM309: "a handler", "an effect", "a chain" … */
  protected kindOf(name: string): string | undefined {
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
    const head = path.parts[0];
    const more = path.parts.length - 1;
    if (more === 0) {
      if (this.tooDeep.has(head.name)) return;
      const local = this.rules.get(head.name);
      const rule = this.env.registry.rules.get(head.name);
      if (local || rule) {
        if (this.inPipeline) {
          this.sink.error(
            path.span,
            Codes.WrongKind,
            `rule '${head.name}' in a pipeline's 'when'`,
            "a step's condition may test headers, settings and msgdata, not rules",
          );
          return;
        }
        if (local) {
          this.paths.set(path, { kind: 'local-rule', def: local });
          if (ref.args) {
            this.sink.error(
              ref.args.span,
              Codes.UnknownParam,
              `rule '${head.name}' is defined in this file and takes no arguments`,
            );
          }
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
        const hint =
          other === 'a chain'
            ? `to continue in the chain, write 'jump ${head.name}' or 'detour ${head.name}'`
            : other === 'an effect'
              ? `to call the effect, write 'then run ${head.name}'`
              : 'a condition tests rules and values';
        this.sink.error(head.span, Codes.WrongKind, `'${head.name}' is ${other}, not a rule`, hint);
        return;
      }
      const candidates = this.inPipeline ? [] : [...this.env.registry.rules.names(), ...this.rules.keys()];
      const hint = this.later.has(head.name)
        ? `'${head.name}' is defined further down; move its definition up`
        : ((this.inPipeline ? undefined : this.definedElsewhere(head.name)) ??
          suggest(head.name, candidates, 'rules', 'mailman components rules'));
      this.sink.error(head.span, Codes.UnknownRule, `unknown rule '${head.name}'`, hint);
      return;
    }
    this.value(path);
    if (ref.args) this.sink.error(ref.args.span, Codes.UnknownParam, `'${pathText(path)}' takes no arguments`);
  }

  // ---- values

  protected value(v: A.Value): void {
    if (v.kind === 'List') {
      for (const item of v.items) this.value(item);
      return;
    }
    if (v.kind !== 'Path') return;
    const binding = this.valuePath(v);
    if (binding) this.paths.set(v, binding);
  }

  private valuePath(path: A.Path): Binding | undefined {
    const head = path.parts[0];
    const more = path.parts.length - 1;
    const name = head.name;
    const loop = this.loopVars.get(name);
    if (loop) return this.loopField(path, loop);
    if (more === 0) {
      if (this.tooDeep.has(name)) return undefined;
      const def = this.lets.get(name);
      if (def) return { kind: 'const', def };
      const type = MESSAGE_TYPES.get(name);
      if (type) return { kind: 'message', name, type };
      if (this.rules.has(name) || this.env.registry.rules.has(name)) {
        this.sink.error(
          path.span,
          Codes.BadOperator,
          `rule '${name}' is a condition, not a value`,
          `test it on its own: 'if ${name} then …'`,
        );
        return undefined;
      }
      if (name === 'list' || name === 'msgdata' || name === 'site') {
        const example = EXAMPLE_KEYS[name];
        this.sink.error(
          path.span,
          Codes.UnknownName,
          `'${name}' alone is not a value`,
          `name one of its keys, as in ${example}`,
        );
        return undefined;
      }
      const hint = this.later.has(name)
        ? `'${name}' is defined further down; move its definition up`
        : (this.definedElsewhere(name) ?? didYouMean(name, [...this.lets.keys(), ...this.loopVars.keys(), ...ROOTS]));
      this.sink.error(path.span, Codes.UnknownName, `unknown name '${name}'`, hint);
      return undefined;
    }
    const looped = ROOTS.includes(name) || more !== 1 ? undefined : this.sourceWithField(path.parts[1].name);
    if (looped && !this.lets.has(name)) {
      // `part.type` outside its loop: say where such a name comes from.
      this.sink.error(
        head.span,
        Codes.UnknownName,
        `unknown name '${name}': no loop here names its rows '${name}'`,
        `a row's fields are read inside its loop: for ${name} in ${looped} { … ${pathText(path)} … }`,
      );
      return undefined;
    }
    return resolveRooted(path, this.sink, this.ownNames);
  }

  /** The first link source whose rows have a field of this name, for a hint. */
  private sourceWithField(field: string): string | undefined {
    const sources = this.env.registry.linkSources;
    return sources.names().find((n) => Object.hasOwn(sources.get(n)?.fields ?? {}, field));
  }

  /** `c.header`: a field of the row a `for` is at, typed by its link source. */
  private loopField(path: A.Path, loop: A.ForLink): Binding | undefined {
    const head = path.parts[0];
    const more = path.parts.length - 1;
    const source = this.sources.get(loop);
    if (more !== 1) {
      const fields = source ? Object.keys(source.fields) : [];
      this.sink.error(
        path.span,
        Codes.UnknownName,
        more === 0 ? `loop variable '${head.name}' is a row, not a value` : `'${pathText(path)}' goes too deep`,
        fields.length ? `name a field: ${fields.map((f) => `${head.name}.${f}`).join(', ')}` : undefined,
      );
      return undefined;
    }
    const field = path.parts[1].name;
    // An unknown source was reported at the `for`.
    if (!source) return { kind: 'loop-var', link: loop, field, type: 'unknown' };
    const type = source.fields[field];
    if (!type && source.keyedFields?.[field]) {
      this.sink.error(
        path.span,
        Codes.BadOperator,
        `'${pathText(path)}' is read with a name`,
        `write ${pathText(path)} "Name", as in ${pathText(path)} "Content-Description"`,
      );
      return undefined;
    }
    if (!type) {
      const fields = Object.keys(source.fields);
      this.sink.error(
        path.parts[1].span,
        Codes.UnknownName,
        `rows of '${source.name}' have no field '${field}'`,
        didYouMean(field, fields) ?? `the fields are ${fields.join(', ')}`,
      );
      return undefined;
    }
    return { kind: 'loop-var', link: loop, field, type: fromParamType(type) };
  }

  // ---- arguments

  /** Checks arguments against a component's parameters; with no component (unknown), only resolves values. */
  protected args(args: A.Args | undefined, component: Component | undefined, owner: A.Ident, kind: string): void {
    checkParams(args, component, owner, kind, this.sink);
    for (const arg of args?.entries ?? []) this.value(arg.value);
  }
}
