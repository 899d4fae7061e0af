// Serving the REST app on [webservice] hostname:port. The port is bound before the app is
// built, so with port 0 the self_links still carry the port actually in use.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import type { Services } from '../services/services.js';
import { createRestApp } from './app.js';
import type { LiveCatalog } from '../dsl/index.js';

export interface RestServerOptions {
  chainExists?: (name: string) => boolean;
  pipelineExists?: (name: string) => boolean;
  catalog?: LiveCatalog;
}

export interface RestServer {
  port: number;
  close(): Promise<void>;
}

export async function startRestServer(
  services: Services,
  config: Config,
  opts: RestServerOptions = {},
): Promise<RestServer> {
  const hostname = config.get('webservice', 'hostname');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.int('webservice', 'port'), hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Like Mailman, use_https only changes the links: TLS is the front proxy's job.
  const scheme = config.bool('webservice', 'use_https') ? 'https' : 'http';
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  const releases: (() => void)[] = [];
  const app = createRestApp(services, {
    baseUrl: `${scheme}://${host}:${port}`,
    ...opts,
    onClose: (release) => releases.push(release),
  });
  server.on('request', app.callback());
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const release of releases) release();
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive connections would otherwise hold close() open.
        server.closeIdleConnections();
      }),
  };
}
