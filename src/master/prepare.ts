// Run once by the master before any runner starts, in a process of its own: migrates the
// database (so runners never race to create the schema) and reports chains and pipelines
// that do not compile. Apart from the master so that the master, which lives as long as the
// server, never holds the database layer or the compiler in its memory.
import { Config } from '../config/config.js';
import { configureLogging, logger } from '../logging.js';
import { Services } from '../services/services.js';
import { openCatalog } from '../dsl/index.js';
import { buildRegistry, runnerTable } from '../registry.js';
import { applyServerUmask } from './umask.js';

async function main(): Promise<void> {
  applyServerUmask();
  const config = Config.load({ file: Config.locate(), runners: await runnerTable() });
  configureLogging(config, 'prepare');
  const log = logger('master');
  const services = await Services.open(config, { migrate: true });
  await services.close();
  // Only a report for the log: a chain that breaks the compiler itself must not stop the
  // server (the runners would never start, and nothing would say why); the in runner
  // reports the same files in the status file.
  try {
    const catalog = openCatalog(config, await buildRegistry());
    for (const d of catalog.diagnostics().filter((x) => x.severity === 'error'))
      log.error({ diagnostic: d }, 'chain or pipeline does not compile');
  } catch (err) {
    log.error({ err }, 'could not check the chains and pipelines');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    try {
      logger('error').fatal({ err }, 'cannot prepare the database');
    } catch {
      /* logging itself may be what failed */
    }
    console.error(`mailman: cannot prepare the database: ${(err as Error).message ?? err}`);
    process.exit(1);
  },
);
