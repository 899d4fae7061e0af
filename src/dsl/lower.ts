// Stage 4: AST + resolution -> IR. Every value is lowered to what the runtime reads, and
// constants are folded (`let` values, sizes, parameter defaults). The checks it guards with
// live in check/, keyed by what they check: the types of conditions (MM403, MM404), jump
// values (MM407), arguments (MM403), regexes (MM405, MM406), the flow of a chain's links
// (MM502, MM504) and a pipeline's steps (MM505, MM506).
//
// It always returns an IR (placeholders where something failed), so the graph checks can run
// on a file with errors; compile.ts gives it out as `ir` only when there is no error.
import type * as A from './ast.js';
import { pathText } from './ast.js';
import { DiagnosticSink } from './diagnostics.js';
import type * as I from './ir.js';
import { IR_VERSION } from './ir.js';
import type { Registries, Resolution } from './resolve.js';
import type { SourceText } from './source.js';
import { KB_SETTINGS } from './types.js';
import { sectionSpec } from '../config/schema.js';
import type { ParamSpec } from '../registry.js';
import { checkArg } from './check/args.js';
import { checkBare, checkConvert, checkTest } from './check/conditions.js';
import { checkJumpValue } from './check/jump.js';
import { checkDefer, checkUnreachable, endsChain, isUnknownAction } from './check/links.js';
import { PatternChecks } from './check/patterns.js';
import { checkPipeline, checkStep } from './check/steps.js';
import { reasonSpecial } from './reasons.js';
import { neverDefers, typeOf } from './check/type-of.js';
import { checkPlacement, deriveSteps, type DeriveEnv } from './derive.js';

const FAILED_VALUE: I.ValueIr = { lit: null };
const FAILED_COND: I.CondIr = { op: 'const', value: false };
type Params = readonly ParamSpec[] | undefined;

export function lower(
  ast: A.FileAst,
  res: Resolution,
  registry: Registries,
  source: SourceText,
  sink: DiagnosticSink,
  derive: DeriveEnv = {},
): I.DslIr | undefined {
  const decl = ast.declarations[0];
  if (!decl) return undefined;
  const l = new Lowering(res, registry, source, sink);
  const ir = decl.kind === 'Chain' ? l.chain(decl, ast.definitions) : l.pipeline(decl, derive);
  // Checked link by link, but with links missing or muted it is not the chain that was meant:
  // the graph checks (MM501, MM503) must not judge it.
  return res.broken.has(decl) ? undefined : ir;
}

class Lowering {
  private readonly targets = new Set<string>();
  private patterns: PatternChecks;

  constructor(
    private readonly res: Resolution,
    private readonly registry: Registries,
    private source: SourceText,
    private sink: DiagnosticSink,
  ) {
    this.patterns = new PatternChecks(res, sink);
  }

  /**
   * Lowers a definition `use` brought in: its `at`s are of its own file, and its problems were
   * reported when that file was compiled, so they go nowhere here.
   */
  private inFileOf<T>(def: A.Definition, lowerIt: () => T): T {
    const shared = this.res.shared.get(def);
    if (!shared) return lowerIt();
    const saved = [this.source, this.sink, this.patterns] as const;
    this.source = shared.source;
    this.sink = new DiagnosticSink(shared.source);
    this.patterns = new PatternChecks(this.res, this.sink);
    try {
      return lowerIt();
    } finally {
      [this.source, this.sink, this.patterns] = saved;
    }
  }

  private at(node: A.Node): string {
    return this.source.at(node.span.start);
  }

