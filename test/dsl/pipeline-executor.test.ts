// The pipeline loop: handlers in order, `when` evaluated just before its step, and
// DiscardMessage / RejectMessage ending the run and reaching the caller.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DslCatalog, formatReport, registerMsgdataKey } from '../../src/dsl/index.js';
import { PipelineError, runPipeline } from '../../src/delivery/pipeline-executor.js';
import { DiscardMessage, RejectMessage, type MessageContext } from '../../src/registry.js';
import { registry } from '../helpers/registry.js';
import { makeCtx } from './support.js';

registerMsgdataKey('flag', 'string'); // set by test-set-flag, read by a `when`

const ran = (ctx: MessageContext) => ctx.msgdata.steps_run;

registry.handlers.register({
  name: 'test-step',
  description: 'Notes its tag in msgdata.steps_run.',
  params: [{ name: 'tag', type: 'string', required: true }],
  process: (ctx, args) => {
    ((ctx.msgdata.steps_run ??= []) as unknown[]).push(args.tag);
  },
});
registry.handlers.register({
  name: 'test-set-flag',
  description: 'Sets msgdata.flag, which a later `when` reads.',
  process: async (ctx) => {
    ctx.msgdata.flag = 'set';
  },
});
registry.handlers.register({
  name: 'test-discard',
  description: 'Ends the pipeline: discard.',
  process: () => {
    throw new DiscardMessage('discarded by a test');
  },
});
registry.handlers.register({
  name: 'test-reject',
  description: 'Ends the pipeline: reject.',
  process: async () => {
    throw new RejectMessage('rejected by a test');
  },
});

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function catalogOf(pipelines: Record<string, string>): Promise<DslCatalog> {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-pipelines-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(pipelines)) writeFileSync(join(dir, `${name}.pipeline`), text);
  const catalog = await DslCatalog.load({ builtinChains: join(dir, 'none'), builtinPipelines: dir }, { registry });
  // Test pipelines have no to-outgoing: the MM506 warning is expected, errors are not.
  const errors = catalog.diagnostics().filter((d) => d.severity === 'error');
  assert.equal(
    errors.length,
    0,
    formatReport(errors, () => undefined),
  );
  return catalog;
}

test('steps run in order, with their arguments', async () => {
  const catalog = await catalogOf({
    p: 'pipeline p { test-step(tag: "one") test-step(tag: "two") test-step(tag: "three") }',
  });
  const ctx = makeCtx();
  await runPipeline(catalog, 'p', ctx);
  assert.deepEqual(ran(ctx), ['one', 'two', 'three']);
});

test('`when` is evaluated just before its step', async () => {
  const catalog = await catalogOf({
    p: `pipeline p {
      test-step(tag: "too early") when msgdata.flag is "set"
      test-set-flag
      test-step(tag: "flag") when msgdata.flag is "set"
      test-step(tag: "spam") when header "X-Spam" exists
      test-step(tag: "no ham") when header "X-Ham" missing and not list.emergency
      test-step(tag: "emergency") when list.emergency
    }`,
  });
  const ctx = makeCtx({ headers: 'From: anne@example.org\nX-Spam: yes\n' });
  await runPipeline(catalog, 'p', ctx);
  assert.deepEqual(ran(ctx), ['flag', 'spam', 'no ham']);
});

test('DiscardMessage ends the pipeline and reaches the caller', async () => {
  const catalog = await catalogOf({
    p: 'pipeline p { test-step(tag: "before") test-discard test-step(tag: "after") }',
  });
  const ctx = makeCtx();
  await assert.rejects(
    runPipeline(catalog, 'p', ctx),
    (e: Error) => e instanceof DiscardMessage && e.message === 'discarded by a test',
  );
  assert.deepEqual(ran(ctx), ['before']);
});

test('RejectMessage ends the pipeline and reaches the caller', async () => {
  const catalog = await catalogOf({ p: 'pipeline p { test-reject test-step(tag: "after") }' });
  const ctx = makeCtx();
  await assert.rejects(runPipeline(catalog, 'p', ctx), RejectMessage);
  assert.equal(ran(ctx), undefined);
});

test('an unknown or uncompiled pipeline is an error for the runner to shunt', async () => {
  const catalog = await catalogOf({ p: 'pipeline p { test-step(tag: "x") }' });
  await assert.rejects(runPipeline(catalog, 'nope', makeCtx()), PipelineError);
});
