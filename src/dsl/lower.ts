// Stage 4: AST + resolution -> IR. Folds constants (`let` values, sizes, parameter
// defaults), validates regexes (MM405), checks the few argument shapes a predicate needs
// (MM403), and reports what the language allows but this version cannot run yet (MM404),
// so such a file fails at compile time rather than at delivery.
//
// It always returns an IR (placeholders where something failed); compile.ts discards it
// when any error was reported.
import type * as A from './ast.js';
import { pathText } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import type * as I from './ir.js';
import { IR_VERSION } from './ir.js';
import type { Registries, Resolution } from './resolve.js';
import type { SourceText } from './source.js';
import { SETTINGS_BY_NAME } from '../model/list-settings.js';
import type { ParamSpec } from '../registry.js';

/** Settings Mailman keeps in KB that the language reads as sizes in bytes. */
const KB_SETTINGS: ReadonlySet<string> = new Set(['max_message_size']);
/** Message values the executor can read today. */
const MESSAGE_VALUES: ReadonlySet<string> = new Set(['sender', 'sender.domain', 'sender.localpart', 'senders', 'size']);

const FAILED_VALUE: I.ValueIr = { lit: null };
const FAILED_COND: I.CondIr = { op: 'const', value: false };

export function lower(ast: A.FileAst, res: Resolution, registry: Registries, source: SourceText, sink: DiagnosticSink): I.DslIr | undefined {
  const decl = ast.declarations[0];
  if (!decl || res.muted.has(decl)) return undefined;
  const l = new Lowering(res, registry, source, sink);
  return decl.kind === 'Chain' ? l.chain(decl, ast.definitions) : l.pipeline(decl);
}

class Lowering {
  private readonly targets = new Set<string>();

  constructor(
    private readonly res: Resolution,
    private readonly registry: Registries,
    private readonly source: SourceText,
    private readonly sink: DiagnosticSink,
  ) {}

  private at(node: A.Node): string {
    return this.source.at(node.span.start);
  }

  private notYet(node: A.Node, what: string, hint?: string): void {
    this.sink.error(node.span, Codes.BadOperator, `${what} is not supported yet`, hint);
  }

  chain(decl: A.ChainDecl, definitions: readonly A.Definition[]): I.ChainIr {
    const rules: Record<string, I.LocalRuleIr> = {};
    for (const def of definitions) {
      if (def.kind !== 'RuleDef' || this.res.muted.has(def)) continue;
      rules[def.name.name] = { at: this.at(def), ...(def.description ? { description: def.description.value } : {}), when: this.cond(def.condition) };
    }
    const links: I.LinkIr[] = [];
    for (const link of decl.links) {
      if (link.kind === 'For') {
        this.notYet({ span: { start: link.span.start, end: link.source.span.end } }, "'for' over a link source", 'header checks come in a later version; remove the loop for now');
        continue;
      }
      const action = this.action(link.action);
      links.push(link.kind === 'If' ? { at: this.at(link), when: this.cond(link.condition), action } : { at: this.at(link), action });
    }
    return {
      ir: IR_VERSION,
      kind: 'chain',
      name: decl.name.name,
      ...(decl.description ? { description: decl.description.value } : {}),
      file: this.source.file,
      at: this.at(decl),
      targets: [...this.targets],
      rules,
      links,
    };
  }

  pipeline(decl: A.PipelineDecl): I.PipelineIr {
    const steps: I.StepIr[] = decl.steps.map((step) => {
      const handler = this.registry.handlers.get(step.handler.name);
      const out: I.StepIr = { at: this.at(step), handler: step.handler.name, args: this.args(step.args, handler?.params) };
      if (step.when) out.when = this.cond(step.when);
      return out;
    });
    return {
      ir: IR_VERSION,
      kind: 'pipeline',
      name: decl.name.name,
      ...(decl.description ? { description: decl.description.value } : {}),
      file: this.source.file,
      at: this.at(decl),
      steps,
    };
  }

  // ---- actions

