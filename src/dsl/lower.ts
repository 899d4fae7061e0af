// Stage 4: AST + resolution -> checked IR. The type checker of dsl.md §9's MM4xx lives here,
// next to the lowering it guards: every value gets a type (types.ts), and predicates (MM404),
// arguments (MM403), regexes (MM405 invalid, MM406 needing backtracking, which the linear
// engine refuses) and `jump to` values (MM407) are checked against
// it while constants are folded (`let` values, sizes, parameter defaults). The flow of each
// chain is checked on the way (MM502 unreachable links, MM504 a `defer` recording nothing),
// and each pipeline's steps (MM505, MM506).
//
// It always returns an IR (placeholders where something failed), so the graph checks can run
// on a file with errors; compile.ts gives it out as `ir` only when there is no error.
import type * as A from './ast.js';
import { pathText } from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import type * as I from './ir.js';
import { IR_VERSION } from './ir.js';
import { PER_COPY_HANDLERS, type Registries, type Resolution } from './resolve.js';
import type { SourceText } from './source.js';
import { didYouMean } from './suggest.js';
import { patternRefusal, type PatternError, type PatternOptions } from '../patterns/patterns.js';
import {
  ACTION_VALUES,
  KB_SETTINGS,
  comparable,
  describeType,
  elem,
  fitsParam,
  isList,
  isNumeric,
  isText,
  type Ty,
} from './types.js';
import { sectionSpec } from '../config/schema.js';
import type { ParamSpec } from '../registry.js';

const FAILED_VALUE: I.ValueIr = { lit: null };
const FAILED_COND: I.CondIr = { op: 'const', value: false };


export function lower(ast: A.FileAst, res: Resolution, registry: Registries, source: SourceText, sink: DiagnosticSink): I.DslIr | undefined {
  const decl = ast.declarations[0];
  if (!decl || res.muted.has(decl)) return undefined;
  const l = new Lowering(res, registry, source, sink);
  return decl.kind === 'Chain' ? l.chain(decl, ast.definitions) : l.pipeline(decl);
}

