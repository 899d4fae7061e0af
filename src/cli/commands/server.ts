// start, stop, restart, status: the master's life cycle.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CliContext, CliError, out } from '../context.js';
import { readPid, isAlive } from '../../master/pidfile.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { exposureProblems } from '../../config/exposure.js';
import type { DslStatusFile } from '../../dsl/index.js';
import { describeRunner, type MasterStatusFile } from '../../master/status.js';
import { queueBacklogs, formatAge, type QueueBacklog } from '../../queue/backlog.js';
import { Switchboard } from '../../queue/switchboard.js';

interface ChainsReport {
  total: number;
  not_compiling: { kind: string; name: string; status: string; in_force: string | null; error: string | null }[];
  rules_total: number;
  /** Shared .rules files that do not compile: their users run on the last good texts. */
  rules_not_compiling: { name: string; file: string; error: string | null }[];
}

/** `file:line:col: error CODE: message` of the first error, or null. */
function firstError(diagnostics: DslStatusFile['names'][number]['diagnostics']): string | null {
  const d = diagnostics.find((x) => x.severity === 'error');
  return d ? `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}` : null;
}

/** Chains and pipelines that do not compile, as the in runner last saw them; undefined before it wrote. */
function dslReport(file: string): ChainsReport | undefined {
  if (!existsSync(file)) return undefined;
  let status: DslStatusFile;
  try {
    status = JSON.parse(readFileSync(file, 'utf8')) as DslStatusFile;
  } catch {
    return undefined;
  }
  const bad = status.names.filter((n) => n.status !== 'ok');
  const rules = status.rules ?? [];
  return {
    total: status.names.length,
    not_compiling: bad.map((n) => {
      const error = firstError(n.diagnostics);
      return { kind: n.kind, name: n.name, status: n.status, in_force: n.in_force ?? null, error };
    }),
    rules_total: rules.length,
    rules_not_compiling: rules
      .filter((r) => r.status !== 'ok')
      .map((r) => ({ name: r.name, file: r.file, error: firstError(r.diagnostics) })),
  };
}

function printDslStatus(report: ChainsReport | undefined): void {
  if (!report) return;
  const bad = report.not_compiling;
  if (!bad.length) {
    out(`Chains and pipelines: all ${report.total} compile`);
    return;
  }
  out(`Chains and pipelines: ${bad.length} of ${report.total} do not compile`);
  for (const n of bad) {
    const why =
      n.status === 'stale'
        ? `stale (the ${n.in_force === 'builtin' ? 'built-in' : 'last good'} version is in force)`
        : 'broken (never compiled; its messages are shunted)';
    out(`  ${n.kind} ${n.name}: ${why}`);
    if (n.error) out(`    ${n.error}`);
  }
}

