// Test support for the REST suite: real Services on a temporary var dir, the real server on
// an ephemeral port, and a small fetch wrapper speaking JSON or form bodies.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { Config } from '../../src/config/config.js';
import { Services } from '../../src/services/services.js';
import { freshDatabase, type TestDatabase } from '../helpers/database.js';
import { startRestServer, type RestServer, type RestServerOptions } from '../../src/rest/server.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface CallOptions {
  /** Send the body form-encoded (as mailmanclient does) instead of JSON. */
  form?: boolean;
  version?: '3.0' | '3.1';
  /** Credentials, or null for none. */
  auth?: { user: string; pass: string } | null;
}

export class RestHarness {
  private constructor(
    readonly dir: string,
    readonly services: Services,
    readonly server: RestServer,
    readonly database: TestDatabase,
  ) {}

  static async start(opts: RestServerOptions & { conf?: string } = {}): Promise<RestHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'mailman-rest-'));
    const file = join(dir, 'mailman.conf');
    const database = freshDatabase();
    writeFileSync(
      file,
      ['[paths]', `var_dir: ${join(dir, 'var')}`, database.conf, '[webservice]', 'port: 0', opts.conf ?? ''].join('\n'),
    );
    const config = Config.load({ file });
    const services = await Services.open(config);
    const server = await startRestServer(services, config, opts);
    return new RestHarness(dir, services, server, database);
  }

  /** The API root, as self_links should start. */
  root(version: '3.0' | '3.1' = '3.1'): string {
    return `http://127.0.0.1:${this.server.port}/${version}`;
  }

  async call(method: string, path: string, body?: Record<string, unknown>, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    const auth = opts.auth === undefined ? { user: 'restadmin', pass: 'restpass' } : opts.auth;
    if (auth) headers.authorization = 'Basic ' + Buffer.from(`${auth.user}:${auth.pass}`).toString('base64');
    let payload: string | undefined;
    if (body) {
      if (opts.form) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(body))
          for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = params.toString();
      } else {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
    }
    const url = path.startsWith('http') ? path : `${this.root(opts.version)}${path}`;
    const res = await fetch(url, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get = (path: string, opts?: CallOptions) => this.call('GET', path, undefined, opts);
  post = (path: string, body: Record<string, unknown>, opts?: CallOptions) => this.call('POST', path, body, opts);
  patch = (path: string, body: Record<string, unknown>, opts?: CallOptions) => this.call('PATCH', path, body, opts);
  put = (path: string, body: Record<string, unknown>, opts?: CallOptions) => this.call('PUT', path, body, opts);
  delete = (path: string, body?: Record<string, unknown>, opts?: CallOptions) => this.call('DELETE', path, body, opts);

  async close(): Promise<void> {
    await this.server.close();
    await this.services.close();
    this.database.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Asserts the resource's http_etag is the quoted sha1 of the rest of it, canonically serialised. */
export function assertEtag(resource: Record<string, unknown>): void {
  assert.equal(typeof resource.http_etag, 'string', 'http_etag present');
  const { http_etag, ...rest } = resource;
  const expected = `"${createHash('sha1')
    .update(JSON.stringify(canonical(rest)))
    .digest('hex')}"`;
  assert.equal(http_etag, expected);
}

/** Asserts Mailman's error body for a status and (when given) the exact description. */
export function assertError(reply: Reply, status: number, description?: string | RegExp): void {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`);
  assert.match(reply.body?.title ?? '', new RegExp(`^${status} `));
  if (typeof description === 'string') assert.equal(reply.body.description, description);
  else if (description) assert.match(reply.body.description, description);
}

/** Asserts a 201 and returns its Location. */
export function assertCreated(reply: Reply, location: string | RegExp): string {
  assert.equal(reply.status, 201, reply.text);
  assert.equal(reply.text, '', 'a 201 has an empty body');
  const loc = reply.headers.get('location') ?? '';
  if (typeof location === 'string') assert.equal(loc, location);
  else assert.match(loc, location);
  return loc;
}
