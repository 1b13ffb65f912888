// The sample app's HTTP routes. One small app serves every lesson: probes to flip for the health
// lessons, /info to watch a rollout or a Service spread traffic, /content/ for the sidecar,
// /backend for the ambassador, and a metrics file for the adapter.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Logger } from '../shared/log.ts';
import { sendJson, sendText } from '../shared/http-server.ts';
import { proxyToBackend } from './backend.ts';
import type { Config } from './config.ts';
import type { RequestCounts } from './metrics-file.ts';
import { serveContent } from './static-content.ts';

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function createApp(config: Config, counts: RequestCounts, log: Logger): Server {
  // What the probes report. Flipping them by hand shows what Kubernetes does with each answer:
  // a failing readiness probe takes the pod out of the Service's endpoints (it keeps running);
  // a failing liveness probe makes the kubelet restart the container, which starts healthy again
  // because this state lives only in memory.
  const probes = { healthy: true, ready: true };

  const routes: Record<string, Route> = {
    'GET /': (_req, res) =>
      sendText(res, 200, `Hello from the Kubernetes Patterns workshop! version ${config.version}, pod ${config.podName}\n`),
    'GET /info': (_req, res) =>
      sendJson(res, 200, { version: config.version, pod: config.podName, hostname: hostname() }),
    // 500 and 503 are both "failure" to the kubelet (anything outside 200-399 is); they differ for humans.
    'GET /healthz': (_req, res) => (probes.healthy ? sendText(res, 200, 'ok\n') : sendText(res, 500, 'unhealthy (toggled by hand)\n')),
    'GET /readyz': (_req, res) => (probes.ready ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'not ready (toggled by hand)\n')),
    'POST /healthz/toggle': (_req, res) => {
      probes.healthy = !probes.healthy;
      log.info('liveness toggled', { healthy: probes.healthy });
      sendJson(res, 200, probes);
    },
    'POST /readyz/toggle': (_req, res) => {
      probes.ready = !probes.ready;
      log.info('readiness toggled', { ready: probes.ready });
      sendJson(res, 200, probes);
    },
    'GET /backend': (_req, res) => proxyToBackend(config.backendUrl, res),
  };
  const knownPaths = new Set(Object.keys(routes).map((key) => key.split(' ')[1]));
  const probePaths = new Set(['/healthz', '/readyz']);

  return createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://app.invalid').pathname;
    const content = path.startsWith('/content/');
    // Metrics are counted per route, never per raw path: every mistyped URL would otherwise become
    // a new time series in the monitoring system (a "cardinality explosion").
    const route = content ? '/content/' : knownPaths.has(path) ? path : 'unmatched';
    res.on('finish', () => {
      counts.add(route, res.statusCode);
      // Probes arrive every few seconds from the kubelet; logging them would bury everything else.
      if (!probePaths.has(path)) log.info('request', { method: req.method, path, status: res.statusCode });
    });

    try {
      const handler = routes[`${req.method} ${path}`];
      if (handler) await handler(req, res);
      else if (content && req.method === 'GET') await serveContent(config.contentDir, path.slice('/content/'.length), res);
      else if (knownPaths.has(path) || content) sendText(res, 405, `method ${req.method} not allowed on ${path}\n`);
      else sendText(res, 404, 'not found\n');
    } catch (error) {
      log.error('request failed', { path, error });
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    }
  });
}
