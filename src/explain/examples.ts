// Running examples (docs/language.md#examples): each example's message goes through its chain
// as `explain` sends it (dryRun: rules write nothing, effects are not run), or through its
// pipeline, against a list made for it in a sandbox (example-sandbox.ts). What a pipeline's
// handlers write (the out queue, the post counter) lands in the sandbox, removed afterwards.
// `mailman validate` runs the examples beside the files it checks; REST runs those of a chain or
// pipeline before it replaces the one in force.
import type { RunnerTable } from '../config/schema.js';
import type { Config } from '../config/config.js';
import { Codes, type Diagnostic, type Example, type ExampleExpect } from '../dsl/index.js';
import { explainMessage } from './explain.js';
import { prepareMessage } from './prepare.js';
import { ExplainError, type ExplainCatalog } from './trace.js';
import { runPipeline } from '../delivery/pipeline-executor.js';
import { DiscardMessage, RejectMessage, type MessageContext } from '../registry.js';
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';
import { Message } from '../email/message.js';
import { exampleMessage, listFor, type ListSettingWriter, NotRun, openSandbox } from './example-sandbox.js';

export type { ListSettingWriter } from './example-sandbox.js';

/** The examples of one chain or pipeline, parsed without errors. */
export interface ExampleSet {
  name: string;
  kind: 'chain' | 'pipeline';
  /** The examples file as shown in diagnostics. */
  file: string;
  examples: Example[];
}

export interface ExampleRun {
  diagnostics: Diagnostic[];
  run: number;
  failed: number;
}

/** What an example expected and did not get: the expectation, what happened instead, where it was decided. */
interface ExampleFailure {
  expect: ExampleExpect;
  message: string;
  hint?: string;
}

/** Why a chain example did not get its expectation, or undefined when it did. */
async function runChainExample(
  services: Services,
  catalog: ExplainCatalog,
  name: string,
  ex: Example,
  mlist: MailingList,
): Promise<ExampleFailure | undefined> {
  let trace;
  try {
    trace = await explainMessage({
      services,
      catalog,
      mlist,
      raw: exampleMessage(ex),
      chain: name,
      sender: ex.sender,
      msgdata: Object.fromEntries(ex.msgdata.map((m) => [m.key, m.value])),
    });
  } catch (err) {
    if (err instanceof ExplainError) throw new NotRun(ex, err.message);
    throw err;
  }
  const hits = trace.rule_hits.length ? `rules hit: ${trace.rule_hits.join(', ')}` : 'no rule hit';
  // The last link of this chain that acted says more than the terminal chain it jumped to.
  const last = [...trace.links].reverse().find((l) => l.taken && l.chain === name);
  const hint = last ? `decided at ${last.file}:${last.at}: ${last.source_text || last.action}` : undefined;
  for (const e of ex.expects) {
    if (e.kind !== 'disposition') continue;
    if (trace.disposition !== e.disposition)
      return { expect: e, message: `expected ${e.disposition}, got ${trace.disposition} (${hits})`, hint };
    if (e.reason !== undefined && !trace.reasons.some((r) => r.toLowerCase().includes(e.reason!.toLowerCase()))) {
      const got = trace.reasons.length ? trace.reasons.map((r) => `"${r}"`).join(', ') : 'none';
      return { expect: e, message: `expected a reason with "${e.reason}", got ${got}`, hint };
    }
  }
  return undefined;
}

