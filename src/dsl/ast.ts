// The abstract syntax tree: what a file says, with a span on every node so any later stage
// can point at the exact text. Built from the CST by build-ast.ts; read by resolve, the
// future checker and formatter, and the IR lowering. Plain data, discriminated by `kind`.
import type { Span } from './source.js';

export interface Node {
  span: Span;
}

export interface Ident extends Node {
  name: string;
}

export interface FileAst extends Node {
  kind: 'File';
  file: string;
  /** `use "NAME.rules"` declarations, in order (they come first in a valid file). */
  uses: UseDecl[];
  definitions: Definition[];
  /** The chain or pipeline declarations, in order (exactly one when the file is valid). */
  declarations: Declaration[];
  /** Definitions and declarations in source order (MM203 checks the order). */
  items: (Definition | Declaration)[];
}

export type Definition = LetDef | RuleDef;

/** `use "site.rules"`: that file's `rule` and `let` definitions come into scope. */
export interface UseDecl extends Node {
  kind: 'Use';
  path: StringLit;
}
export type Declaration = ChainDecl | PipelineDecl;

export interface LetDef extends Node {
  kind: 'Let';
  name: Ident;
  value: Value;
}

export interface RuleDef extends Node {
  kind: 'RuleDef';
  name: Ident;
  description?: StringLit;
  condition: Condition;
}

export interface ChainDecl extends Node {
  kind: 'Chain';
  name: Ident;
  description?: StringLit;
  links: Link[];
}

export interface PipelineDecl extends Node {
  kind: 'Pipeline';
  name: Ident;
  /** `from BASE`: the steps are the base's, as changed by `edits`. */
  base?: Ident;
  description?: StringLit;
  /** The steps written out (in a derived pipeline: none, which MM314 reports otherwise). */
  steps: Step[];
  /** `before`/`after`/`replace`/`without` of a derived pipeline, in order. */
  edits: StepEdit[];
}

// ---- chains

export type Link = IfLink | DoLink | ForLink;

/**
 * `if CONDITION then ACTION [else ACTION]`; either action may be a block `{ links }`, and
 * `else if …` is a block holding that one `if` link.
 */
export interface IfLink extends Node {
  kind: 'If';
  condition: Condition;
  action: Action;
  otherwise?: Action;
}

/** A bare action: the condition is `truth`. */
export interface DoLink extends Node {
  kind: 'Do';
  action: Action;
}

/** `for NAME in PATH { links }`: the links once per row of a link source. */
export interface ForLink extends Node {
  kind: 'For';
  variable: Ident;
  source: Path;
  links: Link[];
}

export type Action = SimpleAction | DispositionAction | JumpAction | RunAction | UnknownAction | BlockAction;

/** `{ links }` after `then` or `else`: the links, run in order, then the link after the `if`. */
export interface BlockAction extends Node {
  kind: 'Block';
  links: Link[];
}

export interface SimpleAction extends Node {
  kind: 'Accept' | 'Defer' | 'Stop';
}

/** `hold`, `reject`, `discard`, with an optional reason. */
export interface DispositionAction extends Node {
  kind: 'Hold' | 'Reject' | 'Discard';
  reason?: TemplateLit;
}

/** A string whose `{path}` parts are filled in per message (a reason). */
export interface TemplateLit extends StringLit {
  parts: (string | Path)[];
}

export interface JumpAction extends Node {
  kind: 'Jump' | 'Detour';
  target: Target;
}

export type Target = NamedTarget | ComputedTarget;

export interface NamedTarget extends Node {
  kind: 'NamedTarget';
  name: Ident;
}

/** `to PATH [otherwise PATH]`: the chain is named by a value read per message. */
export interface ComputedTarget extends Node {
  kind: 'ComputedTarget';
  path: Path;
  otherwise?: Path;
}

export interface RunAction extends Node {
  kind: 'Run';
  effect: Ident;
  args?: Args;
}

/** A NAME where an action belongs (reported as MM202). */
export interface UnknownAction extends Node {
  kind: 'UnknownAction';
  word: Ident;
  args?: Args;
}

// ---- pipelines

export interface Step extends Node {
  kind: 'Step';
  handler: Ident;
  args?: Args;
  when?: Condition;
}

