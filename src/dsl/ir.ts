// The intermediate representation: what `mailman compile` writes and executable.ts turns
// into closures. Plain JSON (no classes, no RegExp, no functions), versioned by `"ir": 1`.
// Constants are folded (a `let` is replaced by its value, sizes are bytes, regexes are
// {source, flags}); every node that can fail or be traced carries `at: "line:col"`.
import type { PredicateOp } from './ast.js';

export const IR_VERSION = 1;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type DslIr = ChainIr | PipelineIr;

export interface ChainIr {
  ir: typeof IR_VERSION;
  kind: 'chain';
  name: string;
  description?: string;
  file: string;
  at: string;
  /** Chains this one may continue in (named jumps, detours and dispositions). */
  targets: string[];
  /** The file's own `rule` definitions, by name; a `local-rule` condition refers to one. */
  rules: Record<string, LocalRuleIr>;
  links: LinkIr[];
}

export interface LocalRuleIr {
  at: string;
  /** A rule brought in by `use`: the .rules file it is written in (its `at`s are of that file). */
  file?: string;
  description?: string;
  when: CondIr;
}

export interface LinkIr {
  at: string;
  /** Absent: an unconditional link (`truth`). */
  when?: CondIr;
  action: ActionIr;
  /** `else`: what runs when `when` does not hold (`else if` is a block of one link). */
  else?: ActionIr;
}

export type ActionIr =
  /** Append the reason, if any, then jump to the chain of the same name. */
  | { do: 'accept' | 'hold' | 'reject' | 'discard'; reason?: TemplateIr }
  | { do: 'defer' }
  | { do: 'stop' }
  /** `at`: where the target name is written (for graph diagnostics). */
  | { do: 'jump' | 'detour'; chain: string; at?: string }
  /**
   * The chain is named by a value read per message; `otherwise` when it is null. `continues`:
   * the value may be `defer`, so the chain may go on after this link.
   */
  | { do: 'jump' | 'detour'; to: ValueIr; otherwise?: ValueIr; continues?: true }
  | { do: 'run'; effect: string; args: ArgsIr }
  /** `for AS in SOURCE { links }`: the links once per row of a registered link source. */
  | { do: 'for'; as: string; source: string; links: LinkIr[] }
  /** `then { links }` or `else { links }`: the links in order, then the link after this one. */
  | { do: 'block'; links: LinkIr[] };

/**
 * A reason: literal text and values, concatenated per message. Every value is shown bounded
 * and without control characters; `size` pieces read as a human size ("2.1 MB"), `capture`
 * pieces are the groups of the regex that last matched in the link's condition (`{match.N}`).
 */
export type TemplateIr = (string | ValueIr | TemplatePieceIr)[];

export type TemplatePieceIr = { size: ValueIr } | { capture: number };

export type CondIr =
  /** A registered rule; `args` includes the parameters' defaults. */
  | { op: 'rule'; rule: string; args: ArgsIr; at: string }
  /** A `rule` defined in the file (records under its own name). */
  | { op: 'local-rule'; rule: string; at: string }
  | { op: 'const'; value: boolean }
  | { op: 'and' | 'or'; of: CondIr[] }
  | { op: 'not'; of: CondIr }
  /** A bare value used as a condition (`list.emergency`, `msgdata.approved`). */
  | { op: 'truthy'; value: ValueIr; at: string }
  | { op: 'test'; pred: TestOp; left: ValueIr; right?: ValueIr; at: string }
  /** `is a ROLE` / `is not a ROLE`: any address of `left` holds that role on the list. */
  | { op: 'role'; left: ValueIr; role: string; negate: boolean; at: string };

/** What a test may ask: the language's predicates, less `is a`/`is not a`, which lower to `role`. */
export type TestOp = Exclude<PredicateOp, 'is-a' | 'is-not-a'>;

export type ValueIr =
  | { lit: Json }
  | { regex: { source: string; flags: string } }
  | { list: ValueIr[] }
  /** A list setting; `kb` when the setting is kept in KB and read as a size in bytes. */
  | { setting: string; kb?: true }
  | { msgdata: string }
  /** The decoded values of a top-level header (a list; absent: empty). */
  | { header: string }
  /** `sender`, `sender.domain`, `sender.localpart`, `senders`, `recipients`, `recipients.count`, `size`. */
  | { message: string }
  /** `site.SECTION.KEY`, read from the configuration; `as` converts the text. */
  | { site: string; key: string; as?: 'number' | 'bool' | 'duration' }
  /** A field of the row a `for` loop is at; `key` for a field read by name (`part.header "X"`). */
  | { row: string; field: string; key?: string }
  /** `… count`: how many values the inner value has (a value that is not a list: 1, absent: 0). */
  | { count: ValueIr }
  /** `… as number`: the inner value's texts read as decimal numbers; texts that are not numbers are left out. */
  | { number: ValueIr };

export type ArgsIr = Record<string, ValueIr>;

export interface PipelineIr {
  ir: typeof IR_VERSION;
  kind: 'pipeline';
  name: string;
  /** The pipeline this one derives from (`from NAME`); `steps` are already the edited whole. */
  from?: string;
  description?: string;
  file: string;
  at: string;
  steps: StepIr[];
}

export interface StepIr {
  at: string;
  /** Where `at` is, when not the pipeline's own file (a step a derived pipeline takes from its base). */
  file?: string;
  handler: string;
  args: ArgsIr;
  when?: CondIr;
}

/** The runs of links nested directly in a link: a `for`'s, and the blocks of its action and `else`. */
export function nestedLinkRuns(link: LinkIr): LinkIr[][] {
  const runs: LinkIr[][] = [];
  for (const a of [link.action, link.else]) if (a && (a.do === 'for' || a.do === 'block')) runs.push(a.links);
  return runs;
}
