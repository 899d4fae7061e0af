// The master's pid file, read by `mailman status/stop` without loading the master itself.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';

export function readPid(config: Config): number | undefined {
  try {
    const pid = Number(readFileSync(config.path('paths', 'pid_file'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
