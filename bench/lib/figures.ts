// The table, measured against any server that speaks Mailman's REST API 3.1 and LMTP
// and delivers to a BenchSink: mailman-ts and GNU Mailman 3 alike, through the same requests.
// Three lists, each fresh: a burst of posts to a small list (latency), a middle list
// (posts/s), then the big list, whose subscription is timed one POST at a time and whose
// delivery run is watched for CPU and memory from its first subscription to its last delivery.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { LmtpSession } from '../../test/helpers/lmtp-client.js';
import type { BenchSink } from './sinks.js';
import { ProcWatch, type ProcFigure } from './proc-watch.js';

export interface Target {
  name: string;
  /** http://HOST:PORT/3.1 */
  restBase: string;
  restAuth: { user: string; pass: string };
  lmtpPort: number;
  sink: BenchSink;
  /** The server's root processes (the master); their descendants are the server. */
  roots(): number[];
  /** A human name for a server process, e.g. its runners. */
  label(pid: number, comm: string): string;
}

export interface Shape {
  members: number;
  messages: number;
  smallMembers: number;
  smallMessages: number;
  burstMembers: number;
  burstPosts: number;
  /** Give up waiting for deliveries after this long. */
  timeoutS: number;
  /** PSS sampling period: each sample reads smaps_rollup of every server process (~1 ms each). */
  sampleMs: number;
}

export interface Figures {
  server: string;
  members: number;
  messages: number;
  deliveries_per_s: number;
  first_post_to_last_delivery_s: number;
  server_cpu_s: number;
  cpu_us_per_delivery: number;
  cpu_by_process: { label: string; pid: number; cpu_s: number; us_per_delivery: number }[];
  small_members: number;
  small_messages: number;
  posts_per_s: number;
  burst_members: number;
  burst_posts: number;
  burst_p50_ms: number;
  burst_p95_ms: number;
  subscribed: number;
  subscribe_s: number;
  peak_pss_mb: number;
  pss_by_process_mb: { label: string; pid: number; mb: number }[];
  server_processes: number;
  max_server_processes: number;
  pss_samples: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The addresses the shared bench.py uses: GNU Mailman validates them, .invalid it may refuse.
const SENDER = 'poster@example.org'; // a non-member; the lists accept non-members

class Rest {
  private readonly auth: string;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  constructor(
    private readonly base: string,
    user: string,
    pass: string,
  ) {
    this.auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  }

  /**
   * Form-encoded, as mailmanclient (and GNU Mailman's REST) speak it, over one kept-alive
   * connection as a client library keeps it. node:http rather than fetch(): undici's fetch
   * costs the driver about a millisecond of CPU per request, taken from the server it
   * measures on a 2-core machine.
   */
  async call(
    method: string,
    path: string,
    form?: Record<string, string>,
    ok = [200, 201, 202, 204],
  ): Promise<{ status: number; body: any }> {
    const payload = form ? new URLSearchParams(form).toString() : undefined;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        this.base + path,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: this.auth,
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    if (!ok.includes(status)) throw new Error(`${method} ${path}: ${status} ${text.slice(0, 300)}`);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status, body };
  }
}

async function freshList(rest: Rest, fqdn: string): Promise<string> {
  const domain = fqdn.slice(fqdn.indexOf('@') + 1);
  await rest.call('POST', '/domains', { mail_host: domain }, [201, 400]);
  const existing = await rest.call('GET', `/lists/${fqdn}`, undefined, [200, 404]);
  if (existing.status === 200) await rest.call('DELETE', `/lists/${fqdn}`);
  await rest.call('POST', '/lists', { fqdn_listname: fqdn });
  const listId = (await rest.call('GET', `/lists/${fqdn}`)).body.list_id as string;
  await rest.call('PATCH', `/lists/${listId}/config`, {
    default_nonmember_action: 'accept',
    send_welcome_message: 'false',
  });
  return listId;
}

