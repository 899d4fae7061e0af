// `npm test`: the whole suite on SQLite, then again on a throw-away PostgreSQL cluster (see
// test/helpers/postgres.ts), each run named and totalled; non-zero exit if either fails.
//   npm test -- dist/test/unit/config.test.js   only these files (on both databases)
//   MAILMAN_TEST_DATABASES=sqlite|postgres      only that database (default: sqlite,postgres)
//   MAILMAN_TEST_DATABASE_URL=postgres://...     use this PostgreSQL server instead of starting one
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { PostgresMissing, startThrowawayPostgres, type ThrowawayPostgres } from './helpers/postgres.js';

type Kind = 'sqlite' | 'postgres';
interface Totals {
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
    console.error(`MAILMAN_TEST_DATABASES="${process.env.MAILMAN_TEST_DATABASES}": use sqlite, postgres or sqlite,postgres`);
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
function runSuite(kind: Kind, where: string, files: string[], env: NodeJS.ProcessEnv): Promise<Totals> {
  const started = Date.now();
  const totals: Totals = { kind, where, tests: 0, pass: 0, fail: 0, other: 0, seconds: 0, code: null };
  console.log(`\n==== tests on ${where} (${files.length} files) ====\n`);
  return new Promise((resolve) => {
    child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { env, stdio: ['ignore', 'pipe', 'inherit'], cwd: PACKAGE_ROOT });
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

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const files = args.length ? args : testFiles(join(PACKAGE_ROOT, 'dist', 'test')).map((f) => relative(PACKAGE_ROOT, f));
  const results: Totals[] = [];
  for (const kind of databases()) {
    if (interrupted) break;
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (kind === 'sqlite') {
      delete env.MAILMAN_TEST_DATABASE_URL;
      results.push(await runSuite(kind, 'SQLite', files, env));
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
        results.push({ kind, where: 'PostgreSQL (not started)', tests: 0, pass: 0, fail: 0, other: 0, seconds: 0, code: 1 });
        continue;
      }
      url = cluster.url;
      where = `PostgreSQL (throw-away cluster at ${url})`;
    }
    try {
      results.push(await runSuite(kind, where, files, { ...env, MAILMAN_TEST_DATABASE_URL: url }));
    } finally {
      cluster?.stop();
      cluster = undefined;
    }
  }
  console.log('\n==== totals ====');
  for (const r of results) {
    const status = r.code === 0 ? 'ok' : 'FAILED';
    console.log(`${r.where.padEnd(12)}  ${status.padEnd(6)}  tests ${r.tests}  pass ${r.pass}  fail ${r.fail}${r.other ? `  cancelled/skipped ${r.other}` : ''}  ${r.seconds.toFixed(0)} s`);
  }
  return results.every((r) => r.code === 0) ? 0 : 1;
}

process.exitCode = await main();
