// `npm run bench`'s whole-server figures: every row of issue 10's table for mailman-ts, as
// JSON and as a table. With MAILMAN3=1 (or --mailman3) the same driver also measures GNU
// Mailman 3.3.8 (the shared bench's setup.sh starts it), the shared bench.py measures both,
// and the ratios are printed; everything in one sitting, since only that compares on a
// shared machine. BENCH_DATABASE=postgres (or --database=postgres) runs mailman-ts on a
// throw-away PostgreSQL. Figures only; nothing here asserts on time.
//
//   node dist/bench/table.js [--members=1000] [--messages=200] [--small-members=100]
//       [--small-messages=100] [--burst-members=10] [--burst-posts=30] [--timeout=900] [--sample-ms=500]
//       [--mailman3] [--no-bench-py] [--database=sqlite|postgres] [--config='[section]\nkey: v']
import { TestServer } from '../test/helpers/server.js';
import { startThrowawayPostgres } from '../test/helpers/postgres.js';
import { measure, type Figures, type Shape, type Target } from './lib/figures.js';
import { BenchSink, NodeSink, PySink, sharedBenchDir } from './lib/sinks.js';
import { cmdline } from './lib/proc-watch.js';
import { benchPy, mailman3Options, startMailman3, stopMailman3, type BenchPyFigures } from './lib/mailman3.js';
import { join } from 'node:path';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k, v.length ? v.join('=') : 'true'] as [string, string];
  }),
);
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const shape: Shape = {
  members: num('members', 1000),
  messages: num('messages', 200),
  smallMembers: num('small-members', 100),
  smallMessages: num('small-messages', 100),
  burstMembers: num('burst-members', 10),
  burstPosts: num('burst-posts', 30),
  timeoutS: num('timeout', 900),
  // Not faster by default: on 2 cores the sampler's own CPU (about 1 ms per server process and
  // sample) would be taken from the server it measures.
  sampleMs: num('sample-ms', 500),
};
const withMailman3 = args.has('mailman3') || (process.env.MAILMAN3 ?? '') === '1';
const withBenchPy = withMailman3 && !args.has('no-bench-py');
const database = args.get('database') ?? process.env.BENCH_DATABASE ?? 'sqlite';
const extraConfig = (args.get('config') ?? '').replace(/\\n/g, '\n');
const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** mailman-ts on ephemeral ports delivering to `sink`; its processes named by master.json. */
async function startOurs(sink: BenchSink, dbConfig: string): Promise<{ server: TestServer; target: Target }> {
  const server = await TestServer.start({ smtpPort: sink.port, config: [dbConfig, extraConfig].join('\n') });
  let names = new Map<number, string>();
  let readAt = 0;
  const runnerNames = () => {
    // Re-read at most once a second: a restarted runner has a new pid.
    if (Date.now() - readAt > 1000) {
      readAt = Date.now();
      try {
        const status = server.status() as { pid?: number; runners: { name: string; pid: number | null }[] };
        const m = new Map<number, string[]>();
        for (const r of status.runners) if (r.pid) m.set(r.pid, [...new Set([...(m.get(r.pid) ?? []), r.name])]);
        names = new Map([...m].map(([pid, n]) => [pid, n.join('+')]));
      } catch {
        // not written yet; keep the last names
      }
    }
    return names;
  };
  const target: Target = {
    name: 'mailman-ts',
    restBase: `http://127.0.0.1:${server.restPort}/3.1`,
    restAuth: { user: 'restadmin', pass: 'restpass' },
    lmtpPort: server.lmtpPort,
    sink,
    roots: () => (server.master.pid ? [server.master.pid] : []),
    label: (pid, comm) => {
      if (pid === server.master.pid) return 'master';
      const n = runnerNames().get(pid);
      if (n) return n;
      const argv = cmdline(pid);
      return `${comm} ${argv.slice(-3).join(' ')}`.trim();
    },
  };
  return { server, target };
}

interface Row {
  title: string;
  key: keyof Figures & keyof BenchPyFigures;
  better: 'higher' | 'lower' | 'none';
  unit: string;
}

function rows(s: Shape): Row[] {
  return [
    { title: `M=${s.members}, N=${s.messages}: deliveries/s`, key: 'deliveries_per_s', better: 'higher', unit: '' },
    {
      title: `server CPU per delivery (${s.members} members)`,
      key: 'cpu_us_per_delivery',
      better: 'lower',
      unit: ' µs',
    },
    { title: `M=${s.smallMembers}, N=${s.smallMessages}: posts/s`, key: 'posts_per_s', better: 'higher', unit: '' },
    {
      title: `p50 post latency, ${s.burstMembers} members, ${s.burstPosts} posts in a burst`,
      key: 'burst_p50_ms',
      better: 'lower',
      unit: ' ms',
    },
    { title: `${s.members} POST /members one by one`, key: 'subscribe_s', better: 'lower', unit: ' s' },
    { title: `whole server, peak PSS (M=${s.members} run)`, key: 'peak_pss_mb', better: 'lower', unit: ' MB' },
    { title: 'server processes', key: 'server_processes', better: 'none', unit: '' },
  ];
}

const fmt = (v: number | undefined, unit: string) =>
  v === undefined || Number.isNaN(v) ? 'n/a' : `${v.toLocaleString('en-US')}${unit}`;