/** Only when there are .rules files: a site without any hears nothing of them. */
function printRulesStatus(report: ChainsReport): void {
  const bad = report.rules_not_compiling;
  if (!report.rules_total) return;
  if (!bad.length) {
    out(`Shared .rules files: all ${report.rules_total} compile`);
    return;
  }
  out(
    `Shared .rules files: ${bad.length} of ${report.rules_total} do not compile (their users keep the last good texts)`,
  );
  for (const r of bad) {
    out(`  rules ${r.name}`);
    if (r.error) out(`    ${r.error}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function register(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('Start the master, which runs the LMTP and REST servers and all queue runners.')
    .option('--foreground', 'stay attached to the terminal; Ctrl-C stops everything')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (opts: { foreground?: boolean; quiet?: boolean }) => {
      const config = ctx.config;
      const exposed = exposureProblems(config);
      if (exposed.length > 0) throw new CliError(`refusing to start: ${exposed.join('; ')}`, 2);
      const pid = readPid(config);
      if (pid && isAlive(pid)) throw new CliError(`GNU Mailman (mailman-ts) is already running (master pid ${pid})`);
      if (opts.foreground) {
        if (!opts.quiet) out(`Starting mailman-ts in the foreground (var: ${config.varDir}; Ctrl-C stops it)`);
        const { runMaster } = await import('../../master/master.js');
        await runMaster(config);
        return;
      }
      mkdirSync(config.path('paths', 'log_dir'), { recursive: true });
      const logFd = openSync(join(config.path('paths', 'log_dir'), 'master.out'), 'a');
      const args = [
        join(PACKAGE_ROOT, 'bin', 'mailman.js'),
        ...(config.file ? ['-C', config.file] : []),
        'start',
        '--foreground',
        '--quiet',
      ];
      const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
      let exited: number | null = null;
      child.on('exit', (code) => (exited = code ?? 1));
      child.unref();
      for (let i = 0; i < 100; i++) {
        if (exited !== null)
          throw new CliError(`the master failed to start; see ${join(config.path('paths', 'log_dir'), 'master.out')}`);
        if (readPid(config) === child.pid) {
          if (!opts.quiet) out(`Starting Mailman's master runner (pid ${child.pid})`);
          return;
        }
        await sleep(100);
      }
      throw new CliError('the master did not start within 10 seconds');
    });

  program
    .command('stop')
    .description('Stop the master and every runner, letting each finish the message in hand.')
    .option('-q, --quiet', 'print nothing on success')
    .action(async (opts: { quiet?: boolean }) => {
      const pid = readPid(ctx.config);
      if (!pid || !isAlive(pid)) throw new CliError('GNU Mailman (mailman-ts) is not running');
      if (!opts.quiet) out("Shutting down Mailman's master runner");
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 600 && isAlive(pid); i++) await sleep(100);
      if (isAlive(pid)) throw new CliError(`the master (pid ${pid}) is still running after 60 seconds`);
    });

  program
    .command('restart')
    .description('Restart every runner; the master stays up.')
    .action(() => {
      const pid = readPid(ctx.config);
      if (!pid || !isAlive(pid)) throw new CliError('GNU Mailman (mailman-ts) is not running');
      process.kill(pid, 'SIGUSR1');
      out('Restarting the runners');
    });

  program
    .command('status')
    .description(
      'Tell whether the master is running, the state of each runner, and mail no runner is taking. Exit status: ' +
        '0 running, 1 not running, 3 running with a runner down, failing at start or crash-looping.',
    )
    .option('--json', 'the same as a JSON object (and the same exit status)')
    .action((opts: { json?: boolean }) => {
      const config = ctx.config;
      const pid = readPid(config);
      const alive = pid !== undefined && isAlive(pid);
      if (opts.json && !alive) {
        out(JSON.stringify({ running: false, pid: pid ?? null, stale_lock: !!pid }, null, 2));
        process.exitCode = 1;
        return;
      }
      if (!pid) throw new CliError('GNU Mailman (mailman-ts) is not running', 1);
      if (!alive)
        throw new CliError(
          `GNU Mailman (mailman-ts) is not running (stale lock for pid ${pid}; "mailman start" will clear it)`,
          1,
        );
      const status = readMasterStatus(join(config.runDir, 'master.json'));
      const { rows, problems } = status ? runnerReport(status, config.queueDir) : { rows: [], problems: [] };
      const backlog = backlogReport(config.queueDir, status, config.runnerNames());
      // dsl/live-catalog.ts's DSL_STATUS_FILE, named here so as not to load the compiler.
      const chains = dslReport(join(config.runDir, 'dsl.json'));
      if (problems.length) process.exitCode = 3;
      if (opts.json) {
        const report = { running: true, pid, runners: rows, problems, ...backlog, chains: chains ?? null };
        out(JSON.stringify(report, null, 2));
        return;
      }
      out(`GNU Mailman (mailman-ts) is running (master pid: ${pid})`);
      printRunners(rows);
      printBacklog(backlog);
      printDslStatus(chains);
      if (chains) printRulesStatus(chains);
      if (problems.length) out(`Problems: ${problems.join('; ')}`);
    });
}

function readMasterStatus(file: string): MasterStatusFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as MasterStatusFile;
  } catch {
    return undefined; // not written yet: the master is starting
  }
}

