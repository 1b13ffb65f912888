// The manifests on the real control plane. rbac.yaml must be enough for the operator's whole job
// and no more: the operator runs here with nothing but the ServiceAccount's token. deployment.yaml
// must pass the restricted Pod Security admission. Both are applied into this test's namespace,
// in place of config-watcher, so test runs never collide.
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type KubernetesObject,
  type V1ClusterRoleBinding,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { testClient, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { apply } from '../runtime/apply.ts';
import { KubeClient } from '../runtime/kube-client.ts';
import { configHash, GROUP, PLURAL, VERSION, type ConfigWatcher } from './config-watcher.ts';
import { configWatcher, deployment } from './testing/fixtures.ts';
import { installCrd } from './install-crd.ts';
import { configWatcherOperator } from './operator.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const client = testClient(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;
let clusterWide = '';

beforeAll(async () => {
  await installCrd(client);
  ns = await testNamespace(kc, 'manifests');
  clusterWide = `config-watcher-${ns.name}`;
});
afterAll(async () => {
  await rbac.deleteClusterRoleBinding({ name: clusterWide }).catch(() => {});
  await rbac.deleteClusterRole({ name: clusterWide }).catch(() => {});
  await ns.remove();
});

/** The manifest's objects, moved into the test namespace (and cluster-wide names made unique). */
async function manifest(file: string): Promise<KubernetesObject[]> {
  const docs = loadAll(await readFile(new URL(`./manifests/${file}`, import.meta.url), 'utf8')).map((d) => d as KubernetesObject);
  return docs
    .filter((d) => d.kind !== 'Namespace')
    .map((d) => {
      if (d.metadata?.namespace) d.metadata.namespace = ns.name;
      if (d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding') d.metadata!.name = clusterWide;
      if (d.kind === 'ClusterRoleBinding') (d as V1ClusterRoleBinding).roleRef.name = clusterWide;
      for (const subject of (d as V1RoleBinding).subjects ?? []) subject.namespace = ns.name;
      return d;
    });
}

describe('manifests', () => {
  it('rbac.yaml gives the operator exactly what it needs', async () => {
    for (const object of await manifest('rbac.yaml')) await apply(client, object, 'manifests-test');
    const { status } = await core.createNamespacedServiceAccountToken({
      name: 'config-watcher',
      namespace: ns.name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const asOperator = new KubeConfig();
    asOperator.loadFromClusterAndUser(kc.getCurrentCluster()!, { name: 'config-watcher', token: status!.token });

    // Everything the operator does, done with its token: finalizer, status, rollout, Event, lease, cleanup.
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment('web', labels) });
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'web' }, data: { v: '1' } } });
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, body: configWatcher('web', 'web', labels) });
    const read = () => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'web' }) as Promise<ConfigWatcher>;
    const errors: string[] = [];
    const { manager } = configWatcherOperator({
      client: new KubeClient(asOperator),
      namespace: ns.name,
      leaderElection: { namespace: ns.name, name: 'config-watcher', identity: 'test', leaseDurationSeconds: 5, retryMs: 500 },
      log: (line) => errors.push(line),
    });
    await manager.start();
    expect(await manager.leading).toBe(true);
    try {
      await waitFor('the first status', async () => ((await read()).status?.configHash === configHash({ v: '1' }, undefined) ? true : undefined));
      await core.patchNamespacedConfigMap({ name: 'web', namespace: ns.name, body: [{ op: 'replace', path: '/data/v', value: '2' }] });
      await waitFor('the rollout restart', async () => ((await read()).status?.configHash === configHash({ v: '2' }, undefined) ? true : undefined));
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'web' });
      await waitFor('the ConfigWatcher to be finalized', () => read().then(() => undefined, () => true));
    } finally {
      await manager.stop();
    }
    expect(errors.filter((l) => /403|forbidden/i.test(l))).toEqual([]);

    // And no more than that: the same token may not delete a ConfigMap or read a Secret.
    const operatorCore = asOperator.makeApiClient(CoreV1Api);
    const refused = (call: Promise<unknown>) => call.then(() => 'allowed', (e: { code?: number }) => e.code);
    expect(await refused(operatorCore.deleteNamespacedConfigMap({ name: 'web', namespace: ns.name }))).toBe(403);
    expect(await refused(operatorCore.listNamespacedSecret({ namespace: ns.name }))).toBe(403);
  });

  it('deployment.yaml runs under the restricted Pod Security Standard', async () => {
    for (const object of await manifest('deployment.yaml')) await apply(client, object, 'manifests-test');
    // kwok plays the kubelet: the pods exist only if admission accepted them.
    const pods = await waitFor('two operator pods', async () => {
      const items = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=config-watcher' })).items;
      return items.length === 2 ? items : undefined;
    });
    expect(pods[0].spec?.containers[0].command).toEqual(['node', 'operator/config-watcher/main.ts']);
    await apps.deleteNamespacedDeployment({ name: 'config-watcher', namespace: ns.name });
  });
});
