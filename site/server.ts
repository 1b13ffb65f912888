// npm start — builds the site and serves it on 127.0.0.1 (PORT, default 4000). When the current
// kube context is a workshop cluster, the pages switch to live mode (see live-api.ts).
import express from 'express';
import { guardedKubeConfig } from '../scripts/cluster/context-guard.ts';
import { buildSite, distDir } from './build.ts';
import { liveApi } from './live-api.ts';

export async function startServer(port: number) {
  await buildSite();
  // Live mode only for the workshop's own contexts; anything else stays a static site.
  let kc;
  try {
    kc = guardedKubeConfig();
  } catch (error) {
    console.error(`live mode off: ${(error as Error).message}`);
  }
  const app = express();
  app.disable('x-powered-by');
  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  const live = liveApi(kc, origins);
  app.use('/api', live.router);
  // express.static refuses paths that climb out of dist (../), encoded or not.
  app.use(express.static(distDir, { dotfiles: 'deny', fallthrough: true }));
  app.use((_req, res) => res.status(404).type('text').send('not found'));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      server.closeAllConnections(); // open event streams would otherwise keep it up
      await new Promise((r) => server.close(r));
      await live.close();
    },
  };
}

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 4000);
  const server = await startServer(port);
  console.log(`workshop site on http://127.0.0.1:${server.port}/`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close().then(() => process.exit(0)));
}
