// The ConfigWatcher operator on the real local control plane: the CRD, the reconciler and the
// runtime together. Each test builds its own Deployment, ConfigMap and ConfigWatcher.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { configHash, FINALIZER, GROUP, hashAnnotation, PLURAL, VERSION, type ConfigWatcher } from './config-watcher.ts';
import { configWatcher, CountingKubeClient, deployment } from './testing/fixtures.ts';
import { installCrd } from './install-crd.ts';
import { configWatcherOperator, type ConfigWatcherOptions } from './operator.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
let ns: Awaited<ReturnType<typeof testNamespace>>;

beforeAll(async () => {
  await installCrd(client);
  ns = await testNamespace(kc, 'config-watcher');
});
afterAll(() => ns.remove());

/** Runs the operator on this test's namespace until the returned stop() is called. */
async function startOperator(options: Partial<ConfigWatcherOptions> = {}) {
  const operator = configWatcherOperator({ client, namespace: ns.name, informerBackoffMs: 50, log: () => {}, ...options });
  await operator.manager.start();
  await operator.manager.leading;
  return operator;
}

/** Deployment, ConfigMap and ConfigWatcher named after the test, with data v=1. */
async function scenario(name: string) {
  const labels = { app: name };
  await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment(name, labels) });
  await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name }, data: { v: '1' } } });
  await createWatcher(configWatcher(name, name, labels));
  return {
    setData: (v: string) => core.patchNamespacedConfigMap({ name, namespace: ns.name, body: [{ op: 'replace', path: '/data/v', value: v }] }),
    watcher: () => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name }) as Promise<ConfigWatcher>,
    deployment: () => apps.readNamespacedDeployment({ name, namespace: ns.name }),
    annotation: (d: V1Deployment) => d.spec?.template.metadata?.annotations?.[`config-watcher.k8spatterns.com/${name}`],
    remove: () => custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name }),
  };
}

function createWatcher(body: ConfigWatcher) {
  return custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, body });
}

const hashOf = (v: string) => configHash({ v }, undefined);

async function readyWatcher(s: Awaited<ReturnType<typeof scenario>>, hash: string) {
  return waitFor(`the ConfigWatcher to be Ready at ${hash.slice(0, 12)}`, async () => {
    const w = await s.watcher();
    const ready = w.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'True' && w.status?.configHash === hash ? w : undefined;
  });
}

