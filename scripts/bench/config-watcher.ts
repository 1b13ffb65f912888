// How fast the ConfigWatcher operator turns a ConfigMap change into a rollout restart. Starts a
// fresh local control plane in a temporary directory, runs the operator in this process, then
// changes the ConfigMap N times, one after the other, and times each change from just before the
// ConfigMap write to the moment a watch on the Deployment shows the new template annotation.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, Watch, type V1Deployment } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configHash, GROUP, hashAnnotation, PLURAL, VERSION, type ConfigWatcher } from '../../operator/config-watcher/config-watcher.ts';
import { configWatcher, deployment } from '../../operator/config-watcher/testing/fixtures.ts';
import { installCrd } from '../../operator/config-watcher/install-crd.ts';
import { configWatcherOperator } from '../../operator/config-watcher/operator.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { resolveBinaries } from '../../kind/binaries.ts';
import { down, kubeConfigFor, localCluster, up } from '../../kind/local.ts';
import { latencyFigures, round, timeChanges } from './stats.ts';

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { changes: { type: 'string', default: '200' } } });
  const changes = Number(values.changes);
  await resolveBinaries(); // a build, if one is needed, is not part of the measurement

  const cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-bench-')));
  try {
    await up(cluster, { log: () => {} });
    const kc = kubeConfigFor(cluster);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const client = new KubeClient(kc);
    await installCrd(client);
    const namespace = 'bench';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', { app: 'web' }, 1) });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'web' }, data: { v: '0' } } });
    const watcher = configWatcher('web', 'web', { app: 'web' });
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, body: watcher });

    const { manager } = configWatcherOperator({ client, namespace, log: () => {} });
    await manager.start();
    await manager.leading;
    try {
      // Settled: the operator has recorded the first hash, so the next change is a real change.
      while ((await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name: 'web' }) as ConfigWatcher).status?.configHash !== configHash({ v: '0' }, undefined)) {
        await new Promise((r) => setTimeout(r, 50));
      }

      // One watch on the Deployment for the whole run; each change waits for its hash to appear.
      let waiting: { hash: string; seen: () => void } | undefined;
      const watch = await new Watch(kc).watch(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        {},
        (_phase: string, d: V1Deployment) => {
          if (waiting && d.spec?.template.metadata?.annotations?.[hashAnnotation(watcher)] === waiting.hash) waiting.seen();
        },
        () => {},
      );
      const latencies = await timeChanges(changes, async (i) => {
        const hash = configHash({ v: String(i) }, undefined);
        const seen = new Promise<void>((resolve) => (waiting = { hash, seen: resolve }));
        await core.patchNamespacedConfigMap({ name: 'web', namespace, body: [{ op: 'replace', path: '/data/v', value: String(i) }] });
        await seen;
      });
      watch.abort();
      return {
        changes,
        ...latencyFigures('restart_latency', latencies),
        // The whole benchmark process, operator included: an upper bound for the operator alone.
        peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
        goal_p50_ms: 100,
      };
    } finally {
      await manager.stop();
    }
  } finally {
    await down(cluster, () => {});
  }
}
