// Derived pipelines (docs/language.md#derived-pipelines): `pipeline NAME from BASE { edits }`
// lowers to the same PipelineIr as if the base's steps were written out with the edits made,
// so the executor, explain and REST see plain steps. The base is looked up by name in the
// catalog (a site override or the built-in) through CompileOptions.pipelineBase; the catalog
// and `validate` compile a base before the pipelines derived from it.
import type * as A from './ast.js';
import { Codes, type DiagnosticSink } from './diagnostics.js';
import type * as I from './ir.js';
import { closest } from './suggest.js';

/** What the catalog knows of a base pipeline's name. */
export type BaseLookup =
  /** The base's IR in force. */
  | { ir: I.PipelineIr }
  /** The name derives, through its bases, from the pipeline being compiled: the loop, in order. */
  | { cycle: string[] }
  /** A pipeline of that name exists but has no version in force. */
  | { broken: true }
  /** No pipeline of that name. */
  | undefined;

export interface DeriveEnv {
  /** Undefined: no catalog (a lone file), the base is not checked and only the edits' steps lower. */
  pipelineBase?: (name: string) => BaseLookup;
  pipelineNames?: ReadonlySet<string>;
  chainNames?: ReadonlySet<string>;
}

/**
 * The steps of a derived pipeline: the base's, edited. `own` are the lowered steps of the
 * edits. Undefined when the base is unknown (reported, except with no catalog to look in).
 */
export function deriveSteps(
  decl: A.PipelineDecl & { base: A.Ident },
  own: ReadonlyMap<A.StepEdit, I.StepIr>,
  env: DeriveEnv,
  sink: DiagnosticSink,
): I.StepIr[] | undefined {
  const base = decl.base;
  if (!env.pipelineBase) return undefined;
  const found = env.pipelineBase(base.name);
  if (!found) {
    unknownBase(base, decl.name.name, env, sink);
    return undefined;
  }
  if ('cycle' in found) {
    sink.error(
      base.span,
      Codes.Cycle,
      `pipeline '${decl.name.name}' derives from itself: ${[decl.name.name, ...found.cycle].join(' → ')}`,
      'a pipeline may derive from another only when that one does not lead back to it',
    );
    return undefined;
  }
  if ('broken' in found) {
    sink.error(
      base.span,
      Codes.UnknownBase,
      `the base pipeline '${base.name}' does not compile`,
      `fix ${base.name} first: \`mailman validate\` shows why`,
    );
    return undefined;
  }
  // Steps that come from the base say where they are written (their `at` is in its file).
  const steps: I.StepIr[] = found.ir.steps.map((s) => (s.file ? s : { ...s, file: found.ir.file }));
  for (const edit of decl.edits) {
    const i = steps.findIndex((s) => s.handler === edit.anchor.name);
    if (i < 0) {
      const names = steps.map((s) => s.handler);
      const near = closest(edit.anchor.name, names);
      sink.error(
        edit.anchor.span,
        Codes.UnknownAnchor,
        `'${edit.anchor.name}' is not a step of '${base.name}'`,
        near ? `did you mean '${near}'?` : `the steps of '${base.name}' are: ${names.join(', ')}`,
      );
      continue;
    }
    const step = own.get(edit);
    if (edit.op === 'without') steps.splice(i, 1);
    else if (!step) continue;
    else if (edit.op === 'replace') steps.splice(i, 1, step);
    else steps.splice(edit.op === 'before' ? i : i + 1, 0, step);
  }
  return steps;
}

function unknownBase(base: A.Ident, self: string, env: DeriveEnv, sink: DiagnosticSink): void {
  if (env.chainNames?.has(base.name)) {
    sink.error(
      base.span,
      Codes.WrongKind,
      `'${base.name}' is a chain, not a pipeline`,
      'a pipeline derives from a pipeline',
    );
    return;
  }
  const names = [...(env.pipelineNames ?? [])].filter((n) => n !== self).sort();
  const near = closest(base.name, names);
  sink.error(
    base.span,
    Codes.UnknownBase,
    `unknown pipeline '${base.name}'`,
    near ? `did you mean '${near}'?` : `the pipelines are: ${names.join(', ')}`,
  );
}

/** MM314: plain steps in a derived pipeline, or edits in one that derives from nothing. */
export function checkPlacement(decl: A.PipelineDecl, sink: DiagnosticSink): void {
  if (decl.base) {
    for (const step of decl.steps) {
      const name = step.handler.name;
      sink.error(
        step.handler.span,
        Codes.StepPlacement,
        `a step of the derived pipeline '${decl.name.name}' says neither where it goes nor what it replaces`,
        `write \`before STEP: ${name}\` or \`after STEP: ${name}\`, naming a step of '${decl.base.name}'`,
      );
    }
    return;
  }
  for (const edit of decl.edits) {
    sink.error(
      edit.span.start === edit.anchor.span.start
        ? edit.anchor.span
        : { start: edit.span.start, end: edit.anchor.span.end },
      Codes.StepPlacement,
      `'${edit.op}' changes the steps of a base, and pipeline '${decl.name.name}' has none`,
      `derive it (\`pipeline ${decl.name.name} from default-posting-pipeline\`) or write the step out`,
    );
  }
}