  private action(a: A.Action): I.ActionIr {
    switch (a.kind) {
      case 'Accept':
        this.targets.add('accept');
        return { do: 'accept' };
      case 'Hold':
      case 'Reject':
      case 'Discard': {
        const name = a.kind.toLowerCase() as 'hold' | 'reject' | 'discard';
        this.targets.add(name);
        return a.reason ? { do: name, reason: this.template(a.reason) } : { do: name };
      }
      case 'Defer':
        return { do: 'defer' };
      case 'Stop':
        return { do: 'stop' };
      case 'Jump':
      case 'Detour': {
        const op = a.kind === 'Jump' ? 'jump' : 'detour';
        if (a.target.kind === 'NamedTarget') {
          this.targets.add(a.target.name.name);
          return { do: op, chain: a.target.name.name };
        }
        const to = this.value(a.target.path);
        return a.target.otherwise ? { do: op, to, otherwise: this.value(a.target.otherwise) } : { do: op, to };
      }
      case 'Run': {
        const effect = this.registry.effects.get(a.effect.name);
        return { do: 'run', effect: a.effect.name, args: this.args(a.args, effect?.params) };
      }
      case 'UnknownAction':
        return { do: 'defer' };
    }
  }

  private template(t: A.TemplateLit): I.TemplateIr {
    return t.parts.map((p) => (typeof p === 'string' ? p : this.value(p)));
  }

  // ---- conditions

  private cond(c: A.Condition): I.CondIr {
    switch (c.kind) {
      case 'Or':
        return { op: 'or', of: c.operands.map((o) => this.cond(o)) };
      case 'And':
        return { op: 'and', of: c.operands.map((o) => this.cond(o)) };
      case 'Not':
        return { op: 'not', of: this.cond(c.operand) };
      case 'Test':
        return c.predicate ? this.test(c, c.predicate) : this.bare(c.operand);
    }
  }

  /** An operand alone: a rule, or something boolean. */
  private bare(o: A.Operand): I.CondIr {
    if (o.kind === 'Header') {
      this.sink.error(o.span, Codes.BadOperator, `header "${o.name.value}" is not a condition on its own`, `test it: header "${o.name.value}" exists`);
      return FAILED_COND;
    }
    if (o.kind !== 'Ref') {
      if (o.kind === 'Bool') return { op: 'const', value: o.value };
      this.sink.error(o.span, Codes.BadOperator, 'a literal value is not a condition');
      return FAILED_COND;
    }
    const b = this.res.paths.get(o.path);
    if (!b) return FAILED_COND;
    switch (b.kind) {
      case 'rule':
        return { op: 'rule', rule: b.rule.name, args: this.args(o.args, b.rule.params), at: this.at(o) };
      case 'local-rule':
        return { op: 'local-rule', rule: b.def.name.name, at: this.at(o) };
      case 'const':
        if (b.def.value.kind === 'Bool') return { op: 'const', value: b.def.value.value };
        this.sink.error(o.span, Codes.BadOperator, `'${b.def.name.name}' is not true or false, so it is not a condition`);
        return FAILED_COND;
      case 'setting': {
        const type = SETTINGS_BY_NAME.get(b.name)?.type;
        if (type === 'bool') return { op: 'truthy', value: { setting: b.name }, at: this.at(o) };
        this.sink.error(o.span, Codes.BadOperator, `'list.${b.name}' is a ${type} setting, not a condition`, `compare it: list.${b.name} is …`);
        return FAILED_COND;
      }
      case 'msgdata':
        return { op: 'truthy', value: { msgdata: b.key }, at: this.at(o) };
      default:
        this.sink.error(o.span, Codes.BadOperator, `'${pathText(o.path)}' is not a condition on its own`);
        return FAILED_COND;
    }
  }

