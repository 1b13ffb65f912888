// npm start — builds the site and serves it on 127.0.0.1 (PORT, default 4000). When the current
// kube context is a workshop cluster, the pages switch to live mode (see live-api.ts).
//
// Each server builds into a directory of its own and serves only that: `npm run site:build` or a
// second `npm start` never changes or removes a file a running server is serving. The port is
// taken first, so a second `npm start` on a taken port stops before it builds anything.
import type { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { guardedKubeConfig } from '../kind/client-node-config.ts';
import { buildSite } from './build.ts';
import { liveApi, STREAM_LIMITS } from './live-api.ts';
import type { StreamLimits } from './lesson-watch.ts';

export class PortTaken extends Error {}

/** No route takes a request body; a button press has none. */
const BODY_LIMIT = 1024;

/** Serves the site; with a KubeConfig (one that passed the context guard) also live mode. */
export async function startServer(port: number, kc?: KubeConfig, options: { streams?: StreamLimits } = {}) {
  const app = express();
  app.disable('x-powered-by');
  let hosts: string[] = [];
  // Only its own Host, on every route: a page on another site that makes its name resolve to
  // 127.0.0.1 (DNS rebinding) sends its own name, and reads nothing, not even a GET.
  app.use((req, res, next) => {
    if (hosts.includes(req.get('host') ?? '')) return next();
    res.status(421).type('text').send(`this server answers only as ${hosts.join(' or ')}, not as "${req.get('host') ?? ''}"\n`);
  });
  // A body over the limit is refused from its headers and never read: the connection is dropped
  // as soon as the answer is out. Chunked bodies (no length given) are refused the same way.
  app.use((req, res, next) => {
    if (Number(req.get('content-length') ?? 0) <= BODY_LIMIT && !req.get('transfer-encoding')) return next();
    res.on('finish', () => req.socket.destroy());
    res.status(413).set('Connection', 'close').type('text').send(`request bodies are limited to ${BODY_LIMIT} bytes\n`);
  });
  // node:http rather than app.listen: Express 5 hands a listen error to the "listening" callback,
  // which then found no address (the old "Cannot read properties of null (reading 'port')").
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
      ? new PortTaken(`port ${port} on 127.0.0.1 is taken (another npm start?): stop that server, or start this one with PORT=<another port>`)
      : error));
    server.listen(port, '127.0.0.1', resolve);
  });
  const root = await mkdtemp(join(tmpdir(), 'workshop-site-'));
  await buildSite(root).catch(async (error) => {
    server.close();
    await rm(root, { recursive: true, force: true });
    throw error;
  });
  // Routes are added once the port is known (PORT=0 picks a free one): the live API accepts
  // button presses only from pages with this exact origin.
  const actual = (server.address() as { port: number }).port;
  hosts = [`127.0.0.1:${actual}`, `localhost:${actual}`];
  const live = liveApi(kc, hosts.map((h) => `http://${h}`), options.streams ?? STREAM_LIMITS);
  app.use('/api', live.router);
  // Browsers ask for /favicon.ico whatever the page links: answer with the site's own icon.
  app.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(join(root, 'assets', 'favicon.svg')));
  // express.static refuses paths that climb out of the site (../), encoded or not.
  app.use(express.static(root, { dotfiles: 'deny' }));
  app.use((_req, res) => res.status(404).type('text').send('not found'));
  return {
    port: actual,
    /** Open cluster-panel streams and the watches they share against the API server. */
    stats: live.stats,
    async close() {
      server.closeAllConnections(); // open event streams would otherwise keep it up
      await new Promise((r) => server.close(r));
      await live.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 4000);
  // Live mode only for the workshop's own contexts; anything else stays a static site.
  let kc;
  let liveOff = '';
  try {
    kc = guardedKubeConfig();
  } catch (error) {
    liveOff = `live mode off: ${(error as Error).message}`;
  }
  const server = await startServer(port, kc).catch((error) => {
    if (!(error instanceof PortTaken)) throw error;
    console.error(error.message); // one line, nothing else: the port is the whole story
    process.exit(1);
  });
  if (liveOff) console.error(liveOff);
  console.log(`workshop site on http://127.0.0.1:${server.port}/`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
}