interface RunnerRow {
  id: string;
  process: string | null;
  queued: number | null;
  health: string;
  state: string;
}

/** Each runner slice with its process, queue depth and state; and what is wrong, for the exit status. */
function runnerReport(status: MasterStatusFile, queueDir: string): { rows: RunnerRow[]; problems: string[] } {
  const rows: RunnerRow[] = [];
  const problems: string[] = [];
  for (const r of status.runners) {
    const { health, text } = describeRunner(r);
    const id = `${r.name}:${r.slice}:${r.count}`;
    const queued = queueDepth(queueDir, r.name, r.slice, r.count) ?? null;
    rows.push({ id, process: r.process ?? null, queued, health, state: text });
    if (health === 'down') problems.push(`${id} is down`);
    else if (health === 'failing-at-start') problems.push(`${id} fails at start`);
    else if (health === 'crash-looping') problems.push(`${id} is crash-looping`);
  }
  return { rows, problems };
}

/** One line per runner slice: the slice, the worker process hosting it, its queue's depth, its state. */
function printRunners(rows: RunnerRow[]): void {
  for (const r of rows) {
    out(
      `  ${r.id.padEnd(14)} ${(r.process ?? '').padEnd(10)} ` +
        `${(r.queued === null ? '-' : `${r.queued} queued`).padEnd(10)} ${r.state}`,
    );
  }
}

/** Messages waiting in a queue runner's slice (servers have no queue: undefined). */
function queueDepth(queueDir: string, name: string, slice: number, count: number): number | undefined {
  if (!existsSync(join(queueDir, name))) return undefined;
  try {
    return new Switchboard(name, queueDir, slice, count).files().length;
  } catch {
    return undefined;
  }
}

/** Why mail in a queue no runner takes is there, for the queues that have no runner yet. */
const UNHANDLED: Record<string, string> = {
  command: '-request, -join, -leave and -confirm mail, for the command runner',
  bad: 'messages kept by content filtering (filter_action preserve)',
};

interface BacklogReport {
  stalled: { name: string; count: number; oldest_age_s: number; why: string }[];
  shunted: { count: number; oldest_age_s: number } | null;
}

/** Queues with mail waiting that no runner takes, then the shunt queue. */
function backlogReport(
  queueDir: string,
  status: MasterStatusFile | undefined,
  runners: readonly string[],
): BacklogReport {
  const now = Date.now();
  const backlog = queueBacklogs(queueDir);
  const ageS = (q: QueueBacklog) => Math.max(0, Math.floor((now - q.oldest) / 1000));
  const report: BacklogReport = { stalled: [], shunted: null };
  if (status) {
    const slices = (name: string) => status.runners.filter((r) => r.name === name);
    const stalled = backlog.filter(
      (q) => q.name !== 'shunt' && (slices(q.name).length === 0 || slices(q.name).some((r) => r.gave_up)),
    );
    for (const q of stalled) {
      const why = slices(q.name).length
        ? `its runner is down`
        : runners.includes(q.name)
          ? `[runner.${q.name}] start is off`
          : (UNHANDLED[q.name] ?? 'no runner takes this queue');
      report.stalled.push({ name: q.name, count: q.count, oldest_age_s: ageS(q), why });
    }
  }
  const shunt = backlog.find((q) => q.name === 'shunt');
  if (shunt) report.shunted = { count: shunt.count, oldest_age_s: ageS(shunt) };
  return report;
}

function printBacklog(report: BacklogReport): void {
  const age = (q: { count: number; oldest_age_s: number }) =>
    `${q.count} message${q.count === 1 ? '' : 's'}, oldest ${formatAge(q.oldest_age_s * 1000)} ago`;
  if (report.stalled.length) {
    out('Queues with mail no runner is taking:');
    for (const q of report.stalled) out(`  ${q.name.padEnd(14)} ${age(q)} (${q.why})`);
  }
  const shunt = report.shunted;
  if (shunt) out(`Shunted: ${age(shunt)}; "mailman qfile" shows one, "mailman unshunt" retries them`);
}