  private test(c: A.TestCond, p: A.Predicate): I.CondIr {
    const left = c.operand.kind === 'Header' ? { header: c.operand.name.value } : c.operand.kind === 'Ref' ? this.value(c.operand.path) : this.value(c.operand);
    const at = this.at(c);
    switch (p.op) {
      case 'is-a':
      case 'is-not-a':
        this.notYet(p, `'${p.words} ROLE'`);
        return FAILED_COND;
      case 'exists':
      case 'missing':
        if (!('header' in left)) {
          this.sink.error(p.span, Codes.BadOperator, `'${p.words}' applies to headers only`, `write header "Name" ${p.words}`);
          return FAILED_COND;
        }
        return { op: 'test', pred: p.op, left, at };
    }
    const right = this.value(p.value!);
    const literal = 'lit' in right ? right.lit : undefined;
    const dynamic = !('lit' in right) && !('regex' in right) && !('list' in right);
    if (p.op === 'matches' && !('regex' in right) && !dynamic) {
      this.sink.error(p.value!.span, Codes.WrongArgType, "'matches' takes a regex", 'write it between slashes, as in /^\\[spam\\]/i');
      return FAILED_COND;
    }
    if ((p.op === 'in' || p.op === 'not-in') && !Array.isArray(literal) && !('list' in right) && !dynamic) {
      this.sink.error(p.value!.span, Codes.WrongArgType, `'${p.words}' takes a list`, 'write a list as ["a", "b"]');
      return FAILED_COND;
    }
    if ((p.op === '<' || p.op === '<=' || p.op === '>' || p.op === '>=') && typeof literal !== 'number' && !dynamic) {
      this.sink.error(p.value!.span, Codes.WrongArgType, `'${p.words}' compares numbers and sizes`);
      return FAILED_COND;
    }
    return { op: 'test', pred: p.op, left, right, at };
  }

  // ---- values

  private value(v: A.Value): I.ValueIr {
    switch (v.kind) {
      case 'String':
        return { lit: v.value };
      case 'Number':
        return { lit: v.value };
      case 'Size':
        return { lit: v.bytes };
      case 'Bool':
        return { lit: v.value };
      case 'Regex':
        try {
          // Bad flags are MM104, reported by the lexer stage; check the pattern alone here.
          new RegExp(v.source, v.flags.replace(/[^imsu]/g, ''));
        } catch (e) {
          const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
          this.sink.error(v.span, Codes.BadRegex, `invalid regex: ${why.charAt(0).toLowerCase()}${why.slice(1)}`);
        }
        return { regex: { source: v.source, flags: v.flags } };
      case 'List': {
        const items = v.items.map((i) => this.value(i));
        return items.every((i) => 'lit' in i) ? { lit: items.map((i) => (i as { lit: I.Json }).lit) } : { list: items };
      }
      case 'Path':
        return this.path(v);
    }
  }

  private path(p: A.Path): I.ValueIr {
    const b = this.res.paths.get(p);
    if (!b) return FAILED_VALUE;
    switch (b.kind) {
      case 'const':
        return this.value(b.def.value);
      case 'setting':
        return KB_SETTINGS.has(b.name) ? { setting: b.name, kb: true } : { setting: b.name };
      case 'msgdata':
        return { msgdata: b.key };
      case 'message':
        if (MESSAGE_VALUES.has(b.name)) return { message: b.name };
        this.notYet(p, `'${b.name}'`);
        return FAILED_VALUE;
      case 'site':
        this.notYet(p, `'site.${b.path.join('.')}'`, 'site configuration values come in a later version');
        return FAILED_VALUE;
      case 'loop-var':
        return FAILED_VALUE; // inside a 'for', reported there
      case 'rule':
      case 'local-rule':
        return FAILED_VALUE; // reported by resolve
    }
  }

  /** Given arguments, then every declared default not overridden: `list.X` reads the setting. */
  private args(args: A.Args | undefined, params: readonly ParamSpec[] | undefined): I.ArgsIr {
    const out: I.ArgsIr = {};
    for (const a of args?.entries ?? []) out[a.name.name] = this.value(a.value);
    for (const p of params ?? []) {
      if (p.name in out || p.default === undefined) continue;
      const d = p.default;
      if (typeof d === 'string' && d.startsWith('list.')) {
        const setting = d.slice('list.'.length);
        out[p.name] = KB_SETTINGS.has(setting) ? { setting, kb: true } : { setting };
      } else if (d instanceof RegExp) out[p.name] = { regex: { source: d.source, flags: d.flags } };
      else out[p.name] = { lit: d as I.Json };
    }
    return out;
  }
}
