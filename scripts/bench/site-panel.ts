// How fast a change in the cluster reaches the site's cluster panel (goal: within 300 ms). Starts
// a fresh local control plane and the site server in this process, opens the panel's event stream
// for the declarative-deployment lesson as a page would, then scales a Deployment N times, one
// after the other, and times each change from just before the scale request to the first snapshot
// whose Deployment row shows the new desired count.
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lessons } from '../../patterns/catalog.ts';
import type { Snapshot } from '../../site/lesson-watch.ts';
import { startServer } from '../../site/server.ts';
import { resolveBinaries } from '../../kind/binaries.ts';
import { down, kubeConfigFor, localCluster, up } from '../../kind/local.ts';
import { latencyFigures, timeChanges } from './stats.ts';

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { changes: { type: 'string', default: '50' } } });
  const changes = Number(values.changes);
  await resolveBinaries(); // a build, if one is needed, is not part of the measurement
  const lesson = lessons[0];

  const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-')));
  try {
    await up(cluster, { log: () => {} });
    const kc = kubeConfigFor(cluster);
    const namespace = lesson.id;
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: 'bench' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'bench' },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'bench.invalid/app:1' }] } } },
      },
    });
    const server = await startServer(0, kc);
    try {
      // The page's side: every snapshot, parsed, tells whoever waits for a desired count.
      let waiting: { desired: number; seen: () => void } | undefined;
      const stream = request({ host: '127.0.0.1', port: server.port, path: `/api/lessons/${lesson.id}/events` }, (res) => {
        let buffered = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          buffered += chunk;
          const messages = buffered.split('\n\n');
          buffered = messages.pop()!;
          for (const message of messages.filter((m) => m.startsWith('data: '))) {
            const snapshot = JSON.parse(message.slice(6)) as Snapshot;
            const row = snapshot.rows.find((r) => r.kind === 'Deployment' && r.name === 'bench');
            if (waiting && row?.state.includes(`/${waiting.desired} ready`)) waiting.seen();
          }
        });
      });
      stream.end();
      const latencies = await timeChanges(changes, async (i) => {
        const desired = i % 2 ? 2 : 1;
        const seen = new Promise<void>((resolve) => (waiting = { desired, seen: resolve }));
        await apps.patchNamespacedDeploymentScale({ name: 'bench', namespace, body: { spec: { replicas: desired } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        await seen;
      });
      stream.destroy();
      return {
        changes,
        ...latencyFigures('panel_latency', latencies),
        goal_max_ms: 300,
      };
    } finally {
      await server.close();
    }
  } finally {
    await down(cluster, () => {});
  }
}