/** `before X: STEP`, `after X: STEP`, `replace X: STEP` or `without X`: a change to a base's steps. */
export interface StepEdit extends Node {
  kind: 'StepEdit';
  op: 'before' | 'after' | 'replace' | 'without';
  /** The handler of the base's step the edit is placed at (its first step of that handler). */
  anchor: Ident;
  /** Absent for `without`. */
  step?: Step;
}

// ---- conditions

export type Condition = OrCond | AndCond | NotCond | TestCond;

export interface OrCond extends Node {
  kind: 'Or';
  operands: Condition[];
}

export interface AndCond extends Node {
  kind: 'And';
  operands: Condition[];
}

export interface NotCond extends Node {
  kind: 'Not';
  operand: Condition;
}

/** An operand alone (a rule or a boolean), or an operand and a predicate. */
export interface TestCond extends Node {
  kind: 'Test';
  operand: Operand;
  predicate?: Predicate;
}

export type Operand = RefOperand | HeaderOperand | ConvertOperand | Literal;

/** `path [args] [STRING]`: a rule, a setting, a constant ... decided by resolve.ts. */
export interface RefOperand extends Node {
  kind: 'Ref';
  path: Path;
  args?: Args;
  /** `part.header "X"`: the name a keyed field is read with. */
  key?: StringLit;
}

/** `OPERAND as TYPE` (`header "X-Spam-Score" as number`) or `OPERAND count`. */
export interface ConvertOperand extends Node {
  kind: 'Convert';
  of: RefOperand | HeaderOperand;
  /** The type after `as`; absent for `count`. */
  type?: Ident;
}

export interface HeaderOperand extends Node {
  kind: 'Header';
  name: StringLit;
}

export type PredicateOp =
  | 'is'
  | 'is-not'
  | 'is-a'
  | 'is-not-a'
  | 'in'
  | 'not-in'
  | 'contains'
  | 'matches'
  | 'starts-with'
  | 'ends-with'
  | '<'
  | '<='
  | '>'
  | '>='
  | 'exists'
  | 'missing';

export interface Predicate extends Node {
  kind: 'Predicate';
  op: PredicateOp;
  /** The keyword(s) as written, for messages: `is not`, `starts with`. */
  words: string;
  value?: Value;
  /** For `is a ROLE`. */
  role?: Ident;
}

// ---- values

export type Value = Literal | Path;
export type Literal = StringLit | RegexLit | NumberLit | SizeLit | BoolLit | ListLit;

export interface StringLit extends Node {
  kind: 'String';
  value: string;
  /** The token as written, quotes included (interpolation is decoded from it). */
  raw: string;
}

export interface RegexLit extends Node {
  kind: 'Regex';
  source: string;
  flags: string;
}

export interface NumberLit extends Node {
  kind: 'Number';
  value: number;
}

export interface SizeLit extends Node {
  kind: 'Size';
  bytes: number;
  raw: string;
}

export interface BoolLit extends Node {
  kind: 'Bool';
  value: boolean;
}

export interface ListLit extends Node {
  kind: 'List';
  items: Value[];
}

/** `NAME { . WORD }` */
export interface Path extends Node {
  kind: 'Path';
  parts: Ident[];
}

export interface Args extends Node {
  entries: Arg[];
}

export interface Arg extends Node {
  name: Ident;
  value: Value;
}

export function pathText(path: Path): string {
  return path.parts.map((p) => p.name).join('.');
}

/** The runs of links nested directly in a link: a `for`'s, and the blocks of an `if`. */
export function nestedRuns(link: Link): Link[][] {
  if (link.kind === 'For') return [link.links];
  if (link.kind !== 'If') return [];
  const runs: Link[][] = [];
  if (link.action.kind === 'Block') runs.push(link.action.links);
  if (link.otherwise?.kind === 'Block') runs.push(link.otherwise.links);
  return runs;
}

/** Whether a node's span holds an offset. */
export function within(node: Node, at: number): boolean {
  return node.span.start <= at && at < node.span.end;
}

/** The innermost link holding an offset, inside `for` blocks too. */
export function linkAt(links: readonly Link[], at: number): Link | undefined {
  for (const link of links) {
    if (!within(link, at)) continue;
    return (link.kind === 'For' && linkAt(link.links, at)) || link;
  }
  return undefined;
}
