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

/** Chains and pipelines that do not compile, as the in runner last saw them. */
function printDslStatus(file: string): void {
  if (!existsSync(file)) return;
  let status: DslStatusFile;
  try {
    status = JSON.parse(readFileSync(file, 'utf8')) as DslStatusFile;
  } catch {
    return;
  }
  const bad = status.names.filter((n) => n.status !== 'ok');
  if (!bad.length) {
    out(`Chains and pipelines: all ${status.names.length} compile`);
    return;
  }
  out(`Chains and pipelines: ${bad.length} of ${status.names.length} do not compile`);
  for (const n of bad) {
    const why =
      n.status === 'stale'
        ? `stale (the ${n.in_force === 'builtin' ? 'built-in' : 'last good'} version is in force)`
        : 'broken (never compiled; its messages are shunted)';
    out(`  ${n.kind} ${n.name}: ${why}`);
    const d = n.diagnostics.find((x) => x.severity === 'error');
    if (d) out(`    ${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`);
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
    .action(() => {
      const config = ctx.config;
      const pid = readPid(config);
      if (!pid) throw new CliError('GNU Mailman (mailman-ts) is not running', 1);
      if (!isAlive(pid))
        throw new CliError(
          `GNU Mailman (mailman-ts) is not running (stale lock for pid ${pid}; "mailman start" will clear it)`,
          1,
        );
      out(`GNU Mailman (mailman-ts) is running (master pid: ${pid})`);
      const status = readMasterStatus(join(config.runDir, 'master.json'));
      const problems = status ? printRunners(status, config.queueDir) : [];
      printBacklog(config.queueDir, status, config.runnerNames());
      // dsl/live-catalog.ts's DSL_STATUS_FILE, named here so as not to load the compiler.
      printDslStatus(join(config.runDir, 'dsl.json'));
      if (problems.length) {
        out(`Problems: ${problems.join('; ')}`);
        process.exitCode = 3;
      }
    });
}

function readMasterStatus(file: string): MasterStatusFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as MasterStatusFile;
  } catch {
    return undefined; // not written yet: the master is starting
  }
}

/** One line per runner slice; returns what is wrong, for the summary and the exit status. */
function printRunners(status: MasterStatusFile, queueDir: string): string[] {
  const problems: string[] = [];
  for (const r of status.runners) {
    const { health, text } = describeRunner(r);
    const id = `${r.name}:${r.slice}:${r.count}`;
    const depth = queueDepth(queueDir, r.name, r.slice, r.count);
    // Columns: the runner slice, the worker process hosting it, its queue's depth, its state.
    out(
      `  ${id.padEnd(14)} ${(r.process ?? '').padEnd(10)} ` +
        `${(depth === undefined ? '-' : `${depth} queued`).padEnd(10)} ${text}`,
    );
    if (health === 'down') problems.push(`${id} is down`);
    else if (health === 'failing-at-start') problems.push(`${id} fails at start`);
    else if (health === 'crash-looping') problems.push(`${id} is crash-looping`);
  }
  return problems;
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
  command: '-request, -join, -leave and -confirm mail; there is no command runner yet',
  bounces: 'mail to -bounces; there is no bounce runner yet',
  archive: 'posts for the enabled archivers; there is no archive runner yet',
  digest: 'there is no digest runner yet',
  bad: 'messages kept by content filtering (filter_action preserve)',
};

/** Queues with mail waiting that no runner takes, then the shunt queue. */
function printBacklog(queueDir: string, status: MasterStatusFile | undefined, runners: readonly string[]): void {
  const now = Date.now();
  const backlog = queueBacklogs(queueDir);
  const age = (q: QueueBacklog) =>
    `${q.count} message${q.count === 1 ? '' : 's'}, oldest ${formatAge(now - q.oldest)} ago`;
  if (status) {
    const slices = (name: string) => status.runners.filter((r) => r.name === name);
    const stalled = backlog.filter(
      (q) => q.name !== 'shunt' && (slices(q.name).length === 0 || slices(q.name).some((r) => r.gave_up)),
    );
    if (stalled.length) {
      out('Queues with mail no runner is taking:');
      for (const q of stalled) {
        const why = slices(q.name).length
          ? `its runner is down`
          : runners.includes(q.name)
            ? `[runner.${q.name}] start is off`
            : (UNHANDLED[q.name] ?? 'no runner takes this queue');
        out(`  ${q.name.padEnd(14)} ${age(q)} (${why})`);
      }
    }
  }
  const shunt = backlog.find((q) => q.name === 'shunt');
  if (shunt) out(`Shunted: ${age(shunt)}; "mailman qfile" shows one, "mailman unshunt" retries them`);
}
