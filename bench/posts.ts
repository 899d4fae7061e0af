// `node dist/bench/posts.js [--rounds=3] [--profile=DIR]`: the whole real server (master,
// runners, SQLite) against a real SMTP sink, for the figures of posting rather than fan-out:
//   - posts/s: N=100 posts to a list of M=100 members, one LMTP connection, first post sent
//     to last delivery received;
//   - post latency: 30 posts to a 10-member list sent in a burst on one connection, each
//     measured from its LMTP 250 to the sink receiving its last recipient (p50, p95);
//   - subscribes: 1000 `POST /3.1/members` one after the other, wall time and the REST
//     process's CPU time.
// Each figure is printed with the CPU time the server's processes spent on it (from
// /proc/PID/stat), which is steadier than wall time on a loaded machine. With --profile,
// every server process writes a V8 CPU profile into DIR (--cpu-prof on the master, inherited by its children) and the
// top self-time functions per process are printed. Figures only; nothing asserts on time.
import { performance } from 'node:perf_hooks';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestServer } from '../test/helpers/server.js';
import { SmtpSink } from '../test/helpers/smtp-sink.js';
import { makePost, LmtpSession } from '../test/helpers/lmtp-client.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ROUNDS = Number(args.get('rounds') ?? 3);
const M = Number(args.get('members') ?? 100);
const N = Number(args.get('messages') ?? 100);
const BURST = Number(args.get('burst') ?? 30);
const SUBSCRIBES = Number(args.get('subscribes') ?? 1000);
const profileDir = args.get('profile') ? resolve(args.get('profile')!) : undefined;
const PROF_SKIP_US = Number(args.get('prof-skip') ?? 8) * 1e6;
const TICK_MS = 10; // USER_HZ 100 on Linux

/** utime+stime of a process in ms, or 0 when it is gone. */
function cpuMs(pid: number | null): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** utime+stime of a process's main thread alone (the event loop), in ms. */
function mainThreadCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** One entry per server process, named after the runners it hosts (several share one). */
function serverPids(server: TestServer): Map<string, number> {
  const byPid = new Map<number, string[]>();
  for (const r of server.status().runners)
    if (r.pid) byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), `${r.name}${r.slice ? ':' + r.slice : ''}`]);
  return new Map(
    [...byPid].map(([pid, names]) => [names.length > 3 ? `${names[0]}+${names.length - 1}` : names.join('+'), pid]),
  );
}

/** CPU of each process, and of its event-loop thread as `NAME.loop` (the rest is the thread pool's fs work). */
function cpuOf(pids: Map<string, number>): Map<string, number> {
  return new Map(
    [...pids].flatMap(
      ([k, pid]) =>
        [
          [k, cpuMs(pid)],
          [`${k}.loop`, mainThreadCpuMs(pid)],
        ] as [string, number][],
    ),
  );
}

function cpuDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = d;
    if (!k.endsWith('.loop')) total += d;
  }
  out.total = total;
  return out;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))];
};

