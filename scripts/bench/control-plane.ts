// From nothing running (binaries cached) to a Ready node, and to a 3-replica Deployment
// available. Each run starts a fresh control plane in a temporary directory and removes it.
import { AppsV1Api } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveBinaries } from '../../kind/binaries.ts';
import { down, kubeConfigFor, localCluster, up } from '../../kind/local.ts';
import { median, round } from './stats.ts';

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  await resolveBinaries(); // a build, if one is needed, is not part of the measurement

  const toReady: number[] = [];
  const toDeployment: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-')));
    const start = performance.now();
    try {
      await up(cluster, { log: () => {} });
      toReady.push((performance.now() - start) / 1000);
      await deployThree(cluster);
      toDeployment.push((performance.now() - start) / 1000);
    } finally {
      await down(cluster, () => {});
    }
    console.error(`run ${i}/${runs}: nodes Ready after ${round(toReady.at(-1)!)} s, deployment available after ${round(toDeployment.at(-1)!)} s`);
  }
  return {
    runs,
    ready_node_median_s: round(median(toReady)),
    deployment_available_median_s: round(median(toDeployment)),
    ready_node_max_s: round(Math.max(...toReady)),
    goal_ready_node_s: 10,
  };
}

async function deployThree(cluster: ReturnType<typeof localCluster>): Promise<void> {
  const apps = kubeConfigFor(cluster).makeApiClient(AppsV1Api);
  const labels = { app: 'bench' };
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'bench' },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'bench:v1' }] } },
      },
    },
  });
  for (;;) {
    const d = await apps.readNamespacedDeployment({ name: 'bench', namespace: 'default' });
    if (d.status?.availableReplicas === 3) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
