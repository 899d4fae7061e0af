// What every CLI command shares: the configuration from -C / $MAILMAN_CONFIG_FILE /
// ./mailman.conf, and services opened on demand and closed at exit.
import { Config, ConfigError } from '../config/config.js';
import { configureLogging } from '../logging.js';
import type { RunnerTable } from '../config/schema.js';
// Loaded when a command first needs the database: TypeORM costs ~200 ms at start, which
// validate, fmt, graph and conf never need.
import type { Services } from '../services/services.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export class CliContext {
  private cfg: Config | undefined;
  private svc: Services | undefined;
  configFile: string | undefined;
  /** The runners and their defaults, read before any command runs (main.ts), for the config. */
  runners: RunnerTable = {};

  get config(): Config {
    if (!this.cfg) {
      try {
        this.cfg = Config.load({ file: Config.locate(this.configFile), runners: this.runners });
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, 2);
        throw err;
      }
      configureLogging(this.cfg, 'cli');
    }
    return this.cfg;
  }

  async services(): Promise<Services> {
    if (!this.svc) {
      const { Services } = await import('../services/services.js');
      this.svc = await Services.open(this.config, { migrate: true });
    }
    return this.svc;
  }

  async close(): Promise<void> {
    await this.svc?.close();
  }
}

export function out(line = ''): void {
  process.stdout.write(line + '\n');
}
