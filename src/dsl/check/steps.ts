// The checks of a pipeline's steps: a per-copy handler has no place in a pipeline (MM505),
// and a pipeline with no `to-outgoing` delivers nothing (MM506).
import type * as A from '../ast.js';
import { Codes, type DiagnosticSink } from '../diagnostics.js';
import type { Handler } from '../../registry.js';
import type { StepIr } from '../ir.js';

/** MM505 for a step naming a handler the out runner applies to each copy. */
export function checkStep(step: A.Step, handler: Handler | undefined, sink: DiagnosticSink): void {
  if (!handler?.perCopy) return;
  sink.warning(
    step.handler.span,
    Codes.PerCopyHandler,
    `'${step.handler.name}' runs per copy in the out runner, not in a pipeline`,
    'remove the step: the out runner applies it to each copy it sends',
  );
}

/** MM506 for a pipeline none of whose steps hands the message on for delivery. */
export function checkPipeline(decl: A.PipelineDecl, steps: readonly StepIr[], sink: DiagnosticSink): void {
  // The steps as lowered: a derived pipeline's are its base's, edited.
  if (steps.some((s) => s.handler === 'to-outgoing')) return;
  sink.warning(
    decl.name.span,
    Codes.NoOutgoing,
    `pipeline '${decl.name.name}' has no 'to-outgoing' step, so nothing it handles is delivered`,
    "add 'to-outgoing' as the last step",
  );
}