async function runPipelineExample(
  services: Services,
  catalog: ExplainCatalog,
  name: string,
  ex: Example,
  mlist: MailingList,
): Promise<ExampleFailure | undefined> {
  let prepared;
  try {
    prepared = prepareMessage({ services, catalog, mlist, raw: exampleMessage(ex), sender: ex.sender });
  } catch (err) {
    if (err instanceof ExplainError) throw new NotRun(ex, err.message);
    throw err;
  }
  const { msg, msgdata } = prepared;
  for (const m of ex.msgdata) msgdata[m.key] = m.value;
  const ctx: MessageContext = { mlist, msg, msgdata, services, dryRun: true };
  let ended: 'discard' | 'reject' | undefined;
  try {
    await runPipeline(catalog, name, ctx);
  } catch (err) {
    if (err instanceof DiscardMessage) ended = 'discard';
    else if (err instanceof RejectMessage) ended = 'reject';
    else throw new NotRun(ex, `the pipeline failed (the runner would shunt the message): ${(err as Error).message}`);
  }
  for (const e of ex.expects) {
    switch (e.kind) {
      case 'ends':
        if (ended !== e.how) return { expect: e, message: `expected the pipeline to ${e.how} the message, it did not` };
        break;
      case 'header': {
        if (ended) return { expect: e, message: `expected a header ${e.header}, but the pipeline ${ended}ed the post` };
        const values = msg.getAll(e.header).map((v) => v.replace(/\s+/g, ' ').trim());
        if (values.length === 0) return { expect: e, message: `expected a header ${e.header}, there is none` };
        if (e.value !== undefined && !values.includes(e.value))
          return {
            expect: e,
            message: `expected ${e.header}: ${e.value}, got ${values.map((v) => `"${v}"`).join(', ')}`,
          };
        break;
      }
      case 'no-header':
        if (msg.has(e.header))
          return { expect: e, message: `expected no ${e.header} header, got "${msg.get(e.header)}"` };
        break;
      case 'recipients': {
        const got = (Array.isArray(msgdata.recipients) ? (msgdata.recipients as string[]) : []).map((r) =>
          r.toLowerCase(),
        );
        const want = [...e.addresses].sort();
        if (got.length !== want.length || [...got].sort().some((r, i) => r !== want[i]))
          return {
            expect: e,
            message: `expected recipients ${want.join(', ') || 'none'}, got ${got.sort().join(', ') || 'none'}`,
          };
        break;
      }
      case 'part': {
        if (ended) return { expect: e, message: `expected a ${e.type} part, but the pipeline ${ended}ed the post` };
        // Read back from the bytes that would go out, not from the handlers' working copy.
        const types = [...Message.parseStrict(msg.toBuffer()).mime().walk()].map((p) => p.type);
        if (types.includes(e.type) !== e.present)
          return {
            expect: e,
            message: `expected ${e.present ? 'a' : 'no'} ${e.type} part, the parts are ${types.join(', ')}`,
          };
        break;
      }
      case 'disposition':
        break;
    }
  }
  if (ended && !ex.expects.some((e) => e.kind === 'ends'))
    return { expect: ex.expects[0], message: `the pipeline ${ended}ed the post` };
  return undefined;
}

/**
 * Runs every example of the sets against the chains and pipelines of `catalog`, in one sandbox:
 * a failed expectation is MM603 at its line, an example that cannot be run as written MM604.
 */
export async function runExampleSets(
  sets: readonly ExampleSet[],
  catalog: ExplainCatalog,
  site: Config,
  runners: RunnerTable,
  writeSetting: ListSettingWriter,
): Promise<ExampleRun> {
  const report: ExampleRun = { diagnostics: [], run: 0, failed: 0 };
  if (sets.length === 0) return report;
  const sandbox = await openSandbox(site, runners);
  try {
    for (const t of sets) {
      for (const ex of t.examples) {
        report.run++;
        const fail = (at: { line: number; column: number }, code: string, message: string, hint?: string) => {
          report.failed++;
          const d: Diagnostic = {
            file: t.file,
            line: at.line,
            column: at.column,
            endLine: at.line,
            endColumn: at.column + 1,
            severity: 'error',
            code,
            message: `example "${ex.name}": ${message}`,
          };
          if (hint) d.hint = hint;
          report.diagnostics.push(d);
        };
        try {
          const mlist = await listFor(sandbox.services, ex, writeSetting);
          const failure =
            t.kind === 'chain'
              ? await runChainExample(sandbox.services, catalog, t.name, ex, mlist)
              : await runPipelineExample(sandbox.services, catalog, t.name, ex, mlist);
          if (failure) fail(failure.expect, Codes.ExampleFailed, failure.message, failure.hint);
        } catch (err) {
          if (!(err instanceof NotRun)) throw err;
          fail(err.at, Codes.ExampleNotRun, err.message);
        }
      }
    }
  } finally {
    await sandbox.close();
  }
  return report;
}
