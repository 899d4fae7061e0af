// The process-model measurement behind docs/architecture.md: the same server, the same load,
// three shapes: (a) the queue runners sharing one process per slice with LMTP and REST in
// their own (the default), (b) one process with a worker thread per runner, (c) one process
// per runner (Mailman's shape) with lazy imports. Prints processes, PSS idle and peak under
// load, and CPU per delivery for each. `node dist/bench/process-model.js --members=1000 --messages=100`
import { performance } from 'node:perf_hooks';
import { TestServer } from '../test/helpers/server.js';
import { SmtpSink } from '../test/helpers/smtp-sink.js';
import { makePost, LmtpSession } from '../test/helpers/lmtp-client.js';
import { runnerTable } from '../src/registry.js';
import { processTree, pssMiB, cpuMs, PssSampler } from '../test/helpers/processes.js';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k, v.join('=')] as [string, string];
  }),
);
const M = Number(args.get('members') ?? 1000);
const N = Number(args.get('messages') ?? 100);
const only = args.get('model');

const RUNNERS = Object.keys(await runnerTable());
const perRunner = RUNNERS.map((n) => `[runner.${n}]\nprocess: ${n}`).join('\n');
const allInOne = RUNNERS.map((n) => `[runner.${n}]\nprocess: all`).join('\n');
const MODELS: { name: string; config: string; env?: Record<string, string> }[] = [
  { name: 'a: queue runners share a process, LMTP and REST apart (default)', config: '' },
  { name: 'b: one process, a worker thread per runner', config: allInOne, env: { MAILMAN_RUNNER_THREADS: '1' } },
  { name: 'c: a process per runner, lazy imports', config: perRunner },
  { name: "d: LMTP in the queue runners' process, REST apart", config: '[runner.lmtp]\nprocess: queues' },
];

async function measure(model: (typeof MODELS)[number], sink: SmtpSink) {
  const env = { ...model.env, ...(args.get('exec-argv') ? { MAILMAN_WORKER_EXEC_ARGV: args.get('exec-argv')! } : {}) };
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const server = await TestServer.start({ smtpPort: sink.port, config: model.config });
  for (const k of Object.keys(env)) delete process.env[k];
  try {
    const members = Array.from({ length: M }, (_, i) => `m${i}@bench.example`);
    await server.createList('pm@bench.example', members);
    await new Promise((r) => setTimeout(r, 2000));
    const root = server.master.pid!;
    const tree = processTree(root);
    const idle = tree.reduce((a, p) => a + pssMiB(p), 0);
    const cpu0 = tree.reduce((a, p) => a + cpuMs(p), 0);
    const sampler = new PssSampler(root);
    const before = sink.deliveries;
    const t0 = performance.now();
    const lmtp = await LmtpSession.open(server.lmtpPort);
    for (let i = 0; i < N; i++) {
      await lmtp.send(
        'm0@bench.example',
        ['pm@bench.example'],
        makePost({
          from: 'm0@bench.example',
          to: 'pm@bench.example',
          subject: `pm ${i}`,
          messageId: `<pm-${i}-${Date.now()}@bench.example>`,
        }),
      );
    }
    lmtp.close();
    await sink.waitFor(() => sink.deliveries - before >= N * M, 600_000, 'all deliveries');
    const seconds = (performance.now() - t0) / 1000;
    sampler.stop();
    const treeAfter = processTree(root);
    const cpu = treeAfter.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
    const status = server.status() as { runners: { name: string; pid: number | null }[] };
    const label = (pid: number) =>
      pid === root
        ? 'master'
        : status.runners
            .filter((r) => r.pid === pid)
            .map((r) => r.name)
            .join('+') || 'other';
    const by = Object.fromEntries([...sampler.peakByPid].map(([pid, mib]) => [`${label(pid)}`, Math.round(mib)]));
    return {
      processes: tree.length,
      idle_pss_mib: Math.round(idle),
      peak_pss_mib: Math.round(sampler.peak),
      deliveries_per_s: Math.round((N * M) / seconds),
      cpu_us_per_delivery: +((cpu * 1000) / (N * M)).toFixed(1),
      peak_pss_by_process: by,
    };
  } finally {
    await server.cleanup();
  }
}

async function main(): Promise<void> {
  const sink = await new SmtpSink().start();
  try {
    for (const model of MODELS.filter((m) => !only || m.name.startsWith(only))) {
      const r = await measure(model, sink);
      console.log(`${model.name}\n  ${JSON.stringify(r)}`);
    }
  } finally {
    await sink.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
