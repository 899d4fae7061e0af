// Runs a pipeline: each step's handler in order on the message and its msgdata, a step with
// `when` only if its condition holds just before it runs. A handler ends the pipeline by
// throwing DiscardMessage or RejectMessage (src/registry.ts); they reach the caller as is,
// and so does any other error (a bug: the runner shunts the message).
import type { MessageContext } from '../registry.js';
import type { ExecutablePipeline } from '../dsl/index.js';

/** Where pipelines come from (a DslCatalog). */
export interface PipelineSource {
  pipeline(name: string): ExecutablePipeline | undefined;
}

export class PipelineError extends Error {}

export async function runPipeline(catalog: PipelineSource, name: string, ctx: MessageContext): Promise<void> {
  const pipeline = catalog.pipeline(name);
  if (!pipeline) throw new PipelineError(`pipeline '${name}' does not exist or does not compile`);
  for (const step of pipeline.steps) {
    if (step.when) {
      const r = step.when(ctx);
      if (!(r === true || (r !== false && (await r)))) continue;
    }
    await step.handler.process(ctx, step.args(ctx));
  }
}
