// Debian's INN (innd, with the nnrpd it starts for readers) run from a throw-away directory on
// a loopback port: its own inn.conf (found through INNCONF), active file, history, spool and
// logs, nothing of /etc/news or /var/spool/news used. innd runs as the `news` user the package
// creates, so the tests that use it run as root (as CI does). .ci/run installs inn2.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NntpConnection } from '../../src/mta/nntp-client.js';
import { waitFor } from './wait.js';

const INN_BIN = '/usr/lib/news/bin';
export const INND = join(INN_BIN, 'innd');

/** A port free right now (a news server down must still have an address the list can name). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function newsIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'news'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'news'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) chownTree(join(path, f), uid, gid);
}

export class NewsServer {
  private innd: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** A configured server for `groups` (none running yet: start() runs it). */
  static async prepare(groups: string[], port?: number): Promise<NewsServer> {
    const dir = mkdtempSync(join(tmpdir(), 'innd-'));
    const server = new NewsServer(dir, port ?? (await freePort()));
    server.configure(groups);
    return server;
  }

  static async start(groups: string[]): Promise<NewsServer> {
    const server = await NewsServer.prepare(groups);
    await server.start();
    return server;
  }

  get innconf(): string {
    return join(this.dir, 'etc', 'inn.conf');
  }

  private configure(groups: string[]): void {
    const d = this.dir;
    const sub = ['etc', 'etc/filter', 'db', 'run', 'log', 'http', 'spool', 'spool/articles', 'spool/overview'];
    sub.push('spool/incoming', 'spool/incoming/tmp', 'spool/outgoing', 'spool/archive');
    for (const s of sub) mkdirSync(join(d, s), { recursive: true });
    const paths: Record<string, string> = {
      pathnews: '/usr/lib/news',
      pathbin: INN_BIN,
      pathcontrol: join(INN_BIN, 'control'),
      pathfilter: join(d, 'etc/filter'), // empty: no Perl or Python filter
      pathetc: join(d, 'etc'),
      pathdb: join(d, 'db'),
      pathrun: join(d, 'run'),
      pathlog: join(d, 'log'),
      pathhttp: join(d, 'http'),
      pathspool: join(d, 'spool'),
      patharticles: join(d, 'spool/articles'),
      pathoverview: join(d, 'spool/overview'),
      pathincoming: join(d, 'spool/incoming'),
      pathtmp: join(d, 'spool/incoming/tmp'),
      pathoutgoing: join(d, 'spool/outgoing'),
      patharchive: join(d, 'spool/archive'),
    };
    // `domain` and `pathhost` spelled out: innd refuses to start on a host with no domain name.
    const conf = {
      domain: 'news.test.example',
      pathhost: 'news.test.example',
      fromhost: 'news.test.example',
      server: '127.0.0.1',
      bindaddress: '127.0.0.1',
      port: String(this.port),
      organization: '"mailman-ts test"',
      ovmethod: 'tradindexed',
      hismethod: 'hisv6',
      enableoverview: 'true',
      mta: '"/bin/true %s"',
      mailcmd: '/bin/true',
      docancels: 'none',
      pgpverify: 'false',
      doinnwatch: 'false',
      status: '0',
      timer: '0',
      logstatus: 'false',
      htmlstatus: 'false',
      // nnrpd turns readers away (400) above this load average (16 by default); a busy test machine
      // passes that, so no limit.
      nnrpdloadlimit: '0',
      ...paths,
    };
    const etc = join(d, 'etc');
    writeFileSync(
      this.innconf,
      Object.entries(conf)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join(''),
    );
    // Every loopback client reads and posts; no peer feeds it (incoming.conf empty), so every
    // connection goes to nnrpd, which hands posts to innd over its local socket.
    writeFileSync(
      join(etc, 'readers.conf'),
      'auth "local" {\n  hosts: "127.0.0.1, localhost"\n  default: "<local>"\n}\n' +
        'access "local" {\n  users: "<local>"\n  newsgroups: "*"\n  access: RPA\n}\n',
    );
    writeFileSync(join(etc, 'storage.conf'), 'method tradspool {\n  newsgroups: *\n  class: 0\n}\n');
    writeFileSync(join(etc, 'newsfeeds'), 'ME:*::\n');
    writeFileSync(join(etc, 'expire.ctl'), '/remember/:10\n*:A:1:10:never\n');
    for (const f of ['incoming.conf', 'control.ctl', 'control.ctl.local', 'moderators', 'passwd.nntp'])
      writeFileSync(join(etc, f), '');
    // innd will not run without these three groups.
    const active = ['control', 'control.cancel', 'junk', ...groups].map((g) => `${g} 0000000000 0000000001 y\n`);
    writeFileSync(join(d, 'db/active'), active.join(''));
    writeFileSync(join(d, 'db/newsgroups'), groups.map((g) => `${g}\tA group of the tests.\n`).join(''));
    writeFileSync(join(d, 'db/active.times'), '');
    writeFileSync(join(d, 'db/history'), '');
    const { uid, gid } = newsIds();
    chownTree(d, uid, gid);
    execFileSync(join(INN_BIN, 'makedbz'), ['-i', '-o', '-s', '1000', '-f', join(d, 'db/history')], {
      uid,
      gid,
      env: { ...process.env, INNCONF: this.innconf },
    });
  }

  /** Runs innd in the foreground as `news`, and resolves once it greets a client. */
  async start(): Promise<void> {
    const { uid, gid } = newsIds();
    // A socket left by the last run would make innd think another is running.
    for (const f of ['control', 'nntpin', 'innd.pid']) rmSync(join(this.dir, 'run', f), { force: true });
    const innd = spawn(INND, ['-f', '-P', String(this.port)], {
      uid,
      gid,
      env: { ...process.env, INNCONF: this.innconf },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.innd = innd;
    this.exited = new Promise((resolve) => innd.once('exit', () => resolve()));
    await waitFor(
      async () => {
        if (innd.exitCode !== null) throw new Error(`innd exited with ${innd.exitCode} while starting`);
        const conn = await NntpConnection.open({ host: '127.0.0.1', port: this.port, timeoutMs: 5000 }).catch(
          () => undefined,
        );
        await conn?.quit();
        return conn !== undefined;
      },
      'innd to answer',
      30_000,
    );
  }

  /**
   * Shuts innd down as its admin does (ctlinnd shutdown); a signal if that fails, and SIGKILL
   * for an innd that has not gone after a while (one busy at SIGTERM was seen to linger).
   */
  async stop(): Promise<void> {
    const innd = this.innd;
    if (!innd || innd.exitCode !== null || innd.signalCode !== null) return;
    const { uid, gid } = newsIds();
    try {
      execFileSync(join(INN_BIN, 'ctlinnd'), ['-s', '-t', '10', 'shutdown', 'test over'], {
        uid,
        gid,
        env: { ...process.env, INNCONF: this.innconf },
      });
    } catch {
      innd.kill('SIGTERM');
    }
    // A deadline only: the exit is the fact waited for.
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 15_000))),
    ]);
    clearTimeout(timer);
    if (!gone) {
      innd.kill('SIGKILL');
      await this.exited;
    }
  }

  async cleanup(): Promise<void> {
    await this.stop();
    if (!process.env.KEEP_TEST_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A reader's connection to it. */
  connect(): Promise<NntpConnection> {
    return NntpConnection.open({ host: '127.0.0.1', port: this.port, timeoutMs: 10_000 });
  }

  /** Every article of a group, in number order. */
  async articles(group: string): Promise<Buffer[]> {
    const conn = await this.connect();
    try {
      const { count, low, high } = await conn.group(group);
      const out: Buffer[] = [];
      if (count === 0) return out;
      for (let n = low; n <= high; n++) {
        const a = await conn.article(n);
        if (a) out.push(a);
      }
      return out;
    } finally {
      await conn.quit();
    }
  }

  static installed(): boolean {
    return existsSync(INND);
  }
}