async function subscribeAll(server: TestServer, listId: string, count: number, prefix: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const res = await server.rest('POST', '/members', {
      list_id: listId,
      subscriber: `${prefix}${i}@bench.example`,
      pre_verified: true,
      pre_confirmed: true,
      pre_approved: true,
    });
    if (res.status !== 201) throw new Error(`subscribe failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return performance.now() - t0;
}

async function postsPerSecond(
  server: TestServer,
  sink: SmtpSink,
  round: number,
): Promise<{ posts_per_s: number; ms: number }> {
  const before = sink.deliveries;
  const lmtp = await LmtpSession.open(server.lmtpPort);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    await lmtp.send(
      'member0@bench.example',
      ['big@bench.example'],
      makePost({
        from: 'member0@bench.example',
        to: 'big@bench.example',
        subject: `post ${i}`,
        messageId: `<big-${round}-${i}@bench.example>`,
      }),
    );
  }
  await sink.waitFor(() => sink.deliveries - before >= N * M, 600_000, 'all deliveries');
  const ms = performance.now() - t0;
  lmtp.close();
  return { posts_per_s: +((N / ms) * 1000).toFixed(1), ms };
}

async function burstLatency(
  server: TestServer,
  sink: SmtpSink,
  round: number,
): Promise<{ p50: number; p95: number; max: number }> {
  const acked = new Map<string, number>();
  const lmtp = await LmtpSession.open(server.lmtpPort);
  for (let i = 0; i < BURST; i++) {
    const id = `<small-${round}-${i}@bench.example>`;
    // Back to back on the one connection, as an MTA flushes a burst (and Mailman's bench sends).
    await lmtp.send(
      'member0@bench.example',
      ['small@bench.example'],
      makePost({ from: 'member0@bench.example', to: 'small@bench.example', subject: `burst ${i}`, messageId: id }),
    );
    acked.set(id, performance.now());
  }
  const ids = [...acked.keys()];
  const count = (id: string) =>
    sink.received.filter((r) => r.msg.messageId === id).reduce((n, r) => n + r.to.length, 0);
  await sink.waitFor(() => ids.every((id) => count(id) >= 10), 60_000, 'burst deliveries');
  lmtp.close();
  const lats = ids.map(
    (id) => Math.max(...sink.received.filter((r) => r.msg.messageId === id).map((r) => r.at)) - acked.get(id)!,
  );
  return { p50: +pct(lats, 50).toFixed(1), p95: +pct(lats, 95).toFixed(1), max: +Math.max(...lats).toFixed(1) };
}

/** Top self-time functions of each profile in the directory, keyed by pid. */
function summariseProfiles(dir: string, names: Map<number, string>): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1]);
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
      samples: number[];
      timeDeltas: number[];
    };
    // Start-up (module loading, list set-up) is not what a post costs: samples of the first
    // --prof-skip seconds of each process are left out.
    const self = new Map<number, number>();
    let clock = 0;
    prof.samples.forEach((id, i) => {
      clock += prof.timeDeltas[i] ?? 0;
      if (clock >= PROF_SKIP_US) self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
    });
    const byFn = new Map<string, number>();
    let total = 0;
    for (const n of prof.nodes) {
      const t = self.get(n.id) ?? 0;
      if (n.callFrame.functionName === '(idle)') continue;
      total += t;
      const url = n.callFrame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
      const k = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
      byFn.set(k, (byFn.get(k) ?? 0) + t);
    }
    const top = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(`\n== ${names.get(pid) ?? 'pid ' + pid} (${file}): ${(total / 1000).toFixed(0)} ms busy`);
    for (const [k, t] of top)
      console.log(`  ${(t / 1000).toFixed(1).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}

async function main(): Promise<void> {
  // Node 20 refuses --cpu-prof in NODE_OPTIONS; on the master's command line it is inherited
  // by every runner it forks (fork() passes execArgv on).
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const sink = await new SmtpSink().start();
  const server = await TestServer.start({
    smtpPort: sink.port,
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const names = new Map<number, string>();
  const results: Record<string, unknown>[] = [];
  try {
    await server.rest('POST', '/domains', { mail_host: 'bench.example' });
    for (const l of ['small', 'big', 'subs'])
      await server.rest('POST', '/lists', { fqdn_listname: `${l}@bench.example` });
    await subscribeAll(server, 'small.bench.example', 10, 'member');
    await subscribeAll(server, 'big.bench.example', M, 'member');
    const pids = serverPids(server);
    for (const [k, pid] of pids) names.set(pid, k);
    // Warm-up: first posts pay for compiling chains and JIT.
    await burstLatency(server, sink, -1);
    for (let round = 0; round < ROUNDS; round++) {
      let c0 = cpuOf(pids);
      const pps = await postsPerSecond(server, sink, round);
      const ppsCpu = cpuDelta(c0, cpuOf(pids));
      c0 = cpuOf(pids);
      const lat = await burstLatency(server, sink, round);
      const latCpu = cpuDelta(c0, cpuOf(pids));
      c0 = cpuOf(pids);
      const subMs = await subscribeAll(server, 'subs.bench.example', SUBSCRIBES, `sub${round}-`);
      const subCpu = cpuDelta(c0, cpuOf(pids));
      await server.rest('DELETE', '/lists/subs.bench.example');
      await server.rest('POST', '/lists', { fqdn_listname: 'subs@bench.example' });
      const r = {
        round,
        [`posts_per_s_M${M}_N${N}`]: pps.posts_per_s,
        posts_cpu_ms_per_post: +(ppsCpu.total / N).toFixed(2),
        posts_cpu_ms: ppsCpu,
        [`latency_ms_10_members_burst${BURST}`]: lat,
        latency_cpu_ms_per_post: +(latCpu.total / BURST).toFixed(2),
        [`subscribe_${SUBSCRIBES}_s`]: +(subMs / 1000).toFixed(2),
        subscribe_cpu_ms: subCpu,
      };
      results.push(r);
      console.log(JSON.stringify(r));
    }
    const col = (k: string, f: (r: Record<string, unknown>) => number) => {
      const xs = results.map(f);
      return `${k}: ${Math.min(...xs)}–${Math.max(...xs)}`;
    };
    console.log(
      `\nM=${M} N=${N}, ${ROUNDS} rounds: ` +
        [
          col('posts/s', (r) => r[`posts_per_s_M${M}_N${N}`] as number),
          col('p50 latency ms', (r) => (r[`latency_ms_10_members_burst${BURST}`] as { p50: number }).p50),
          col(`${SUBSCRIBES} subscribes s`, (r) => r[`subscribe_${SUBSCRIBES}_s`] as number),
          col(
            'REST CPU s per 1000 subscribes',
            (r) => +(((r.subscribe_cpu_ms as Record<string, number>).rest ?? 0) / SUBSCRIBES).toFixed(2),
          ),
        ].join('; '),
    );
  } finally {
    await server.cleanup();
    await sink.close();
  }
  if (profileDir) summariseProfiles(profileDir, names);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
