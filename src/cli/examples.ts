// Running the examples of chains and pipelines for `mailman validate` (docs/language.md#examples):
// each example's message goes through its chain as `explain` sends it (dryRun: rules write
// nothing, effects are not run), or through its pipeline, against a list made for it in a
// throw-away database and var dir. Nothing reaches the site's database, queues or MTA; what a
// pipeline's handlers write (the out queue, the post counter) lands in the sandbox, which is
// removed afterwards.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../config/config.js';
import type { RunnerTable } from '../config/schema.js';
import {
  Codes,
  type Diagnostic,
  type Example,
  type ExampleExpect,
  examplesPathOf,
  type ExecutableChain,
  type ExecutablePipeline,
  parseExamples,
  buildExecutable,
  type Registries,
  type WorkspaceResult,
} from '../dsl/index.js';
import { explainMessage, ExplainError, prepareMessage, type ExplainCatalog } from '../explain/index.js';
import { runPipeline } from '../delivery/pipeline-executor.js';
import { DiscardMessage, RejectMessage, type MessageContext } from '../registry.js';
import type { Services } from '../services/services.js';
import type { MailingList } from '../model/entities.js';
import { Message } from '../email/message.js';
import { listAttributes, applySettings } from '../rest/resources/listconf.js';

const LIST = 'list@example.com';
/** A fixed date, so an example reads the same every day. */
const DATE = 'Mon, 07 Dec 2026 08:00:00 +0000';

export interface ExamplesReport {
  diagnostics: Diagnostic[];
  /** Examples file (as shown) -> text, for the report's source lines. */
  sources: Map<string, string>;
  files: number;
  run: number;
  failed: number;
}

/** The chains and pipelines in force in a checked workspace, as explain reads them. */
function catalogOf(ws: WorkspaceResult, registry: Registries): ExplainCatalog {
  const chains = new Map<string, ExecutableChain>();
  const pipelines = new Map<string, ExecutablePipeline>();
  const broken = new Set(ws.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file));
  for (const f of ws.files) {
    if (f.overridden || !f.result.ir || broken.has(f.file)) continue;
    const exe = buildExecutable(f.result.ir, registry);
    if (exe.kind === 'chain') chains.set(exe.name, exe);
    else pipelines.set(exe.name, exe);
  }
  return { chain: (n) => chains.get(n), pipeline: (n) => pipelines.get(n), registry };
}

