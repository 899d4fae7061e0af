// The shape of what `mailman explain` and POST /3.1/lists/{list}/explain report: what the list's
// moderation would do
// with a message, and why, without doing any of it. The message is prepared as the LMTP
// server and the `in` runner prepare it, then its start chain runs with `dryRun: true`:
// rules read the database but write nothing (nonmember-moderation does not register the
// sender), effects (`run hold-message` ...) are reported as "would ...", never run. Nothing
// is queued, stored, held or sent.
//
// To see inside each condition, the chains run here are rebuilt from their IR against a
// registry whose rules report each call (name, arguments, hit, reasons) before answering;
// the catalog's own closures, which the runners share, are not touched.
//
// The trace is plain JSON, and its shape is stable (version 1):
//
//   {
//     version: 1,
//     list_id, message_id, sender,           the first sender, as the rules see it
//     chain,                                 the start chain
//     links: [{                              every link visited, in order
//       chain, at: "LINE:COL", row?, file, source_text,   row: inside a `for` loop
//       condition,                           the condition as text ("always": unconditional)
//       rules: [{name, hit, args?, reasons?}],   registered rules called, in call order
//       tests: [{test, left, right?, hit}],  inline tests, role tests (`sender is a member`) and
//                                            boolean values, with the values read, in the order
//                                            they were evaluated
//       not_evaluated?: [text],              operands `and`/`or` skipped once the outcome was
//                                            known (absent when none), as written
//       recorded: {hits, misses},            what this link added to rule_hits/rule_misses
//       taken,                               whether the condition held
//       branch?,                             for a link with `else`: "then" or "else", the one that ran
//       action,                              the action that ran, as written: "jump moderation",
//                                            "hold"; after a miss with no `else`, the one not taken
//       target?,                             a computed jump's chain ("defer": went on)
//       effect?                              "would run hold-message: ..." for `run`
//     }],
//     disposition: accept|hold|reject|discard|none,
//     stopped_in,                            the chain whose `stop` ended processing, or null
//     reasons, rule_hits, rule_misses,       msgdata as the chain left it
//     headers_added: {X-Mailman-Rule-Hits?, X-Mailman-Rule-Misses?},
//     effects: ["would ..."],                effects and rule side effects, in order
//     pipeline?: {name, steps: [{at, handler, when?, runs}], error?},
//     error?                                 why the chain failed (the runner would shunt)
//   }
//
// `pipeline` is present when the message would be accepted (or a pipeline was asked for):
// each step's `when` is evaluated on the message as the chain left it; handlers are not run,
// so a `when` that depends on an earlier handler's work may read differently in the runner.
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';
import type { ExecutableChain, ExecutablePipeline, Registries } from '../dsl/index.js';

export const EXPLAIN_VERSION = 1;

export type Disposition = 'accept' | 'hold' | 'reject' | 'discard' | 'none';

export interface ExplainRule {
  name: string;
  hit: boolean;
  args?: Record<string, unknown>;
  reasons?: string[];
}

export interface ExplainTest {
  test: string;
  left: unknown;
  right?: unknown;
  hit: boolean;
}

export interface ExplainLink {
  chain: string;
  at: string;
  file: string;
  source_text: string;
  condition: string;
  rules: ExplainRule[];
  tests: ExplainTest[];
  recorded: { hits: string[]; misses: string[] };
  /** Operands skipped by `and`/`or` short-circuit; absent when every operand was evaluated. */
  not_evaluated?: string[];
  taken: boolean;
  action: string;
  /** Inside a `for` loop: the row (0-based) the link was evaluated for. */
  row?: number;
  /** A link with `else`: the branch that ran. */
  branch?: 'then' | 'else';
  target?: string;
  effect?: string;
}

export interface ExplainPipeline {
  name: string;
  steps: { at: string; handler: string; when?: string; runs: boolean }[];
  error?: string;
}

export interface ExplainTrace {
  version: typeof EXPLAIN_VERSION;
  list_id: string;
  message_id: string | null;
  sender: string | null;
  chain: string;
  links: ExplainLink[];
  disposition: Disposition;
  stopped_in: string | null;
  reasons: string[];
  rule_hits: string[];
  rule_misses: string[];
  headers_added: Record<string, string>;
  effects: string[];
  pipeline?: ExplainPipeline;
  error?: string;
}

/** Where explain finds chains and pipelines (a DslCatalog). */
export interface ExplainCatalog {
  chain(name: string): ExecutableChain | undefined;
  pipeline(name: string): ExecutablePipeline | undefined;
  /** What its chains were built against. */
  readonly registry: Registries;
}

export interface ExplainOptions {
  services: Services;
  catalog: ExplainCatalog;
  mlist: MailingList;
  raw: Buffer;
  /** The start chain; default: the list's posting_chain (owner_chain with `owner`). */
  chain?: string;
  /** The pipeline to show; default: the list's, and only if the message would be accepted. */
  pipeline?: string;
  /** The envelope sender (MAIL FROM); default: the message's X-MailFrom, else Return-Path. */
  sender?: string;
  /** As mail to the list's -owner address. */
  owner?: boolean;
  /** Set in the message's msgdata before the chain runs (what an earlier chain would have left). */
  msgdata?: Record<string, unknown>;
  /** The registry the chains are rebuilt against; default: the catalog's. */
  registry?: Registries;
}

/** The message or the request cannot be explained (malformed message, unknown chain). */
export class ExplainError extends Error {}