/** What a test's operand is, for messages. */
function operandText(o: A.Operand): string {
  if (o.kind === 'Header') return `header "${o.name.value}"`;
  if (o.kind === 'Ref') return pathText(o.path);
  return 'the value';
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

  chain(decl: A.ChainDecl, definitions: readonly A.Definition[]): I.ChainIr {
    const rules: Record<string, I.LocalRuleIr> = {};
    for (const def of definitions) {
      if (def.kind !== 'RuleDef' || this.res.muted.has(def)) continue;
      rules[def.name.name] = { at: this.at(def), ...(def.description ? { description: def.description.value } : {}), when: this.cond(def.condition) };
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
      // An unknown action word is MM202 already: do not call it unreachable as well.
      if (ended && !reported && !(link.kind === 'Do' && link.action.kind === 'UnknownAction')) {
        reported = true; // once per run of unreachable links
        this.sink.warning(this.head(link).span, Codes.Unreachable, 'this link is never reached', `the link at line ${this.at(ended).split(':')[0]} always ends the chain; move this one above it, or remove it`);
      }
      out.push(this.link(link));
      if (!ended && this.endsChain(link)) ended = link;
    }
    return out;
  }

  /** The first line of a link, for carets that do not run over a whole block. */
  private head(link: A.Link): A.Node {
    if (link.kind === 'For') return { span: { start: link.span.start, end: link.source.span.end } };
    return link;
  }

  private link(link: A.Link): I.LinkIr {
    if (link.kind === 'For') return this.forLink(link);
    if (link.kind === 'If') {
      const when = this.cond(link.condition);
      if (link.action.kind === 'Defer' && !this.records(link.condition)) {
        this.sink.warning(link.action.span, Codes.DeferRecordsNothing, "'defer' here does nothing: the condition records no rule", "'defer' only makes sense after a rule that records its hit, for a later 'if any'");
      }
      return { at: this.at(link), when, action: this.action(link.action) };
    }
    if (link.action.kind === 'Defer') {
      this.sink.warning(link.action.span, Codes.DeferRecordsNothing, "an unconditional 'defer' does nothing", 'remove it, or put it after a rule: if RULE then defer');
    }
    return { at: this.at(link), action: this.action(link.action) };
  }

  private forLink(link: A.ForLink): I.LinkIr {
    const source = this.res.sources.get(link);
    return { at: this.at(link), action: { do: 'for', as: link.variable.name, source: source?.name ?? pathText(link.source), links: this.links(link.links) } };
  }

  /** An unconditional link whose action never continues with the next link. */
  private endsChain(link: A.Link): boolean {
    if (link.kind === 'For') return false;
    if (link.kind === 'If' && !(link.condition.kind === 'Test' && !link.condition.predicate && link.condition.operand.kind === 'Bool' && link.condition.operand.value)) return false;
    const a = link.action;
    switch (a.kind) {
      case 'Accept':
      case 'Hold':
      case 'Reject':
      case 'Discard':
      case 'Stop':
        return true;
      case 'Jump':
        if (a.target.kind === 'NamedTarget') return true;
        return this.neverDefers(a.target.path) && (!a.target.otherwise || this.neverDefers(a.target.otherwise));
      default:
        return false;
    }
  }

  private neverDefers(p: A.Path): boolean {
    const t = this.typeOf(p);
    return t === 'disposition' || t === 'chain';
  }

  /** Whether evaluating the condition may record a rule (so a `defer` after it has a use). */
  private records(c: A.Condition): boolean {
    switch (c.kind) {
      case 'Or':
      case 'And':
        return c.operands.some((o) => this.records(o));
      case 'Not':
        return this.records(c.operand);
      case 'Test': {
        if (c.predicate || c.operand.kind !== 'Ref') return false;
        const b = this.res.paths.get(c.operand.path);
        if (!b) return true; // unknown: reported already; do not pile a warning on it
        return b.kind === 'local-rule' || (b.kind === 'rule' && b.rule.record);
      }
    }
  }

  pipeline(decl: A.PipelineDecl): I.PipelineIr {
    const steps: I.StepIr[] = decl.steps.map((step) => {
      const handler = this.registry.handlers.get(step.handler.name);
      if (PER_COPY_HANDLERS.has(step.handler.name)) {
        this.sink.warning(step.handler.span, Codes.PerCopyHandler, `'${step.handler.name}' runs per copy in the out runner, not in a pipeline`, 'remove the step: the out runner applies it to each copy it sends');
      }
      const out: I.StepIr = { at: this.at(step), handler: step.handler.name, args: this.args(step.args, handler?.params, `handler '${step.handler.name}'`) };
      if (step.when) out.when = this.cond(step.when);
      return out;
    });
    if (!decl.steps.some((s) => s.handler.name === 'to-outgoing')) {
      this.sink.warning(decl.name.span, Codes.NoOutgoing, `pipeline '${decl.name.name}' has no 'to-outgoing' step, so nothing it handles is delivered`, "add 'to-outgoing' as the last step");
    }
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
          return { do: op, chain: a.target.name.name, at: this.at(a.target.name) };
        }
        const to = this.jumpValue(a.target.path, op);
        const out: I.ActionIr = a.target.otherwise ? { do: op, to, otherwise: this.jumpValue(a.target.otherwise, op) } : { do: op, to };
        if (!this.neverDefers(a.target.path) || (a.target.otherwise && !this.neverDefers(a.target.otherwise))) out.continues = true;
        return out;
      }
      case 'Run': {
        const effect = this.registry.effects.get(a.effect.name);
        return { do: 'run', effect: a.effect.name, args: this.args(a.args, effect?.params, `effect '${a.effect.name}'`) };
      }
      case 'UnknownAction':
        // A placeholder (the file has an MM202, so this IR is never run); `stop`, so the
        // graph does not add "may run out of links" to the real problem.
        return { do: 'stop' };
    }
  }

  /** A `jump to` value: it must name a chain or an action (MM407); its dispositions are targets. */
  private jumpValue(p: A.Path, op: string): I.ValueIr {
    const v = this.value(p);
    const t = this.typeOf(p);
    if (!this.res.paths.has(p)) return v;
    if (isList(t) || !['action', 'disposition', 'chain', 'unknown'].includes(t)) {
      this.sink.error(p.span, Codes.BadTarget, `'${op} to ${pathText(p)}' needs an action or a chain name, but '${pathText(p)}' is ${describeType(t)}`, `'${op} to' takes a value such as msgdata.member_moderation_action or site.antispam.jump_chain; to name a chain, write '${op} NAME'`);
      return v;
    }
    if (t === 'action' || t === 'disposition') for (const d of ['accept', 'hold', 'reject', 'discard']) this.targets.add(d);
    return v;
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
      this.value(o);
      this.sink.error(o.span, Codes.BadOperator, `${describeType(this.typeOf(o))} is not a condition`, 'a condition is a rule, or a test such as: size > 1MB');
      return FAILED_COND;
    }
    const b = this.res.paths.get(o.path);
    if (!b) return FAILED_COND;
    switch (b.kind) {
      case 'rule':
        return { op: 'rule', rule: b.rule.name, args: this.args(o.args, b.rule.params, `rule '${b.rule.name}'`), at: this.at(o) };
      case 'local-rule':
        return { op: 'local-rule', rule: b.def.name.name, at: this.at(o) };
      case 'const':
        if (b.def.value.kind === 'Bool') return { op: 'const', value: b.def.value.value };
        this.sink.error(o.span, Codes.BadOperator, `'${b.def.name.name}' is ${describeType(this.typeOf(b.def.value))}, not true or false, so it is not a condition`);
        return FAILED_COND;
      default: {
        const t = this.typeOf(o.path);
        if (t === 'bool' || t === 'unknown') return { op: 'truthy', value: this.value(o.path), at: this.at(o) };
        const p = pathText(o.path);
        this.sink.error(o.span, Codes.BadOperator, `'${p}' is ${describeType(t)}, not a condition`, isNumeric(elem(t)) && !isList(t) ? `compare it: ${p} > …` : `test it: ${p} is …`);
        return FAILED_COND;
      }
    }
  }

  private test(c: A.TestCond, p: A.Predicate): I.CondIr {
    const operand = c.operand;
    const left: I.ValueIr = operand.kind === 'Header' ? { header: operand.name.value } : operand.kind === 'Ref' ? this.value(operand.path) : this.value(operand);
    const lt: Ty = operand.kind === 'Header' ? 'string[]' : this.typeOf(operand.kind === 'Ref' ? operand.path : operand);
    const le = elem(lt);
    const at = this.at(c);
    const what = operandText(operand);
    const undefinedFor = (hint?: string): I.CondIr => {
      const is = operand.kind === 'Header' ? 'text' : describeType(lt);
      this.sink.error(p.span, Codes.BadOperator, `'${p.words}' is not defined for ${what}, which is ${is}`, hint);
      return FAILED_COND;
    };
    switch (p.op) {
      case 'is-a':
      case 'is-not-a':
        if (le !== 'address' && le !== 'unknown') return undefinedFor('roles belong to addresses: sender, senders, recipients');
        return { op: 'role', left, role: p.role!.name, negate: p.op === 'is-not-a', at };
      case 'exists':
      case 'missing':
        if (operand.kind !== 'Header') {
          this.sink.error(p.span, Codes.BadOperator, `'${p.words}' applies to headers only`, `write header "Name" ${p.words}`);
          return FAILED_COND;
        }
        return { op: 'test', pred: p.op, left, at };
    }
    const value = p.value!;
    const right = this.value(value);
    const rt = this.typeOf(value);
    const re = elem(rt);
    const literal = value.kind !== 'Path';
    const wrongValue = (message: string, hint?: string): I.CondIr => {
      this.sink.error(value.span, Codes.WrongArgType, message, hint);
      return FAILED_COND;
    };
    switch (p.op) {
      case 'is':
      case 'is-not':
        if (rt === 'regex') return wrongValue(`'${p.words}' compares with a value, not a regex`, `to search with a regex, write '${what} matches ${value.kind === 'Regex' ? `/${value.source}/${value.flags}` : '…'}'`);
        if (isList(rt)) return wrongValue(`'${p.words}' compares with one value, not a list`, `to test membership, write '${what} ${p.op === 'is' ? 'in' : 'not in'} […]'`);
        if (!comparable(le, re)) return undefinedFor(`${what} is ${describeType(lt)} and cannot equal ${describeType(rt)}`);
        if ((le === 'action' || le === 'disposition') && value.kind === 'String' && !(ACTION_VALUES as readonly string[]).includes(value.value.toLowerCase())) {
          return wrongValue(`"${value.value}" is not an action`, didYouMean(value.value, ACTION_VALUES) ?? `the actions are ${ACTION_VALUES.join(', ')}`);
        }
        break;
      case 'in':
      case 'not-in':
        // A list only: `x in "partner.example"` was once a substring test, so that
        // `evil@ner.example` passed a check meant for one domain (issue 9).
        if (!isList(rt) && rt !== 'unknown') {
          return wrongValue(`'${p.words}' takes a list, not ${describeType(rt)}`, isText(re) ? `write a list, as in ${what} ${p.words} ["a", "b"]; to look inside text, write '… contains …'` : 'write a list as ["a", "b"]');
        }
        if (!comparable(le, re)) return undefinedFor(`${what} is ${describeType(lt)}; the list holds ${describeType(rt)}`);
        break;
      case 'contains':
      case 'starts-with':
      case 'ends-with':
        if (!isText(le)) return undefinedFor(`'${p.words}' tests text; compare numbers with < <= > >=`);
        if (isList(rt) || !isText(re)) return wrongValue(`'${p.words}' takes a string, not ${describeType(rt)}`);
        break;
      case 'matches':
        if (!isText(le)) return undefinedFor("'matches' searches text");
        if (re !== 'regex' && !(re === 'string' && !literal) && re !== 'unknown') {
          return wrongValue("'matches' takes a regex", 'write it between slashes, as in /^\\[spam\\]/i');
        }
        if (value.kind === 'Path' && this.fromMessage(value)) {
          // A sender must never choose the pattern (nor make one that stalls the runner).
          return wrongValue("'matches' takes a regex from the chain, a setting or a row, not one read from the message", 'compare message values with is, in, contains, starts with or ends with');
        }
        this.stringPattern(value, {});
        break;
      default: // < <= > >=
        if (!isNumeric(le)) return undefinedFor(`'${p.words}' compares numbers and sizes`);
        if (isList(rt) || !isNumeric(re)) return wrongValue(`'${p.words}' compares numbers and sizes, not ${describeType(rt)}`, le === 'size' ? 'write a size as 40KB or 2MB' : undefined);
    }
    return { op: 'test', pred: p.op, left, right, at };
  }

  // ---- values and their types

  /** The checker type of a value (after resolution; `unknown` where resolution failed). */
  typeOf(v: A.Value | A.Operand): Ty {
    switch (v.kind) {
      case 'String':
        return 'string';
      case 'Number':
        return 'number';
      case 'Size':
        return 'size';
      case 'Bool':
        return 'bool';
      case 'Regex':
        return 'regex';
      case 'List': {
        const types = new Set(v.items.map((i) => elem(this.typeOf(i))));
        const [only] = types;
        return types.size === 1 ? (`${only}[]` as Ty) : 'unknown[]';
      }
      case 'Header':
        return 'string[]';
      case 'Ref':
        return this.typeOf(v.path);
      case 'Path': {
        const b = this.res.paths.get(v);
        if (!b) return 'unknown';
        switch (b.kind) {
          case 'const':
            return this.typeOf(b.def.value);
          case 'rule':
          case 'local-rule':
            return 'bool';
          default:
            return b.type;
        }
      }
    }
  }

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
        this.regex(v);
        return { regex: { source: v.source, flags: v.flags } };
      case 'List': {
        const items = v.items.map((i) => this.value(i));
        return items.every((i) => 'lit' in i) ? { lit: items.map((i) => (i as { lit: I.Json }).lit) } : { list: items };
      }
      case 'Path':
        return this.path(v);
    }
  }

  private readonly checkedRegexes = new Set<A.RegexLit>();

  /** MM405 for a pattern the linear-time engine refuses (bad syntax, or back-references and look-arounds). */
  private regex(v: A.RegexLit): void {
    if (this.checkedRegexes.has(v)) return; // a `let` used twice is reported once
    this.checkedRegexes.add(v);
    // Bad flags are MM104, reported by the lexer stage; check the pattern alone here.
    this.refused(v.span, patternRefusal(v.source, { flags: v.flags.replace(/[^imsu]/g, '') }));
  }

  private refused(span: A.Node['span'], refusal: PatternError | undefined): void {
    if (!refusal) return;
    if (refusal.unsupported) {
      this.sink.error(span, Codes.BacktrackingRegex, `this regex cannot run in linear time: ${refusal.reason.replace(/;.*$/, '')}`, 'regexes run on a linear-time engine (RE2), so a header cannot stall the server; test the parts separately, e.g. with a second `matches` or `not ... matches`');
    } else this.sink.error(span, Codes.BadRegex, `invalid regex: ${refusal.reason}`);
  }

  private readonly checkedPatterns = new Set<A.StringLit>();

  /** A constant string used as a pattern (a `let`, a rule's pattern argument) is checked like a regex literal. */
  private stringPattern(v: A.Value, opts: PatternOptions): void {
    let s: A.Value | undefined = v;
    if (s.kind === 'Path') {
      const b = this.res.paths.get(s);
      s = b?.kind === 'const' ? b.def.value : undefined;
    }
    if (s?.kind !== 'String' || this.checkedPatterns.has(s)) return;
    this.checkedPatterns.add(s);
    this.refused(s.span, patternRefusal(s.value, opts));
  }

  /** Whether a path reads the message or its metadata (text a sender chose). */
  private fromMessage(p: A.Path): boolean {
    const b = this.res.paths.get(p);
    if (b?.kind === 'const') return b.def.value.kind === 'Path' && this.fromMessage(b.def.value);
    return b?.kind === 'message' || b?.kind === 'msgdata';
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
        return { message: b.name };
      case 'site': {
        const type = sectionSpec(b.section)?.[b.key]?.type;
        const as = type === 'int' || type === 'port' ? 'number' : type === 'bool' ? 'bool' : type === 'duration' ? 'duration' : undefined;
        return as ? { site: b.section, key: b.key, as } : { site: b.section, key: b.key };
      }
      case 'loop-var':
        return { row: b.link.variable.name, field: b.field };
      case 'rule':
      case 'local-rule':
        return FAILED_VALUE; // reported by resolve
    }
  }

  /**
   * Given arguments (type-checked against the parameters, MM403), then every declared default
   * not overridden: `list.X` reads the setting.
   */
  private args(args: A.Args | undefined, params: readonly ParamSpec[] | undefined, owner: string): I.ArgsIr {
    const out: I.ArgsIr = {};
    for (const a of args?.entries ?? []) {
      out[a.name.name] = this.value(a.value);
      const spec = params?.find((p) => p.name === a.name.name);
      if (!spec || (a.value.kind === 'Path' && !this.res.paths.has(a.value))) continue; // unknown: reported by resolve
      const given = this.typeOf(a.value);
      if (!fitsParam(given, spec.type)) {
        const hint = spec.type === 'size' ? 'write a size as 40KB or 2MB' : spec.type === 'regex' ? 'write a regex between slashes, as in /^re:/i' : spec.type === 'string' ? 'write a string in double quotes' : undefined;
        this.sink.error(a.value.span, Codes.WrongArgType, `argument '${a.name.name}' of ${owner} takes ${describeType(spec.type === 'string-list' ? 'string[]' : (spec.type as Ty))}, not ${describeType(given)}`, hint);
      } else if (spec.pattern) {
        this.stringPattern(a.value, spec.pattern);
      } else if (spec.type === 'action' && a.value.kind === 'String' && !(ACTION_VALUES as readonly string[]).includes(a.value.value)) {
        this.sink.error(a.value.span, Codes.WrongArgType, `"${a.value.value}" is not an action`, didYouMean(a.value.value, ACTION_VALUES) ?? `the actions are ${ACTION_VALUES.join(', ')}`);
      }
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