/** A database and var dir of its own, made from the site's configuration. */
async function openSandbox(
  site: Config,
  runners: RunnerTable,
): Promise<{ services: Services; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailman-examples-'));
  const paths: Record<string, string> = { pid_file: join(dir, 'master.pid') };
  for (const key of ['queue', 'data', 'log', 'lock', 'messages', 'archive', 'list_data', 'run'])
    paths[`${key}_dir`] = join(dir, key);
  const config = Config.load({
    file: site.file,
    runners,
    overrides: {
      paths,
      database: { class: 'sqlite', url: `sqlite:///${join(dir, 'examples.db')}` },
      // No MTA maps (nor postmap) for the lists examples make.
      mta: { incoming: 'none' },
    },
  });
  const { Services } = await import('../services/services.js');
  const services = await Services.open(config, { migrate: true });
  return {
    services,
    async close() {
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The example's message as it would arrive. */
export function exampleMessage(ex: Example): Buffer {
  const head: string[] = [
    `From: ${ex.from ?? 'someone@example.org'}`,
    `To: ${ex.to ?? LIST}`,
    ...(ex.cc ? [`Cc: ${ex.cc}`] : []),
    ...(ex.subject === '' ? [] : [`Subject: ${ex.subject ?? 'Example'}`]),
    `Message-ID: <example-${ex.line}@examples.invalid>`,
    `Date: ${DATE}`,
    ...ex.headers.map((h) => `${h.name}: ${h.value}`),
  ];
  const text = ex.body.length ? ex.body.join('\r\n') : 'An example.';
  if (ex.attachments.length === 0)
    return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n'));
  const boundary = `example-boundary-${ex.line}`;
  const parts: string[] = [
    ...head,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
  ];
  for (const a of ex.attachments) {
    const data = Buffer.alloc(a.size, 'x').toString('base64');
    parts.push(
      `--${boundary}`,
      `Content-Type: ${a.type}; name="${a.filename}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      ...(data.match(/.{1,76}/g) ?? []),
    );
  }
  parts.push(`--${boundary}--`, '');
  return Buffer.from(parts.join('\r\n'));
}

class NotRun extends Error {
  constructor(
    readonly at: { line: number; column: number },
    message: string,
  ) {
    super(message);
  }
}

/** A fresh list with the example's settings, rosters, bans and header filters. */
async function listFor(services: Services, ex: Example): Promise<MailingList> {
  if (await services.lists.get(LIST)) await services.lists.remove(LIST);
  if (!(await services.domains.get('example.com'))) await services.domains.create('example.com');
  const mlist = await services.lists.create(LIST);
  const attrs = listAttributes(services, {
    services,
    chainExists: undefined,
    pipelineExists: undefined,
  } as Parameters<typeof listAttributes>[1]);
  for (const s of ex.settings) {
    try {
      await applySettings(services, attrs, mlist, { [s.name]: s.value });
    } catch (err) {
      // REST's wording names the parameter; here the line already does.
      const why = (err as Error).message.replace(/^Invalid Parameter "[^"]*": /, '').replace(/\.$/, '');
      throw new NotRun(s, `the list refuses ${s.name} = ${s.value}: ${why}`);
    }
  }
  for (const m of ex.members) {
    try {
      await services.members.subscribe(mlist, m.address, { role: m.role, verified: true });
      if (m.action) {
        const member = await services.members.findMember(mlist.list_id, m.address, m.role);
        if (member) await services.members.setModerationAction(member, m.action);
      }
    } catch (err) {
      throw new NotRun(m, `member ${m.address}: ${(err as Error).message}`);
    }
  }
  for (const b of ex.bans) await services.bans.ban(b.address, mlist.list_id);
  for (const h of ex.headerMatches) {
    try {
      await services.headerMatches.add(mlist, { header: h.header, pattern: h.pattern, action: h.action ?? null });
    } catch (err) {
      throw new NotRun(h, `header-match: ${(err as Error).message}`);
    }
  }
  return (await services.lists.get(LIST))!;
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
 * Runs the examples files of the given checked files (NAME.examples beside each), against the
 * chains and pipelines in force in `ws`. A file that does not compile has its examples skipped:
 * its own errors say why.
 */
export async function runExamples(
  ws: WorkspaceResult,
  shown: ReadonlySet<string>,
  registry: Registries,
  site: Config,
  runners: RunnerTable,
): Promise<ExamplesReport> {
  const report: ExamplesReport = { diagnostics: [], sources: new Map(), files: 0, run: 0, failed: 0 };
  const catalog = catalogOf(ws, registry);
  const todo: { name: string; kind: 'chain' | 'pipeline'; file: string; examples: Example[] }[] = [];
  for (const f of ws.files) {
    if (!shown.has(f.file) || f.overridden || !f.kind) continue;
    const path = examplesPathOf(f.path);
    const file = examplesPathOf(f.file);
    if (!path || !file) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // no examples for this file
    }
    report.files++;
    report.sources.set(file, text);
    const parsed = parseExamples(file, text, f.kind);
    report.diagnostics.push(...parsed.diagnostics);
    if (parsed.diagnostics.length) continue;
    const compiled = f.kind === 'chain' ? catalog.chain(f.name) : catalog.pipeline(f.name);
    if (!compiled) continue;
    todo.push({ name: f.name, kind: f.kind, file, examples: parsed.examples });
  }
  if (todo.length === 0) return report;
  const sandbox = await openSandbox(site, runners);
  try {
    for (const t of todo) {
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
          const mlist = await listFor(sandbox.services, ex);
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
