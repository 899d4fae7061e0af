// The two server "runners": LMTP in from the MTA and the REST API. Each writes the address it
// bound to run_dir/NAME.json, so port 0 (tests) and `mailman status` both work. Their
// implementations are imported on start, so a process that hosts neither never loads Koa.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../../queue/atomic-file.js';
import { defineRunners, type RunnerComponent } from '../../registry.js';
import type { Config } from '../../config/config.js';

function announce(config: Config, name: string, host: string, port: number): () => void {
  const dir = config.runDir;
  const file = join(dir, `${name}.json`);
  writeFileAtomically(file, JSON.stringify({ host, port, pid: process.pid }), { mkdir: true });
  return () => rmSync(file, { force: true });
}

const lmtp: RunnerComponent = {
  name: 'lmtp',
  description: 'LMTP server receiving list mail from the MTA.',
  defaults: { process: 'lmtp' },
  async start({ config, services }) {
    const { startLmtpServer } = await import('../../mta/lmtp.js');
    const server = await startLmtpServer(services, config);
    const unannounce = announce(config, 'lmtp', config.get('mta', 'lmtp_host'), server.port);
    return {
      async stop() {
        unannounce();
        await server.close();
      },
    };
  },
};

const rest: RunnerComponent = {
  name: 'rest',
  description: 'The REST API (Mailman 3.0/3.1 compatible).',
  defaults: { process: 'rest' },
  async start({ config, services, registry }) {
    const { openLiveCatalog } = await import('../../dsl/index.js');
    const { startRestServer } = await import('../../rest/server.js');
    const catalog = openLiveCatalog(config, registry, { log: false }).watch(); // the in runner logs
    const server = await startRestServer(services, config, { catalog });
    const unannounce = announce(config, 'rest', config.get('webservice', 'hostname'), server.port);
    return {
      async stop() {
        unannounce();
        await server.close();
        catalog.close();
      },
    };
  },
};

export default defineRunners(lmtp, rest);
