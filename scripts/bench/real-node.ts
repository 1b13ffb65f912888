// The real node: seconds from nothing running (binaries and images cached) to a Ready node,
// create → Running for pods of the workshop image one at a time, and what the node's programs
// weigh. Each run starts a fresh control plane with its node in a temporary directory and removes it.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveBinaries } from '../../kind/binaries.ts';
import { WORKSHOP_IMAGE } from '../../kind/kind.ts';
import { down, kubeConfigFor, localCluster, processes, up } from '../../kind/local.ts';
import { NODE_NAME } from '../../kind/real-node/network.ts';
import { buildNodeImages } from '../../kind/images/index.ts';
import { median, percentile, round } from './stats.ts';

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '3' }, pods: { type: 'string', default: '20' } } });
  const runs = Number(values.runs);
  const pods = Number(values.pods);
  // Builds, if any are needed, are not part of the measurement.
  await resolveBinaries(console.error, { node: true });
  await buildNodeImages(() => {});

  const toUp: number[] = [];
  const toNode: number[] = [];
  const toRunning: number[] = [];
  let rss: Record<string, number> = {};
  for (let i = 1; i <= runs; i++) {
    const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-')));
    const start = performance.now();
    try {
      // up() says how long the node took from its first program (containerd) to Ready.
      let nodeSeconds = NaN;
      await up(cluster, { realNode: true, log: (line) => { nodeSeconds = Number(/Ready \(([\d.]+) s after containerd/.exec(line)?.[1] ?? nodeSeconds); } });
      toUp.push((performance.now() - start) / 1000);
      toNode.push(nodeSeconds);
      const kc = kubeConfigFor(cluster);
      for (let p = 0; p < pods; p++) toRunning.push(await podRunning(kc, `bench-${p}`));
      rss = await residentMb(await processes(cluster));
    } finally {
      await down(cluster, () => {});
    }
    console.error(`run ${i}/${runs}: up in ${round(toUp.at(-1)!)} s (node Ready ${toNode.at(-1)} s after containerd started); ` +
      `pod Running p50 ${round(median(toRunning.slice(-pods)))} s`);
  }
  return {
    runs,
    pods_per_run: pods,
    node_ready_median_s: round(median(toNode)),
    up_with_control_plane_median_s: round(median(toUp)),
    pod_running_p50_s: round(median(toRunning)),
    pod_running_p95_s: round(percentile(toRunning, 0.95)),
    rss_mb: rss,
    goal_node_ready_s: 10,
    goal_pod_running_p50_s: 3,
  };
}

/** Seconds from creating a pod to its phase Running, polled every 20 ms. */
async function podRunning(kc: KubeConfig, name: string): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const start = performance.now();
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name },
      spec: { containers: [{ name: 'app', image: WORKSHOP_IMAGE, imagePullPolicy: 'Never' }] },
    },
  });
  for (;;) {
    const pod = await core.readNamespacedPod({ name, namespace: 'default' });
    if (pod.status?.phase === 'Running') {
      if (pod.spec?.nodeName !== NODE_NAME) throw new Error(`pod ${name} ran on ${pod.spec?.nodeName}, not on the real node`);
      return (performance.now() - start) / 1000;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resident memory of the node's programs (containerd without its shims), in MB. */
async function residentMb(pids: Record<string, number>): Promise<Record<string, number>> {
  const rss: Record<string, number> = {};
  for (const name of ['kubelet', 'containerd', 'kube-proxy', 'coredns']) {
    const status = await readFile(`/proc/${pids[name]}/status`, 'utf8');
    rss[name] = round(Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024, 1);
  }
  return rss;
}
