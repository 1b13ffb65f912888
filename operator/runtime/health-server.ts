// The operator's small HTTP face: /metrics for Prometheus, /healthz and /readyz for the kubelet.
// - /healthz answers as long as the event loop does: if it stops answering, the kubelet restarts
//   the container, the only cure for a wedged process.
// - /readyz answers 200 once the caches are filled. A standby replica (not the leader) is ready
//   too: being ready to take over is its job.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

export interface HealthServerOptions {
  metrics: Metrics;
  ready: () => boolean;
  port?: number; // 0 (the default) picks a free port
  /** 127.0.0.1 unless the kubelet has to reach it: in a pod, probes come to the pod's IP. */
  host?: string;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(options.metrics.render());
    } else if (path === '/healthz') {
      response.writeHead(200).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503).end(ready ? 'ok\n' : 'caches not synced\n');
    } else {
      response.writeHead(404).end('not found\n');
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