describe('ConfigWatcher', () => {
  it('rolls the selected Deployment when the data changes, reports Ready and records an Event', async () => {
    const s = await scenario('happy');
    const operator = await startOperator();
    try {
      // First sight: the hash is recorded, nothing is restarted.
      const settled = await readyWatcher(s, hashOf('1'));
      expect(settled.metadata?.finalizers).toEqual([FINALIZER]);
      expect(settled.status?.observedGeneration).toBe(settled.metadata?.generation);
      expect(s.annotation(await s.deployment())).toBeUndefined();

      await s.setData('2');
      await waitFor('the rollout restart', async () => (s.annotation(await s.deployment()) === hashOf('2') ? true : undefined));
      await readyWatcher(s, hashOf('2'));
      // The pods really are replaced: every running pod now carries the new template.
      await waitFor('pods with the new template', async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=happy' })).items;
        const fresh = pods.filter((p) => p.metadata?.annotations?.[hashAnnotation(settled)] === hashOf('2') && !p.metadata?.deletionTimestamp);
        return fresh.length === 2 && pods.length === 2 ? true : undefined;
      });
      const events = (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=happy,reason=RolloutRestarted' })).items;
      expect(events.map((e) => [e.type, e.involvedObject.kind, e.message])).toEqual([
        ['Normal', 'ConfigWatcher', 'ConfigMap happy changed: restarted Deployment happy'],
      ]);
    } finally {
      await s.remove();
      await waitFor('the ConfigWatcher to be finalized', () => s.watcher().then(() => undefined, () => true));
      await operator.manager.stop();
    }
  });

  it('a change costs exactly three writes; a restart or a resync of a settled one costs none', async () => {
    const s = await scenario('quiet');
    const counting = new CountingKubeClient(kc);
    const writesSince = (mark: number) => counting.writes.slice(mark).map((w) => w.replace(`/namespaces/${ns.name}/`, '/namespaces/NS/'));
    const first = await startOperator({ client: counting });
    try {
      await readyWatcher(s, hashOf('1'));
      expect(writesSince(0)).toEqual([
        'PATCH /apis/k8spatterns.com/v1/namespaces/NS/configwatchers/quiet', // the finalizer
        'PUT /apis/k8spatterns.com/v1/namespaces/NS/configwatchers/quiet/status', // the first hash, Ready
      ]);

      const settled = counting.writes.length;
      await s.setData('2');
      await readyWatcher(s, hashOf('2'));
      await waitFor('the Event', async () => (counting.writes.length === settled + 3 ? true : undefined));
      expect(writesSince(settled)).toEqual([
        'PATCH /apis/apps/v1/namespaces/NS/deployments/quiet', // the rollout restart (server-side apply)
        'PUT /apis/k8spatterns.com/v1/namespaces/NS/configwatchers/quiet/status', // the new hash
        'POST /api/v1/namespaces/NS/events', // RolloutRestarted
      ]);
    } finally {
      await first.manager.stop();
    }

    // A fresh process reconciles everything once, then again on every resync (here every 100 ms).
    const quiet = counting.writes.length;
    const second = await startOperator({ client: counting, resyncMs: 100 });
    try {
      await waitFor('six reconciles: the initial one and five resyncs', async () =>
        second.metrics.total('config-watcher', 'success') >= 6 ? true : undefined);
      expect(writesSince(quiet)).toEqual([]);
    } finally {
      await s.remove();
      await waitFor('the ConfigWatcher to be finalized', () => s.watcher().then(() => undefined, () => true));
      await second.manager.stop();
    }
  });

  it('applies a change made while the operator was stopped once it runs again', async () => {
    const s = await scenario('offline');
    const first = await startOperator();
    await readyWatcher(s, hashOf('1'));
    await first.manager.stop();

    await s.setData('2'); // nobody is watching

    const second = await startOperator();
    try {
      await waitFor('the rollout restart', async () => (s.annotation(await s.deployment()) === hashOf('2') ? true : undefined));
      await readyWatcher(s, hashOf('2'));
    } finally {
      await s.remove();
      await waitFor('the ConfigWatcher to be finalized', () => s.watcher().then(() => undefined, () => true));
      await second.manager.stop();
    }
  });

  it('reports a missing ConfigMap, then recovers when it appears', async () => {
    await createWatcher(configWatcher('missing', 'not-yet', { app: 'missing' }));
    const operator = await startOperator();
    const read = () => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'missing' }) as Promise<ConfigWatcher>;
    try {
      const missing = await waitFor('Ready=False', async () => {
        const ready = (await read()).status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'False' ? ready : undefined;
      });
      expect(missing.reason).toBe('ConfigMapMissing');
      const warnings = (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=missing,type=Warning' })).items;
      expect(warnings.map((e) => e.reason)).toEqual(['ConfigMapMissing']);

      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'not-yet' }, data: { v: '1' } } });
      await waitFor('Ready=True', async () => ((await read()).status?.conditions?.[0]?.status === 'True' ? true : undefined));
    } finally {
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'missing' });
      await waitFor('the ConfigWatcher to be finalized', () => read().then(() => undefined, () => true));
      await operator.manager.stop();
    }
  });

  it('on deletion, removes its annotation from the Deployment before the finalizer lets go', async () => {
    const s = await scenario('cleanup');
    const operator = await startOperator();
    try {
      await readyWatcher(s, hashOf('1'));
      await s.setData('2');
      await waitFor('the rollout restart', async () => (s.annotation(await s.deployment()) === hashOf('2') ? true : undefined));
      await s.remove();
      await waitFor('the ConfigWatcher to be gone', () => s.watcher().then(() => undefined, () => true));
      expect(s.annotation(await s.deployment())).toBeUndefined();
    } finally {
      await operator.manager.stop();
    }
  });

  it('with two replicas, one leads and the other takes over when it stops', async () => {
    const s = await scenario('ha');
    const leaderElection = (identity: string) => ({ namespace: ns.name, name: 'config-watcher', identity, leaseDurationSeconds: 2, retryMs: 200 });
    const a = configWatcherOperator({ client, namespace: ns.name, log: () => {}, leaderElection: leaderElection('a') });
    const b = configWatcherOperator({ client, namespace: ns.name, log: () => {}, leaderElection: leaderElection('b') });
    await a.manager.start();
    await a.manager.leading;
    await b.manager.start(); // b's caches fill, but it waits for the lease
    try {
      await readyWatcher(s, hashOf('1'));
      expect([a.manager.isLeader, b.manager.isLeader]).toEqual([true, false]);
      expect(b.metrics.total('config-watcher', 'success')).toBe(0); // the standby does no work

      await a.manager.stop(); // drains, then releases the lease
      expect(await b.manager.leading).toBe(true);
      await s.setData('2');
      await waitFor('the rollout restart by b', async () => (s.annotation(await s.deployment()) === hashOf('2') ? true : undefined));
    } finally {
      await s.remove();
      await waitFor('the ConfigWatcher to be finalized', () => s.watcher().then(() => undefined, () => true));
      await a.manager.stop();
      await b.manager.stop();
    }
  });

  it('the API server refuses an invalid ConfigWatcher, saying why', async () => {
    const rejection = (body: ConfigWatcher) => createWatcher(body).then(() => 'accepted', (e: { body?: string }) => JSON.parse(e.body ?? '{}').message as string);
    expect(await rejection(configWatcher('bad-name', 'Not_A_Name', { app: 'x' }))).toContain(
      "spec.configMap must be a ConfigMap name (a DNS-1123 subdomain)",
    );
    expect(await rejection(configWatcher('empty-selector', 'ok', {}))).toContain(
      'spec.podSelector must name at least one label; an empty selector would restart every pod in the namespace',
    );
    const noSelector = configWatcher('no-selector', 'ok', {}) as unknown as { spec: Record<string, unknown> };
    delete noSelector.spec.podSelector;
    expect(await rejection(noSelector as unknown as ConfigWatcher)).toContain('spec.podSelector: Required value');
    expect(await rejection(configWatcher('x'.repeat(64), 'ok', { app: 'x' }))).toContain('must be at most 63 characters');
  });
});
