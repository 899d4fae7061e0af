// A throwaway site for in-process benchmarks: a temporary var dir, its configuration, open
// services, and one list `bench@bench.example`.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '../src/config/config.js';
import { runnerTable } from '../src/registry.js';
import { Services } from '../src/services/services.js';
import { configureLogging } from '../src/logging.js';
import type { MailingList } from '../src/model/entities.js';

export interface ScratchSite {
  config: Config;
  services: Services;
  mlist: MailingList;
  close(): Promise<void>;
}

export async function scratchSite(label: string): Promise<ScratchSite> {
  const dir = mkdtempSync(join(tmpdir(), `mailman-bench-${label}-`));
  const file = join(dir, 'mailman.conf');
  writeFileSync(file, ['[paths]', `var_dir: ${join(dir, 'var')}`].join('\n'));
  const config = Config.load({ file, runners: await runnerTable() });
  configureLogging(config, 'bench');
  const services = await Services.open(config);
  await services.domains.create('bench.example');
  const mlist = await services.lists.create('bench@bench.example');
  return {
    config,
    services,
    mlist,
    async close() {
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
