// start, stop, restart, status: the master's life cycle.
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CliContext, CliError, out } from '../context.js';
import { readPid, isAlive } from '../../master/pidfile.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { exposureProblems } from '../../config/exposure.js';
import type { DslStatusFile } from '../../runners/catalog.js';

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
    const why = n.status === 'stale' ? `stale (the ${n.in_force === 'builtin' ? 'built-in' : 'last good'} version is in force)` : 'broken (never compiled; its messages are shunted)';
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
      const args = [join(PACKAGE_ROOT, 'bin', 'mailman.js'), ...(config.file ? ['-C', config.file] : []), 'start', '--foreground', '--quiet'];
      const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
      let exited: number | null = null;
      child.on('exit', (code) => (exited = code ?? 1));
      child.unref();
      for (let i = 0; i < 100; i++) {
        if (exited !== null) throw new CliError(`the master failed to start; see ${join(config.path('paths', 'log_dir'), 'master.out')}`);
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
    .description('Tell whether the master is running, and the state of each runner.')
    .action(() => {
      const config = ctx.config;
      const pid = readPid(config);
      if (!pid) throw new CliError('GNU Mailman (mailman-ts) is not running', 1);
      if (!isAlive(pid)) throw new CliError(`GNU Mailman (mailman-ts) is not running (stale lock for pid ${pid}; "mailman start" will clear it)`, 1);
      out(`GNU Mailman (mailman-ts) is running (master pid: ${pid})`);
      const statusFile = join(config.runDir, 'master.json');
      if (!existsSync(statusFile)) return;
      const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { runners: { name: string; slice: number; count: number; pid: number | null; restarts: number; gave_up: boolean }[] };
      for (const r of status.runners) {
        const state = r.gave_up ? 'DOWN (restart limit reached)' : r.pid ? `running, pid ${r.pid}` : 'restarting';
        out(`  ${`${r.name}:${r.slice}:${r.count}`.padEnd(14)} ${state}${r.restarts ? `, ${r.restarts} restart(s)` : ''}`);
      }
      printDslStatus(join(config.runDir, 'dsl.json')); // runners/catalog.ts DSL_STATUS_FILE, without loading the compiler
    });
}
