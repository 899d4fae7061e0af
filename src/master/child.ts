// A worker process: one slice of one runner, forked by the master as
// `child.js NAME SLICE COUNT` with the master's configuration file in MAILMAN_CONFIG_FILE.
import { Config } from '../config/config.js';
import { configureLogging, logger } from '../logging.js';
import { Services } from '../services/services.js';
import { loadBuiltins, loadRunners, registry } from '../registry.js';
import { applyServerUmask } from './umask.js';

async function main(): Promise<void> {
  // Inherited from the master already; set again so a runner started any other way is no laxer.
  applyServerUmask();
  const [name, sliceArg = '0', countArg = '1'] = process.argv.slice(2);
  const slice = Number(sliceArg);
  const count = Number(countArg);
  const config = Config.load({ file: Config.locate() });
  configureLogging(config, `${name}:${slice}`);
  const log = logger('runner').child({ runner: `${name}:${slice}:${count}` });
  await loadBuiltins();
  await loadRunners();
  const component = registry.runners.get(name);
  if (!component) throw new Error(`no runner named "${name}" (known: ${registry.runners.names().join(', ')})`);
  const services = await Services.open(config, { migrate: false });
  const handle = await component.start({ config, services }, { slice, count });
  log.info('runner started');
  process.send?.({ type: 'ready', name, slice });

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'runner stopping');
    try {
      await handle.stop();
      await services.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Log files are opened per write; nothing to reopen, but SIGHUP must not kill us.
  process.on('SIGHUP', () => log.info('SIGHUP'));
  // The master is gone (even killed -9): do not linger as an orphan.
  process.on('disconnect', () => void stop('master went away'));
}

main().catch((err) => {
  try {
    logger('error').fatal({ err }, 'runner failed to start');
  } catch {
    /* logging itself may be what failed */
  }
  console.error(`mailman runner ${process.argv.slice(2).join(':')}: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
