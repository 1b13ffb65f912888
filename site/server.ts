// npm start — builds the site and serves it on 127.0.0.1 (PORT, default 4000). When the current
// kube context is a workshop cluster, the pages switch to live mode (see live-api.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import express from 'express';
import { guardedKubeConfig } from '../scripts/cluster/context-guard.ts';
import { buildSite, distDir } from './build.ts';
import { liveApi } from './live-api.ts';

/** Serves the site; with a KubeConfig (one that passed the context guard) also live mode. */
export async function startServer(port: number, kc?: KubeConfig) {
  await buildSite();
  const app = express();
  app.disable('x-powered-by');
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  // Routes are added once the port is known (PORT=0 picks a free one): the live API accepts
  // button presses only from pages with this exact origin.
  const actual = (server.address() as { port: number }).port;
  const live = liveApi(kc, [`http://127.0.0.1:${actual}`, `http://localhost:${actual}`]);
  app.use('/api', live.router);
  // express.static refuses paths that climb out of dist (../), encoded or not.
  // Browsers ask for /favicon.ico whatever the page links: answer with the site's own icon.
  app.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(join(distDir, 'assets', 'favicon.svg')));
  app.use(express.static(distDir, { dotfiles: 'deny' }));
  app.use((_req, res) => res.status(404).type('text').send('not found'));
  return {
    port: actual,
    async close() {
      server.closeAllConnections(); // open event streams would otherwise keep it up
      await new Promise((r) => server.close(r));
      await live.close();
    },
  };
}

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 4000);
  // Live mode only for the workshop's own contexts; anything else stays a static site.
  let kc;
  try {
    kc = guardedKubeConfig();
  } catch (error) {
    console.error(`live mode off: ${(error as Error).message}`);
  }
  const server = await startServer(port, kc);
  console.log(`workshop site on http://127.0.0.1:${server.port}/`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
}