  chain(decl: A.ChainDecl, definitions: readonly A.Definition[]): I.ChainIr {
    const rules: Record<string, I.LocalRuleIr> = {};
    for (const def of [...this.res.shared.keys(), ...definitions]) {
      if (def.kind !== 'RuleDef' || this.res.muted.has(def)) continue;
      const description = def.description ? { description: def.description.value } : {};
      const file = this.res.shared.has(def) ? { file: this.res.shared.get(def)!.source.file } : {};
      rules[def.name.name] = this.inFileOf(def, () => ({
        at: this.at(def),
        ...file,
        ...description,
        when: this.cond(def.condition),
      }));
    }
    for (const def of definitions) if (def.kind === 'Let' && !this.res.muted.has(def)) this.value(def.value);
    const links = this.links(decl.links);
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

  /** Lowers a run of links; the first link after one that always ends the chain is MM502. */
  private links(links: readonly A.Link[]): I.LinkIr[] {
    const out: I.LinkIr[] = [];
    let ended: A.Link | undefined;
    let reported = false;
    for (const link of links) {
      if (this.res.muted.has(link)) continue;
      // An unknown action word is MM202 already: do not call it unreachable as well.
      if (ended && !reported && !isUnknownAction(link)) {
        reported = true; // once per run of unreachable links
        checkUnreachable(link, this.at(ended).split(':')[0], this.sink);
      }
      out.push(this.link(link));
      if (!ended && endsChain(link, this.res)) ended = link;
    }
    return out;
  }

  private link(link: A.Link): I.LinkIr {
    if (link.kind === 'For') return this.forLink(link);
    if (link.kind === 'If') {
      const when = this.cond(link.condition);
      checkDefer(link, this.res, this.sink);
      const out: I.LinkIr = { at: this.at(link), when, action: this.action(link.action) };
      if (link.otherwise) out.else = this.action(link.otherwise);
      return out;
    }
    checkDefer(link, this.res, this.sink);
    return { at: this.at(link), action: this.action(link.action) };
  }

  private forLink(link: A.ForLink): I.LinkIr {
    const source = this.res.sources.get(link);
    const from = source?.name ?? pathText(link.source);
    const links = this.links(link.links);
    return { at: this.at(link), action: { do: 'for', as: link.variable.name, source: from, links } };
  }

  pipeline(decl: A.PipelineDecl, derive: DeriveEnv): I.PipelineIr {
    checkPlacement(decl, this.sink);
    let steps = decl.steps.filter((step) => !this.res.muted.has(step)).map((step) => this.step(step));
    let whole = true;
    if (decl.base) {
      const own = new Map<A.StepEdit, I.StepIr>();
      for (const edit of decl.edits) if (edit.step) own.set(edit, this.step(edit.step));
      const derived = deriveSteps({ ...decl, base: decl.base }, own, derive, this.sink);
      whole = !!derived;
      steps = derived ?? [...own.values()];
    }
    // Without the base's steps, whether any hands the post on is unknown; with a step lost to a
    // syntax error, "no to-outgoing" may be that step: say nothing.
    if (whole && !this.res.broken.has(decl)) checkPipeline(decl, steps, this.sink);
    return {
      ir: IR_VERSION,
      kind: 'pipeline',
      name: decl.name.name,
      ...(decl.base ? { from: decl.base.name } : {}),
      ...(decl.description ? { description: decl.description.value } : {}),
      file: this.source.file,
      at: this.at(decl),
      steps,
    };
  }

  private step(step: A.Step): I.StepIr {
    const handler = this.registry.handlers.get(step.handler.name);
    checkStep(step, handler, this.sink);
    const args = this.args(step.args, handler?.params, 'handler', step.handler.name);
    const out: I.StepIr = { at: this.at(step), handler: step.handler.name, args };
    if (step.when) out.when = this.cond(step.when);
    return out;
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
          return { do: op, chain: a.target.name.name, at: this.at(a.target.name) };
        }
        const to = this.jumpValue(a.target.path, op);
        const out: I.ActionIr = a.target.otherwise
          ? { do: op, to, otherwise: this.jumpValue(a.target.otherwise, op) }
          : { do: op, to };
        const { path, otherwise } = a.target;
        if (!neverDefers(path, this.res) || (otherwise && !neverDefers(otherwise, this.res))) out.continues = true;
        return out;
      }
      case 'Run': {
        const effect = this.registry.effects.get(a.effect.name);
        const args = this.args(a.args, effect?.params, 'effect', a.effect.name);
        return { do: 'run', effect: a.effect.name, args };
      }
      case 'Block':
        return { do: 'block', links: this.links(a.links) };
      case 'UnknownAction':
        // A placeholder (the file has an MM202, so this IR is never run); `stop`, so the
        // graph does not add "may run out of links" to the real problem.
        return { do: 'stop' };
    }
  }

  /** A `jump to` value: it must name a chain or an action (MM407); its dispositions are targets. */
  private jumpValue(p: A.Path, op: string): I.ValueIr {
    const v = this.value(p);
    const t = checkJumpValue(p, op, this.res, this.sink);
    if (t === 'action' || t === 'disposition') {
      for (const d of ['accept', 'hold', 'reject', 'discard']) this.targets.add(d);
    }
    return v;
  }

  private template(t: A.TemplateLit): I.TemplateIr {
    return t.parts.map((p): I.TemplateIr[number] => {
      if (typeof p === 'string') return p;
      const special = reasonSpecial(p);
      if (special?.kind === 'header') return { header: special.name };
      if (special?.kind === 'capture') return { capture: special.group };
      if (special) return FAILED_VALUE;
      const v = this.value(p);
      return typeOf(p, this.res) === 'size' ? { size: v } : v;
    });
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
    if (o.kind === 'Convert') {
      this.operand(o);
      if (!checkConvert(o, this.res, this.sink)) return FAILED_COND;
    } else if (o.kind !== 'Ref' && o.kind !== 'Header' && o.kind !== 'Bool') this.value(o);
    if (!checkBare(o, this.res, this.sink)) return FAILED_COND;
    if (o.kind === 'Bool') return { op: 'const', value: o.value };
    if (o.kind !== 'Ref') return FAILED_COND;
    const b = this.res.paths.get(o.path)!;
    switch (b.kind) {
      case 'rule': {
        const args = this.args(o.args, b.rule.params, 'rule', b.rule.name);
        return { op: 'rule', rule: b.rule.name, args, at: this.at(o) };
      }
      case 'local-rule':
        return { op: 'local-rule', rule: b.def.name.name, at: this.at(o) };
      case 'const':
        return { op: 'const', value: (b.def.value as A.BoolLit).value };
      default:
        return { op: 'truthy', value: this.value(o.path), at: this.at(o) };
    }
  }

  /** The value a test reads on its left. */
  private operand(o: A.Operand): I.ValueIr {
    switch (o.kind) {
      case 'Header':
        return { header: o.name.value };
      case 'Convert': {
        const of = this.operand(o.of);
        return o.type ? { number: of } : { count: of };
      }
      case 'Ref':
        return this.value(o.path);
      default:
        return this.value(o);
    }
  }

  private test(c: A.TestCond, p: A.Predicate): I.CondIr {
    const operand = c.operand;
    const left = this.operand(operand);
    const right = p.value ? this.value(p.value) : undefined;
    if (operand.kind === 'Convert' && !checkConvert(operand, this.res, this.sink)) return FAILED_COND;
    if (!checkTest(c, p, this.res, this.sink, this.patterns)) return FAILED_COND;
    const at = this.at(c);
    if (p.op === 'is-a' || p.op === 'is-not-a') {
      return { op: 'role', left, role: p.role!.name, negate: p.op === 'is-not-a', at };
    }
    if (p.op === 'exists' || p.op === 'missing') return { op: 'test', pred: p.op, left, at };
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
        this.patterns.regex(v);
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
        return this.inFileOf(b.def, () => this.value(b.def.value));
      case 'setting':
        return KB_SETTINGS.has(b.name) ? { setting: b.name, kb: true } : { setting: b.name };
      case 'msgdata':
        return { msgdata: b.key };
      case 'message':
        return { message: b.name };
      case 'site': {
        const type = sectionSpec(b.section)?.[b.key]?.type;
        const as =
          type === 'int' || type === 'port' ? 'number' : type === 'bool' || type === 'duration' ? type : undefined;
        return as ? { site: b.section, key: b.key, as } : { site: b.section, key: b.key };
      }
      case 'loop-var':
        return b.key === undefined
          ? { row: b.link.variable.name, field: b.field }
          : { row: b.link.variable.name, field: b.field, key: b.key };
      case 'rule':
      case 'local-rule':
        return FAILED_VALUE; // reported by resolve
    }
  }

  /**
   * Given arguments (type-checked against the parameters, MM403), then every declared default
   * not overridden: `list.X` reads the setting.
   */
  private args(args: A.Args | undefined, params: Params, kind: string, name: string): I.ArgsIr {
    const out: I.ArgsIr = {};
    for (const a of args?.entries ?? []) {
      out[a.name.name] = this.value(a.value);
      const spec = params?.find((p) => p.name === a.name.name);
      if (!spec || (a.value.kind === 'Path' && !this.res.paths.has(a.value))) continue; // unknown: reported by resolve
      checkArg(a, spec, kind, name, this.res, this.sink, this.patterns);
    }
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
