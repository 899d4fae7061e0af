// Delivery cost at scale: the real server (master and runners) posting N messages to a list of
// M members, into a real SMTP sink. The sink and the LMTP client run in this process on the
// same cores, so the figure that matters is the SERVER's CPU: utime+stime from /proc of the
// master and every process under it, before and after, split by runner. Figures only.
//
//   node dist/bench/delivery.js [--members=1000] [--messages=200] [--config='[mta]\nmax_delivery_threads: 4']
//                               [--prof=/tmp/prof]   (--cpu-prof for every server process)
//                               [--personalize=individual|full]   (one copy and transaction per member)
//                               [--footer='-- \nfor $user_address\n']   (the list's member_regular_footer)
//                               [--sink=lean]   (bench/lib/lean-sink.ts: counts, parses nothing)
import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { TestServer } from '../test/helpers/server.js';
import { SmtpSink } from '../test/helpers/smtp-sink.js';
import { LeanSink } from '../test/helpers/lean-sink.js';
import { makePost, LmtpSession } from '../test/helpers/lmtp-client.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split(/=(.*)/s, 2) as [string, string]));
const M = Number(args.get('members') ?? 1000);
const N = Number(args.get('messages') ?? 200);
const extraConfig = (args.get('config') ?? '').replace(/\\n/g, '\n');
const prof = args.get('prof');
const personalize = args.get('personalize');
const footer = args.get('footer')?.replace(/\\n/g, '\n');
const lean = args.get('sink') === 'lean';

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** CPU ticks (utime+stime) and parent of a live process, or undefined once it is gone. */
function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** Ticks per process of the tree under `root`. */
function treeTicks(root: number): Map<number, number> {
  const all = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) all.set(Number(name), s);
  }
  const out = new Map<number, number>();
  const visit = (pid: number) => {
    const s = all.get(pid);
    if (!s) return;
    out.set(pid, s.ticks);
    for (const [child, c] of all) if (c.ppid === pid) visit(child);
  };
  visit(root);
  return out;
}

async function main(): Promise<void> {
  if (prof) mkdirSync(prof, { recursive: true });
  const sink = lean ? await new LeanSink().start() : await new SmtpSink().start();
  // Node refuses --cpu-prof in NODE_OPTIONS; as a flag of the master, fork() hands it to every runner.
  const server = await TestServer.start({
    smtpPort: sink.port,
    config: extraConfig,
    nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
  });
  try {
    const members = Array.from({ length: M }, (_, i) => `member${i}@bench.example`);
    await server.createList('bench@bench.example', members);
    // --personalize=individual|full: one copy per member, each in its own transaction.
    if (personalize) {
      const r = await server.rest('PATCH', '/lists/bench.bench.example/config', { personalize });
      if (r.status !== 204) throw new Error(`personalize ${personalize}: ${JSON.stringify(r.body)}`);
    }
    if (footer !== undefined) {
      const r = await server.rest('PATCH', '/lists/bench.bench.example/config', { member_regular_footer: footer });
      if (r.status !== 204) throw new Error(`footer: ${JSON.stringify(r.body)}`);
    }
    const list = 'bench@bench.example';
    // One post first, so caches, JIT and connections are warm before counting.
    const lmtp = await LmtpSession.open(server.lmtpPort);
    const post = (i: number) =>
      lmtp.send(
        'member0@bench.example',
        [list],
        makePost({
          from: 'member0@bench.example',
          to: list,
          subject: `post ${i}`,
          messageId: `<bench-${i}-${Date.now()}@bench.example>`,
        }),
      );
    await post(-1);
    await sink.waitFor(() => sink.deliveries >= M, 120_000, 'warm-up post');
    // Let the warm-up settle (retry sleeps, log writes) before the first sample.
    await new Promise((r) => setTimeout(r, 500));

    const names = new Map<number, string>();
    names.set(server.master.pid!, 'master');
    // Runners may share a process (a host): the process is named after all of them.
    for (const r of server.status().runners) {
      if (!r.pid) continue;
      const name = r.count > 1 ? `${r.name}:${r.slice}` : r.name;
      const shared = names.get(r.pid);
      names.set(r.pid, shared ? `${shared}+${name}` : name);
    }
    if (prof) console.log(`profiles in ${prof}, by pid: ${JSON.stringify(Object.fromEntries(names))}`);
    const before = treeTicks(server.master.pid!);
    const selfBefore = process.cpuUsage();
    const start = sink.deliveries;
    const t0 = performance.now();
    const mono0 = process.hrtime.bigint() / 1000n;
    for (let i = 0; i < N; i++) await post(i);
    await sink.waitFor(() => sink.deliveries - start >= N * M, 600_000, 'all deliveries');
    const wallMs = performance.now() - t0;
    const after = treeTicks(server.master.pid!);
    // CLOCK_MONOTONIC in µs, the clock of .cpuprofile timestamps: profile-summary --window counts only these samples.
    if (prof) console.log(`measured window: --window=${mono0}-${process.hrtime.bigint() / 1000n}`);
    const self = process.cpuUsage(selfBefore);
    lmtp.close();

    const deliveries = N * M;
    const perProcess: Record<string, number> = {};
    let total = 0;
    for (const [pid, ticks] of after) {
      const used = (ticks - (before.get(pid) ?? 0)) * TICK_US;
      total += used;
      const name = names.get(pid) ?? `other:${pid}`;
      perProcess[name] = +((perProcess[name] ?? 0) + used / deliveries).toFixed(2);
    }
    const figures = {
      members: M,
      messages: N,
      deliveries,
      wall_s: +(wallMs / 1000).toFixed(2),
      deliveries_per_s: Math.round((deliveries / wallMs) * 1000),
      server_cpu_us_per_delivery: +(total / deliveries).toFixed(2),
      per_process_us_per_delivery: perProcess,
      bench_process_cpu_us_per_delivery: +((self.user + self.system) / deliveries).toFixed(2),
      sink_transactions: sink.received.length,
    };
    console.log(JSON.stringify(figures, null, 2));
    console.log(
      `\nM=${M} N=${N}: ${figures.deliveries_per_s} deliveries/s, server CPU ${figures.server_cpu_us_per_delivery} us/delivery ` +
        `(out ${perProcess.out ?? '?'}, pipeline ${perProcess.pipeline ?? '?'}); sink+client ${figures.bench_process_cpu_us_per_delivery} us/delivery`,
    );
  } finally {
    await server.cleanup();
    await sink.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
