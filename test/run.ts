// `npm test`: the unit tests, then the end-to-end tests (test/suites.ts says which is which), on
// SQLite, then again on a throw-away PostgreSQL cluster (see test/helpers/postgres.ts), each
// run named and totalled; non-zero exit if any fails.
//   npm run test:unit, npm run test:e2e          one suite only (node dist/test/run.js unit|e2e)
//   npm test -- dist/test/unit/config.test.js   only these files (on both databases)
//   MAILMAN_TEST_DATABASES=sqlite|postgres      only that database (default: sqlite,postgres)
//   MAILMAN_TEST_DATABASE_URL=postgres://...     use this PostgreSQL server instead of starting one
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { PostgresMissing, startThrowawayPostgres, type ThrowawayPostgres } from './helpers/postgres.js';
import { SUITES, suiteOf, type Suite } from './suites.js';

type Kind = 'sqlite' | 'postgres';
interface Totals {
  suite: Suite;
  kind: Kind;
  where: string;
  tests: number;
  pass: number;
  fail: number;
  other: number;
  seconds: number;
  code: number | null;
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

function databases(): Kind[] {
  const raw = (process.env.MAILMAN_TEST_DATABASES ?? 'sqlite,postgres').split(/[\s,]+/).filter(Boolean);
  const kinds = raw.map((k) => (/^sqlite/i.test(k) ? 'sqlite' : /^postgres/i.test(k) ? 'postgres' : undefined));
  if (!kinds.length || kinds.some((k) => !k)) {
    console.error(
      `MAILMAN_TEST_DATABASES="${process.env.MAILMAN_TEST_DATABASES}": use sqlite, postgres or sqlite,postgres`,
    );
    process.exit(2);
  }
  return [...new Set(kinds as Kind[])];
}

let child: ChildProcess | undefined;
let cluster: ThrowawayPostgres | undefined;
let interrupted = false;

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    interrupted = true;
    child?.kill(sig);
    cluster?.stop();
    console.error(`\n${sig}: test run stopped${cluster ? ', PostgreSQL cluster removed' : ''}`);
    process.exit(130);
  });
}
process.on('exit', () => cluster?.stop());

/** Runs node --test on the files with the database env; the TAP summary gives the totals. */
function runSuite(suite: Suite, kind: Kind, where: string, files: string[], env: NodeJS.ProcessEnv): Promise<Totals> {
  const started = Date.now();
  const totals: Totals = { suite, kind, where, tests: 0, pass: 0, fail: 0, other: 0, seconds: 0, code: null };
  console.log(`\n==== ${suite} tests on ${where} (${files.length} files) ====\n`);
  return new Promise((resolve) => {
    child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: PACKAGE_ROOT,
    });
    let tail = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      child = undefined;
      const total = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tail)?.[1] ?? 0);
      totals.tests = total('tests');
      totals.pass = total('pass');
      totals.fail = total('fail');
      totals.other = total('cancelled') + total('skipped') + total('todo');
      totals.seconds = (Date.now() - started) / 1000;
      totals.code = code ?? (signal ? 128 : 1);
      resolve(totals);
    });
  });
}

/** A suite and the files of it to run. */
type Run = [Suite, string[]];

/** What to run: a first argument `unit` or `e2e` names one suite (both by default); other arguments are files. */
function plan(args: string[]): Run[] {
  const named = (SUITES as readonly string[]).includes(args[0]) ? (args.shift() as Suite) : undefined;
  const all = () => testFiles(join(PACKAGE_ROOT, 'dist', 'test')).map((f) => relative(PACKAGE_ROOT, f));
  const files = args.length ? args : all();
  const runs = SUITES.filter((s) => !named || s === named)
    .map((s): Run => [s, files.filter((f) => suiteOf(f) === s)])
    .filter(([, mine]) => mine.length > 0);
  if (!runs.length) {
    console.error(`no ${named ? `${named} ` : ''}tests among: ${files.join(' ')}`);
    process.exit(2);
  }
  return runs;
}

/** Each suite on one database, one node --test run each. */
async function runSuites(runs: Run[], kind: Kind, where: string, env: NodeJS.ProcessEnv): Promise<Totals[]> {
  const results: Totals[] = [];
  for (const [suite, files] of runs) {
    if (interrupted) break;
    results.push(await runSuite(suite, kind, where, files, env));
  }
  return results;
}

async function main(): Promise<number> {
  const runs = plan(process.argv.slice(2));
  const results: Totals[] = [];
  for (const kind of databases()) {
    if (interrupted) break;
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (kind === 'sqlite') {
      delete env.MAILMAN_TEST_DATABASE_URL;
      results.push(...(await runSuites(runs, kind, 'SQLite', env)));
      continue;
    }
    let url = process.env.MAILMAN_TEST_DATABASE_URL;
    let where = `PostgreSQL at ${url}`;
    if (!url) {
      try {
        cluster = await startThrowawayPostgres();
      } catch (err) {
        console.error(`\ncannot run the tests on PostgreSQL: ${(err as Error).message}`);
        if (!(err instanceof PostgresMissing)) console.error('(MAILMAN_TEST_DATABASES=sqlite runs only SQLite)');
        const where = 'PostgreSQL (not started)';
        const none = { kind, where, tests: 0, pass: 0, fail: 0, other: 0, seconds: 0, code: 1 };
        for (const [suite] of runs) results.push({ suite, ...none });
        continue;
      }
      url = cluster.url;
      where = `PostgreSQL (throw-away cluster at ${url})`;
    }
    try {
      results.push(...(await runSuites(runs, kind, where, { ...env, MAILMAN_TEST_DATABASE_URL: url })));
    } finally {
      cluster?.stop();
      cluster = undefined;
    }
  }
  console.log('\n==== totals ====');
  for (const r of results) {
    const status = r.code === 0 ? 'ok' : 'FAILED';
    const counts = `tests ${r.tests}  pass ${r.pass}  fail ${r.fail}${r.other ? `  cancelled/skipped ${r.other}` : ''}`;
    const seconds = `${r.seconds.toFixed(0)} s`;
    console.log(`${r.suite.padEnd(4)}  ${r.where.padEnd(12)}  ${status.padEnd(6)}  ${counts}  ${seconds}`);
  }
  return results.every((r) => r.code === 0) ? 0 : 1;
}

process.exitCode = await main();
