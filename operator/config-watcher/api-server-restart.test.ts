// The API server dies and comes back while the operator runs: its watches break, its requests
// are refused, and it must recover on its own (relist or resume) and act on the next change.
// This test kills a kube-apiserver, so it starts a control plane of its own: the shared one
// serves the other test files meanwhile.
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { down, kubeConfigFor, localCluster, up } from '../../kind/local.ts';
import { restartApiServer } from '../../test/restart-api-server.ts';
import { testClient, testNamespace, waitFor } from '../../test/cluster.ts';
import { configHash, GROUP, PLURAL, VERSION, type ConfigWatcher } from './config-watcher.ts';
import { configWatcher, deployment } from './testing/fixtures.ts';
import { installCrd } from './install-crd.ts';
import { configWatcherOperator } from './operator.ts';

let cluster: ReturnType<typeof localCluster>;
beforeAll(async () => {
  cluster = localCluster(await mkdtemp(join(tmpdir(), 'k8s-patterns-restart-')));
  try {
    await up(cluster, { log: () => {} });
  } catch (error) {
    await down(cluster, () => {});
    throw error;
  }
});
afterAll(() => down(cluster, () => {}));

it('recovers from a killed and restarted kube-apiserver, and acts on the next change', async () => {
  const kc = kubeConfigFor(cluster);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const client = testClient(kc);
  await installCrd(client);
  const ns = await testNamespace(kc, 'restart');
  const labels = { app: 'web' };
  await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment('web', labels) });
  await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'web' }, data: { v: '1' } } });
  await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, body: configWatcher('web', 'web', labels) });
  const readWatcher = () => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'web' }) as Promise<ConfigWatcher>;
  const annotation = async () => (await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })).spec?.template.metadata?.annotations?.['config-watcher.k8spatterns.com/web'];

  const lines: string[] = [];
  const { manager, caches } = configWatcherOperator({ client, namespace: ns.name, informerBackoffMs: 100, log: (l) => lines.push(l) });
  await manager.start();
  await manager.leading;
  try {
    await waitFor('the first status', async () => ((await readWatcher()).status?.configHash === configHash({ v: '1' }, undefined) ? true : undefined));

    await restartApiServer(cluster);
    expect(lines.some((l) => l.includes('retrying in'))).toBe(true); // the informers saw the outage

    await core.patchNamespacedConfigMap({ name: 'web', namespace: ns.name, body: [{ op: 'replace', path: '/data/v', value: '2' }] });
    await waitFor('the rollout restart after the outage', async () => ((await annotation()) === configHash({ v: '2' }, undefined) ? true : undefined), 90_000);
    await waitFor('the status after the outage', async () => ((await readWatcher()).status?.configHash === configHash({ v: '2' }, undefined) ? true : undefined));
    expect(caches.configMaps.get(`${ns.name}/web`)?.data).toEqual({ v: '2' }); // the cache caught up too
  } finally {
    await manager.stop();
  }
});