async function subscribe(rest: Rest, listId: string, count: number, tag: string): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await rest.call(
      'POST',
      '/members',
      {
        list_id: listId,
        subscriber: `m${i}.${tag}@example.net`,
        pre_verified: 'true',
        pre_confirmed: 'true',
        pre_approved: 'true',
      },
      [201],
    );
  }
  return (performance.now() - t0) / 1000;
}

/** Waits until the sink has been still for a moment, and returns its count then. */
async function quietCount(sink: BenchSink): Promise<number> {
  let last = await sink.recipients();
  for (;;) {
    await sleep(500);
    const now = await sink.recipients();
    if (now === last) return now;
    last = now;
  }
}

function post(list: string, subject: string, messageId: string): string {
  const line = `The quick brown fox jumps over the lazy dog. ${subject}\r\n`;
  return [
    `From: Bench Poster <${SENDER}>`,
    `To: ${list}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    line.repeat(Math.max(1, Math.floor(1000 / line.length))), // ~1 kB, as the shared bench.py sends
  ].join('\r\n');
}

/**
 * Sends `count` posts back to back over one LMTP connection (opened beforehand: connection
 * set-up is the MTA's, and its connection cache keeps it open), waits for count×members
 * deliveries, and returns each post's start time by Message-ID and the first start.
 */
async function burst(
  target: Target,
  list: string,
  count: number,
  members: number,
  tag: string,
  timeoutS: number,
  onStart: () => void = () => {},
): Promise<{ t0: number; started: Map<string, number>; accepted: Map<string, number>; lastAt: number }> {
  const base = await quietCount(target.sink);
  const lmtp = await LmtpSession.open(target.lmtpPort);
  const started = new Map<string, number>();
  const accepted = new Map<string, number>();
  onStart();
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const id = `<bench.${tag}.${i}@bench.invalid>`;
    started.set(id, Date.now());
    const r = await lmtp.send(SENDER, [list], post(list, `bench ${tag} ${i}`, id));
    accepted.set(id, Date.now());
    if (r.rejected.length) throw new Error(`${target.name}: LMTP refused ${list}: ${JSON.stringify(r.responses)}`);
  }
  lmtp.close();
  const want = base + count * members;
  const deadline = t0 + timeoutS * 1000;
  let got = await target.sink.recipients();
  // Counting first: cheap to poll, unlike the per-Message-ID table.
  let lastProgress = Date.now();
  for (let seen = got; got < want;) {
    if (Date.now() > deadline)
      throw new Error(`${target.name}: ${got - base} of ${count * members} deliveries after ${timeoutS} s`);
    await sleep(Date.now() - t0 < 3000 ? 10 : 100);
    got = await target.sink.recipients();
    if (got !== seen) [seen, lastProgress] = [got, Date.now()];
    else if (Date.now() - lastProgress > 30_000) {
      console.error(`[bench] ${target.name}: no delivery for 30 s, ${got - base}/${count * members}`);
      lastProgress = Date.now();
    }
  }
  // The count can be reached early by copies that are not ours (a server finishing an earlier
  // run, a digest): done means every post of this run reached every member, and the run ends
  // at the last copy of one of them.
  for (;;) {
    const arrivals = await target.sink.arrivals();
    const missing = [...started.keys()].filter((id) => (arrivals.get(id)?.recipients ?? 0) < members);
    if (!missing.length)
      return { t0, started, accepted, lastAt: Math.max(...[...started.keys()].map((id) => arrivals.get(id)!.last)) };
    if (Date.now() > deadline)
      throw new Error(
        `${target.name}: ${missing.length} of ${count} posts not delivered to all ${members} members after ${timeoutS} s`,
      );
    await sleep(200);
  }
}

function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((q / 100) * (s.length - 1))))];
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

export async function measure(target: Target, shape: Shape, log: (msg: string) => void = () => {}): Promise<Figures> {
  const rest = new Rest(target.restBase, target.restAuth.user, target.restAuth.pass);
  const tag = randomBytes(4).toString('hex');
  const domain = 'example.com';

  // (4) latency: a burst of posts to a small list.
  log(`${target.name}: burst of ${shape.burstPosts} posts to ${shape.burstMembers} members`);
  const burstList = `burst@${domain}`;
  const burstId = await freshList(rest, burstList);
  await subscribe(rest, burstId, shape.burstMembers, tag);
  const b = await burst(target, burstList, shape.burstPosts, shape.burstMembers, `burst.${tag}`, shape.timeoutS);
  const arrivals = await target.sink.arrivals();
  const lat: number[] = [];
  // From the LMTP acknowledgement to the last member's copy, as the shared bench.py measures it.
  for (const [id, t] of b.accepted) {
    const a = arrivals.get(id);
    if (!a || a.recipients < shape.burstMembers)
      throw new Error(`${target.name}: ${id} reached ${a?.recipients ?? 0} of ${shape.burstMembers} members`);
    lat.push(a.last - t);
  }

  // (3) posts/s at M=100, N=100.
  log(`${target.name}: ${shape.smallMessages} posts to ${shape.smallMembers} members`);
  const smallList = `small@${domain}`;
  const smallId = await freshList(rest, smallList);
  await subscribe(rest, smallId, shape.smallMembers, tag);
  const s = await burst(target, smallList, shape.smallMessages, shape.smallMembers, `small.${tag}`, shape.timeoutS);

  // (5), (1), (2), (6): the big list, watched from its first subscription to its last delivery.
  const bigList = `big@${domain}`;
  const bigId = await freshList(rest, bigList);
  const memWatch = new ProcWatch(target.roots, target.label, shape.sampleMs);
  memWatch.start();
  log(`${target.name}: subscribing ${shape.members} members one by one`);
  const subscribeS = await subscribe(rest, bigId, shape.members, tag);
  log(`${target.name}: ${shape.messages} posts to ${shape.members} members`);
  const cpuWatch = new ProcWatch(target.roots, target.label, 1000);
  const big = await burst(target, bigList, shape.messages, shape.members, `big.${tag}`, shape.timeoutS, () =>
    cpuWatch.start(),
  );
  const cpu = cpuWatch.stop();
  const mem = memWatch.stop();

  const deliveries = shape.messages * shape.members;
  const bigS = (big.lastAt - big.t0) / 1000;
  const mb = (bytes: number) => round(bytes / 2 ** 20);
  return {
    server: target.name,
    members: shape.members,
    messages: shape.messages,
    deliveries_per_s: Math.round(deliveries / bigS),
    first_post_to_last_delivery_s: round(bigS, 2),
    server_cpu_s: round(cpu.cpuS, 2),
    cpu_us_per_delivery: round((cpu.cpuS / deliveries) * 1e6),
    cpu_by_process: groupCpu(cpu.cpuByProcess, deliveries),
    small_members: shape.smallMembers,
    small_messages: shape.smallMessages,
    posts_per_s: round(shape.smallMessages / ((s.lastAt - s.t0) / 1000)),
    burst_members: shape.burstMembers,
    burst_posts: shape.burstPosts,
    burst_p50_ms: Math.round(percentile(lat, 50)),
    burst_p95_ms: Math.round(percentile(lat, 95)),
    subscribed: shape.members,
    subscribe_s: round(subscribeS, 2),
    peak_pss_mb: mb(mem.peakPss),
    pss_by_process_mb: mem.pssAtPeak.map((p) => ({ label: p.label, pid: p.pid, mb: mb(p.value) })),
    server_processes: mem.procsAtPeak,
    max_server_processes: mem.maxProcs,
    pss_samples: mem.samples,
  };
}

function groupCpu(per: ProcFigure[], deliveries: number): Figures['cpu_by_process'] {
  return per
    .filter((p) => p.value > 0)
    .map((p) => ({
      label: p.label,
      pid: p.pid,
      cpu_s: round(p.value, 2),
      us_per_delivery: round((p.value / deliveries) * 1e6),
    }));
}