function ratio(ours: number | undefined, theirs: number | undefined, better: Row['better']): string {
  if (ours === undefined || theirs === undefined || !ours || !theirs) return '';
  const r = ours / theirs;
  if (better === 'none') return `${r.toFixed(2)}×`;
  const gain = better === 'higher' ? r : 1 / r;
  return `${r.toFixed(r < 0.1 ? 3 : 2)}× (${gain >= 1 ? `${gain.toFixed(1)}× better` : `${(1 / gain).toFixed(1)}× worse`})`;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [
    line(header),
    '|' + widths.map((w, i) => (i === 0 ? '-' : '-').repeat(w + 1) + (i === 0 ? '-' : ':')).join('|') + '|',
    ...body.map(line),
  ].join('\n');
}

function printBreakdown(f: Figures): void {
  console.log(
    `\n${f.server}: server CPU by process over the M=${f.members} N=${f.messages} delivery run (${f.server_cpu_s} s in all)`,
  );
  console.log(
    table(
      ['process', 'pid', 'CPU s', 'µs/delivery'],
      f.cpu_by_process.map((p) => [p.label, String(p.pid), p.cpu_s.toFixed(2), p.us_per_delivery.toFixed(1)]),
    ),
  );
  console.log(
    `\n${f.server}: PSS by process at the peak (${f.peak_pss_mb} MB, ${f.server_processes} processes; ${f.pss_samples} samples, at most ${f.max_server_processes} processes)`,
  );
  console.log(
    table(
      ['process', 'pid', 'PSS MB'],
      f.pss_by_process_mb.map((p) => [p.label, String(p.pid), p.mb.toFixed(1)]),
    ),
  );
}

async function main(): Promise<void> {
  const benchDir = sharedBenchDir();
  if (withMailman3 && !benchDir)
    throw new Error(
      'MAILMAN3=1 needs the shared bench (../shared/bench with setup.sh, bench.py, sink.py) or MAILMAN_SHARED_BENCH=DIR',
    );
  if (database !== 'sqlite' && database !== 'postgres')
    throw new Error(`--database: sqlite or postgres, not ${database}`);
  const sink: BenchSink = benchDir ? await PySink.start(join(benchDir, 'sink.py')) : await NodeSink.start();
  log(`sink: ${sink.kind} on port ${sink.port}`);
  const ours: { figures?: Figures; benchPy?: BenchPyFigures } = {};
  const theirs: { figures?: Figures; benchPy?: BenchPyFigures } = {};
  // Whatever fails, the sink, the server and the throw-away cluster do not outlive the bench.
  let pg: { url: string; stop(): Promise<void> | void } | undefined;
  let server: TestServer | undefined;
  try {
    let dbConfig = '';
    if (database === 'postgres') {
      pg = await startThrowawayPostgres();
      const url = pg.url.endsWith('/') ? pg.url + 'postgres' : pg.url;
      dbConfig = `[database]\nclass: mailman.database.postgresql.PostgreSQLDatabase\nurl: ${url}`;
      log(`mailman-ts on a throw-away PostgreSQL: ${url}`);
    }
    const started = await startOurs(sink, dbConfig);
    server = started.server;
    ours.figures = await measure(started.target, shape, log);
    if (withBenchPy) {
      log('mailman-ts: shared bench.py');
      ours.benchPy = await benchPy(benchDir!, started.target, (sink as PySink).httpPort, shape);
    }
  } finally {
    await server?.cleanup();
    await sink.close();
    await pg?.stop();
  }

  let failure: unknown;
  if (withMailman3) {
    const o = mailman3Options(benchDir!);
    try {
      const mm3 = await startMailman3(o, log);
      theirs.figures = await measure(mm3, shape, log);
      if (withBenchPy) {
        log('GNU Mailman 3: shared bench.py');
        theirs.benchPy = await benchPy(benchDir!, mm3, o.sinkHttpPort, shape);
      }
    } catch (err) {
      // Still print our own figures; the exit code says the comparison is incomplete.
      failure = err;
      log(`GNU Mailman 3 could not be measured: ${(err as Error).message}`);
    } finally {
      await stopMailman3(o, log);
    }
  }

  console.log(
    JSON.stringify(
      { database, sink: sink.kind, shape, mailman_ts: ours, ...(withMailman3 ? { mailman3: theirs } : {}) },
      null,
      2,
    ),
  );
  const rs = rows(shape);
  const o = ours.figures!;
  console.log(`\nmailman-ts (database ${database}, sink ${sink.kind}), driver bench/table.ts`);
  if (!withMailman3) {
    console.log(
      table(
        ['figure', 'mailman-ts'],
        rs.map((r) => [r.title, fmt(o[r.key] as number, r.unit)]),
      ),
    );
  } else {
    const t = theirs.figures ?? ({} as Figures);
    console.log(
      table(
        ['figure', 'mailman-ts', 'Mailman 3.3.8', 'ours/theirs'],
        rs.map((r) => [
          r.title,
          fmt(o[r.key] as number, r.unit),
          fmt(t[r.key] as number, r.unit),
          ratio(o[r.key] as number, t[r.key] as number, r.better),
        ]),
      ),
    );
    if (withBenchPy) {
      console.log(
        '\nthe same rows by the shared bench.py (its definitions: latency from LMTP acceptance, PSS peak over the delivery phase only, sampled every 250 ms)',
      );
      const ob = ours.benchPy!;
      const tb = theirs.benchPy ?? {};
      console.log(
        table(
          ['figure', 'mailman-ts', 'Mailman 3.3.8', 'ours/theirs'],
          rs.map((r) => [
            r.title,
            fmt(ob[r.key], r.unit),
            fmt(tb[r.key], r.unit),
            ratio(ob[r.key], tb[r.key], r.better),
          ]),
        ),
      );
    }
  }
  printBreakdown(o);
  if (theirs.figures) printBreakdown(theirs.figures);
  if (failure) throw failure;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
