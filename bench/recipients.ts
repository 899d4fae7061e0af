// `node dist/bench/recipients.js [--members=1000] [--calls=2000]`: the roster queries the
// pipeline and out runners make per post (regularRecipients, deliveryData), in process on
// SQLite, with the preference cascade evaluated in them. CPU time per call (median of five
// rounds), so other load on the machine moves the figure less than wall time would. Figures only.
import { scratchSite } from './scratch-site.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const M = Number(args.get('members') ?? 1000);
const CALLS = Number(args.get('calls') ?? 2000);
const ROUNDS = 5;

async function cpuPerCall(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, CALLS); i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < CALLS / ROUNDS; i++) await fn();
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / (CALLS / ROUNDS));
  }
  return rounds.sort((a, b) => a - b)[ROUNDS >> 1];
}

async function main(): Promise<void> {
  const site = await scratchSite('recipients');
  try {
    const { services, mlist } = site;
    // Subscribed as the REST API does: each member has a user, the cascade's third layer.
    for (let i = 0; i < M; i++) await services.members.subscribe(mlist, `member${i}@bench.example`, { verified: true });
    const figures = {
      members: M,
      regular_recipients_us_per_call: +(
        await cpuPerCall(() => services.members.regularRecipients(mlist.list_id, 'member0@bench.example'))
      ).toFixed(0),
      delivery_data_us_per_call: +(await cpuPerCall(() => services.members.deliveryData(mlist.list_id))).toFixed(0),
    };
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await site.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
