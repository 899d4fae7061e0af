// GNU Mailman 3 (Debian's 3.3.8) as the reference, through the shared bench's own scripts:
// setup.sh installs, configures and starts it with its sink.py, stop.sh stops both, and
// bench.py is the shared driver we also point at mailman-ts. Ports come from the environment
// so that they do not collide with ours or with another instance on the machine.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON, PySinkClient } from './sinks.js';
import { cmdline } from './proc-watch.js';
import type { Target } from './figures.js';

export interface Mailman3Options {
  benchDir: string;
  dir: string;
  restPort: number;
  lmtpPort: number;
  smtpPort: number;
  sinkHttpPort: number;
}

export function mailman3Options(benchDir: string): Mailman3Options {
  const env = process.env;
  return {
    benchDir,
    dir: env.MM3_DIR ?? '/tmp/mm3-mailman-ts-bench',
    restPort: Number(env.MM3_REST_PORT ?? 18001),
    lmtpPort: Number(env.MM3_LMTP_PORT ?? 18024),
    smtpPort: Number(env.MM3_SMTP_PORT ?? 12525),
    sinkHttpPort: Number(env.MM3_SINK_HTTP_PORT ?? 12526),
  };
}

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

function scriptEnv(o: Mailman3Options): Record<string, string> {
  return {
    MM3_DIR: o.dir,
    REST_PORT: String(o.restPort),
    LMTP_PORT: String(o.lmtpPort),
    SMTP_PORT: String(o.smtpPort),
    SINK_HTTP_PORT: String(o.sinkHttpPort),
  };
}

/** Installs (first time, with apt) and starts Mailman 3 and its sink; returns it as a target. */
export async function startMailman3(o: Mailman3Options, log: (m: string) => void): Promise<Target> {
  log(
    `GNU Mailman 3: ${join(o.benchDir, 'setup.sh')} (MM3_DIR=${o.dir}, REST ${o.restPort}, LMTP ${o.lmtpPort}, sink ${o.smtpPort})`,
  );
  const r = await run('bash', [join(o.benchDir, 'setup.sh')], scriptEnv(o));
  process.stderr.write(r.stdout);
  if (r.code !== 0) throw new Error(`setup.sh exited with ${r.code}`);
  const masterPid = () => Number(readFileSync(join(o.dir, 'var', 'master.pid'), 'utf8').trim());
  return {
    name: 'GNU Mailman 3',
    restBase: `http://127.0.0.1:${o.restPort}/3.1`,
    restAuth: { user: 'restadmin', pass: 'restpass' },
    lmtpPort: o.lmtpPort,
    sink: new PySinkClient(o.smtpPort, o.sinkHttpPort),
    roots: () => [masterPid()],
    label: (pid, comm) => {
      if (pid === masterPid()) return 'master';
      // Runners are started as `runner -C CFG --runner=NAME:SLICE:COUNT`; gunicorn workers
      // of the REST runner carry their parent's command line.
      const argv = cmdline(pid);
      const m = /--runner[= ]([^:\s]+)/.exec(argv.join(' '));
      if (m) return m[1];
      // Commands the runners start now and then (`mailman -C CFG gatenews`): name the command.
      const i = argv.findIndex((a) => a.endsWith('/mailman'));
      return i >= 0 ? `mailman ${argv[argv.length - 1]}` : comm;
    },
  };
}

export async function stopMailman3(o: Mailman3Options, log: (m: string) => void): Promise<void> {
  // --wipe: every sitting starts from an empty database and empty queues (a kept instance
  // grows by thousands of users per sitting, and an interrupted one resumes old deliveries).
  const keep = process.env.MM3_KEEP === '1';
  log(`GNU Mailman 3: stop.sh${keep ? '' : ' --wipe'}`);
  const r = await run('bash', [join(o.benchDir, 'stop.sh'), ...(keep ? [] : ['--wipe'])], scriptEnv(o));
  process.stderr.write(r.stdout);
}

/** The shared bench.py's own figures for one server, as the table's rows. */
export interface BenchPyFigures {
  /** bench.py's own JSON of each run, for what the rows leave out. */
  raw?: Record<string, unknown>;
  deliveries_per_s?: number;
  cpu_us_per_delivery?: number;
  subscribe_s?: number;
  peak_pss_mb?: number;
  server_processes?: number;
  posts_per_s?: number;
  burst_p50_ms?: number;
}

async function benchPyOnce(
  benchDir: string,
  t: Target,
  sinkHttpPort: number,
  members: number,
  messages: number,
  list: string,
): Promise<Record<string, any>> {
  const args = [
    join(benchDir, 'bench.py'),
    '--rest',
    t.restBase,
    '--rest-user',
    t.restAuth.user,
    '--rest-pass',
    t.restAuth.pass,
    '--lmtp',
    `127.0.0.1:${t.lmtpPort}`,
    '--sink-status',
    `http://127.0.0.1:${sinkHttpPort}/status`,
    '--members',
    String(members),
    '--messages',
    String(messages),
    '--list',
    list,
    '--settle',
    '0',
    '--roster-gets',
    '1',
    '--json',
    '--quiet',
    ...t.roots().flatMap((p) => ['--watch-pid', String(p)]),
  ];
  const r = await run(PYTHON, args);
  const line = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error(`bench.py against ${t.name} printed no JSON (exit ${r.code})`);
  return JSON.parse(line);
}

/**
 * bench.py three times against one server: M×N (deliveries/s, CPU, PSS, subscription),
 * the middle list (posts/s) and the burst list (its per-post latency: LMTP accepted → last
 * copy at the sink, over one connection, posts sent back to back).
 */
export async function benchPy(
  benchDir: string,
  t: Target,
  sinkHttpPort: number,
  shape: {
    members: number;
    messages: number;
    smallMembers: number;
    smallMessages: number;
    burstMembers: number;
    burstPosts: number;
  },
): Promise<BenchPyFigures> {
  const big = await benchPyOnce(benchDir, t, sinkHttpPort, shape.members, shape.messages, 'benchpy@example.com');
  const small = await benchPyOnce(
    benchDir,
    t,
    sinkHttpPort,
    shape.smallMembers,
    shape.smallMessages,
    'benchpy-small@example.com',
  );
  const b = await benchPyOnce(
    benchDir,
    t,
    sinkHttpPort,
    shape.burstMembers,
    shape.burstPosts,
    'benchpy-burst@example.com',
  );
  const proc = big.delivery_proc ?? {};
  return {
    deliveries_per_s: big.deliveries_per_s,
    cpu_us_per_delivery:
      proc.server_cpu_s !== undefined && big.deliveries
        ? Number(((proc.server_cpu_s / big.deliveries) * 1e6).toFixed(1))
        : undefined,
    subscribe_s: big.subscribe_s,
    peak_pss_mb: proc.server_peak_pss_sum_mb,
    server_processes: proc.server_procs,
    posts_per_s: small.messages_per_s,
    burst_p50_ms: b.msg_latency_s_p50 !== undefined ? Math.round(b.msg_latency_s_p50 * 1000) : undefined,
    raw: { big, small, burst: b },
  };
}
