// The worker thread behind POST /3.1/lists/L/explain. Parsing a message of up to 25 MB and
// running every rule of a chain over it is real work; here it never holds up the REST event
// loop, and a run that goes past its time is ended by stopping this thread. The thread keeps
// its own database connection and catalog, so one start serves every later request.
import { parentPort, workerData } from 'node:worker_threads';
import { Config } from '../config/config.js';
import { configureLogging } from '../logging.js';
import { Services } from '../services/services.js';
import { openLiveCatalog } from '../dsl/index.js';
import { buildRegistry, runnerTable } from '../registry.js';
import { explainMessage, ExplainError } from '../explain/index.js';
import { NotFoundError } from '../services/errors.js';

export interface ExplainJob {
  id: number;
  list: string;
  raw: Uint8Array;
  chain?: string;
  pipeline?: string;
  sender?: string;
  owner: boolean;
}

export type ExplainReply =
  { id: number; trace: unknown } | { id: number; refused: 'bad' | 'missing' | 'failed'; message: string };

const { configFile, cwd } = workerData as { configFile?: string; cwd: string };
const config = Config.load({ file: configFile, cwd, runners: await runnerTable() });
configureLogging(config, 'rest');
const services = await Services.open(config);
// A thread of its own: it builds its own registry, as any process does at its start.
const catalog = openLiveCatalog(config, await buildRegistry(), { log: false });

parentPort!.on('message', (job: ExplainJob) => {
  void run(job).then((reply) => parentPort!.postMessage(reply));
});
parentPort!.postMessage({ ready: true });

async function run(job: ExplainJob): Promise<ExplainReply> {
  try {
    const mlist = await services.lists.require(job.list);
    const trace = await explainMessage({
      services,
      catalog: catalog.snapshot(),
      mlist,
      raw: Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength),
      chain: job.chain,
      pipeline: job.pipeline,
      sender: job.sender,
      owner: job.owner,
    });
    return { id: job.id, trace };
  } catch (err) {
    if (err instanceof ExplainError) return { id: job.id, refused: 'bad', message: err.message };
    if (err instanceof NotFoundError) return { id: job.id, refused: 'missing', message: err.message };
    return { id: job.id, refused: 'failed', message: (err as Error)?.stack ?? String(err) };
  }
}
