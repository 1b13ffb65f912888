// What happens to a ClowdApp and its ClowdEnvironment over time, on the real local control plane:
// environment set-up and status (§3), status and conditions (§11), generation stability (§0),
// repairs of hand edits, hashCache restarts (§7), disabling, pruning and deletion (§12).
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testKubeConfig, waitFor } from '../../test/cluster.ts';
import { CountingKubeClient } from '../config-watcher/testing/fixtures.ts';
import type { ClowdApp, ClowdEnvironment } from './api.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';

// The operator talks through a client that counts every request that is not a GET.
const kc = testKubeConfig();
const client = new CountingKubeClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const envName = `life-${randomBytes(3).toString('hex')}`;

const t = clowderTest('clowder-life', {
  setup: async () => {
    await t.createEnv(environment(envName));
  },
  operator: { client },
});
const { clowd } = t;

const readApp = (name: string) => clowd.readApp(t.ns.name, name);
const settled = (name: string) => waitFor(`${name} to reconcile`, reconciled(() => readApp(name))) as Promise<ClowdApp>;
const readyApp = (name: string) =>
  waitFor(`${name} to be ready`, async () => {
    const app = await readApp(name);
    return app.status?.ready && condition(app, 'DeploymentsReady')?.status === 'True' && app.status.generation === app.metadata?.generation ? app : undefined;
  });
const deployment = (name: string) => apps.readNamespacedDeployment({ name, namespace: t.ns.name });
const configOf = async (app: string) => (await core.readNamespacedSecret({ name: app, namespace: t.ns.name })).data!['cdappconfig.json'];

describe('§3 ClowdEnvironment', () => {
  it('generates its target namespace once, creates <env>-env there, and reports status', async () => {
    const env = (await waitFor('the env to reconcile', reconciled(() => clowd.readEnv(envName)))) as ClowdEnvironment;
    const tns = env.status!.targetNamespace!;
    expect(tns).toMatch(new RegExp(`^clowdenv-${envName}-[a-z0-9]{6}$`));
    await core.readNamespace({ name: tns });
    const sa = await core.readNamespacedServiceAccount({ name: `${envName}-env`, namespace: tns });
    expect(sa.metadata!.labels).toEqual({ app: envName });
    expect(env.metadata!.finalizers).toEqual(['finalizer.env.cloud.redhat.com']);
    expect(env.status).toMatchObject({
      ready: true,
      generation: env.metadata!.generation,
      deployments: { managedDeployments: 0, readyDeployments: 0, managedTopics: 0, readyTopics: 0 },
      prometheus: { serverAddress: `http://prometheus-operated.${tns}.svc.cluster.local:9090` },
    });
    expect(env.status!.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['DeploymentsReady', 'True', 'DeploymentsReady', 'All managed deployments ready'],
      ['ReconciliationFailed', 'False', 'ReconciliationNotComplete', ''],
      ['ReconciliationSuccessful', 'True', 'ReconciliationSucceeded', ''],
    ]);
  });

  it('lists its apps in status.apps, sorted, with hostname and port for public deployments', async () => {
    await clowd.createApp(clowdApp('zeta', t.ns.name, envName, [{ name: 'web', web: true }, { name: 'a' }]));
    await clowd.createApp(clowdApp('alpha', t.ns.name, envName, []));
    const env = await waitFor('status.apps', async () => {
      const e = await clowd.readEnv(envName);
      return e.status?.apps?.length === 2 ? e : undefined;
    });
    expect(env.status!.apps).toEqual([
      { name: 'alpha', deployments: [] },
      { name: 'zeta', deployments: [{ name: 'zeta-a' }, { name: 'zeta-web', hostname: `zeta-web.${t.ns.name}.svc`, port: 8000 }] },
    ]);
  });
});

describe('§11 ClowdApp status', () => {
  it('reports counts, ready, generation and the three conditions once its Deployments are available', async () => {
    await clowd.createApp(clowdApp('counted', t.ns.name, envName, [{ name: 'a' }, { name: 'b', replicas: 2 }]));
    const app = await readyApp('counted');
    expect(app.metadata!.finalizers).toEqual(['finalizer.app.cloud.redhat.com']);
    expect(app.status).toMatchObject({ ready: true, generation: 1, deployments: { managedDeployments: 2, readyDeployments: 2 } });
    expect(app.status!.conditions!.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['DeploymentsReady', 'True', 'DeploymentsReady', 'All managed deployments ready'],
      ['ReconciliationFailed', 'False', 'ReconciliationNotComplete', ''],
      ['ReconciliationSuccessful', 'True', 'ReconciliationSucceeded', ''],
    ]);
  });

  it('fails with the not-found message when its env does not exist, and retries', async () => {
    await clowd.createApp(clowdApp('orphan', t.ns.name, 'no-such-env', [{ name: 'a' }]));
    const app = await waitFor('ReconciliationFailed', async () => {
      const a = await readApp('orphan');
      return condition(a, 'ReconciliationFailed')?.status === 'True' ? a : undefined;
    });
    expect(condition(app, 'ReconciliationFailed')!.message).toBe('ClowdEnvironment.cloud.redhat.com "no-such-env" not found');
    expect(condition(app, 'ReconciliationSuccessful')).toMatchObject({ status: 'False', reason: 'ReconciliationNotComplete', message: '' });
    expect(app.status!.ready).toBe(false);
  });
});

describe('§0 generation stability', () => {
  it('a new Deployment stays at generation 1, and a resync of settled apps makes zero writes', async () => {
    await clowd.createApp(clowdApp('stable', t.ns.name, envName, [{ name: 'api', web: true, replicas: 2 }]));
    await readyApp('stable');
    const d = await deployment('stable-api');
    expect([d.metadata!.generation, d.status!.observedGeneration]).toEqual([1, 1]);
    // The env counts the app's Deployments a moment later (it waits for a burst of app events to end).
    await waitFor('the env to count stable ready', async () => {
      const { status } = await clowd.readEnv(envName);
      const counted = status?.apps?.some((a) => a.name === 'stable') && status.deployments?.readyDeployments === status.deployments?.managedDeployments;
      return counted ? true : undefined;
    });

    // Queue every env and app again, as the periodic resync does, and wait until each was
    // reconciled once more: nothing may have been written meanwhile.
    const writes = client.writes.length;
    const done = (name: string) => t.operator.metrics.total(name, 'success') + t.operator.metrics.total(name, 'error');
    const before = { env: done('clowdenvironment'), app: done('clowdapp') };
    const envs = t.operator.caches.envs.list();
    const allApps = t.operator.caches.apps.list();
    for (const e of envs) t.operator.controllers.env.queue.add(e.metadata!.name!);
    for (const a of allApps) t.operator.controllers.app.queue.add(`${a.metadata!.namespace}/${a.metadata!.name}`);
    await waitFor('the resync to finish', async () =>
      done('clowdenvironment') >= before.env + envs.length && done('clowdapp') >= before.app + allApps.length ? true : undefined);
    expect(client.writes.slice(writes)).toEqual([]);
    expect((await deployment('stable-api')).metadata!.generation).toBe(1);
  });
});

describe('§4.5 replicas under an autoscaler', () => {
  it('keeps a higher live value (the autoscaler\'s) but never goes below the minimum', async () => {
    await clowd.createApp(clowdApp('scaled', t.ns.name, envName, [{ name: 'a', replicas: 2, autoScalerSimple: { replicas: { min: 2, max: 6 } } }]));
    await settled('scaled');
    const scale = (replicas: number) => apps.patchNamespacedDeployment({ name: 'scaled-a', namespace: t.ns.name, body: [{ op: 'replace', path: '/spec/replicas', value: replicas }] });
    await scale(5);
    // The scale-up is a generation change, which reconciles the app: it must leave 5 alone.
    await waitFor('the edit in the cache', async () => (t.operator.caches.deployments.get(`${t.ns.name}/scaled-a`)?.spec?.replicas === 5 ? true : undefined));
    const done = t.operator.metrics.total('clowdapp', 'success');
    t.operator.controllers.app.queue.add(`${t.ns.name}/scaled`);
    await waitFor('a reconcile after the edit', async () => (t.operator.metrics.total('clowdapp', 'success') > done ? true : undefined));
    expect((await deployment('scaled-a')).spec!.replicas).toBe(5);
    await scale(1);
    await waitFor('the minimum restored', async () => ((await deployment('scaled-a')).spec!.replicas === 2 ? true : undefined));
  });
});

describe('§10 ClowdAppRef', () => {
  it('stands in for a remote app in the endpoints of the apps that depend on it', async () => {
    await testKubeConfig().makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'cloud.redhat.com', version: 'v1alpha1', plural: 'clowdapprefs', namespace: t.ns.name,
      body: { apiVersion: 'cloud.redhat.com/v1alpha1', kind: 'ClowdAppRef', metadata: { name: 'billing' }, spec: { envName, deployments: [{ name: 'api', hostname: 'billing.example.com', web: true }] } },
    });
    await clowd.createApp(clowdApp('payer', t.ns.name, envName, [{ name: 'a' }], { dependencies: ['billing'] }));
    await settled('payer');
    const config = JSON.parse(Buffer.from(await configOf('payer'), 'base64').toString());
    expect(config.endpoints).toEqual([{ apiPath: '/api/billing-api/', apiPaths: ['/api/billing-api/'], app: 'billing', h2cPort: 0, h2cTLSPort: 0, hostname: 'billing.example.com', name: 'api', port: 8000, tlsPort: 0 }]);
  });
});

describe('§12 repairs, pruning, disabling and deletion', () => {
  it('recreates an owned Deployment deleted by hand', async () => {
    await clowd.createApp(clowdApp('fault-del', t.ns.name, envName, [{ name: 'a' }]));
    await settled('fault-del');
    const uid = (await deployment('fault-del-a')).metadata!.uid;
    await apps.deleteNamespacedDeployment({ name: 'fault-del-a', namespace: t.ns.name });
    const again = await waitFor('the Deployment to come back', async () => {
      const d = await deployment('fault-del-a').catch(() => undefined);
      return d && d.metadata!.uid !== uid && !d.metadata!.deletionTimestamp ? d : undefined;
    });
    expect(again.spec!.template.metadata!.annotations!.configHash).toBeDefined();
  });

  it('restores the config Secret edited by hand, and replicas scaled by hand', async () => {
    await clowd.createApp(clowdApp('fault-edit', t.ns.name, envName, [{ name: 'a', replicas: 2 }]));
    await settled('fault-edit');
    const original = await configOf('fault-edit');
    await core.patchNamespacedSecret({ name: 'fault-edit', namespace: t.ns.name, body: [{ op: 'replace', path: '/data/cdappconfig.json', value: Buffer.from('{}').toString('base64') }] });
    await apps.patchNamespacedDeployment({ name: 'fault-edit-a', namespace: t.ns.name, body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] });
    await waitFor('the config to be restored', async () => ((await configOf('fault-edit')) === original ? true : undefined));
    await waitFor('replicas to be restored', async () => ((await deployment('fault-edit-a')).spec!.replicas === 2 ? true : undefined));
  });

  it('prunes the objects of a removed deployment', async () => {
    await clowd.createApp(clowdApp('prune', t.ns.name, envName, [{ name: 'keep' }, { name: 'drop' }]));
    await settled('prune');
    await clowd.patchApp(t.ns.name, 'prune', [{ op: 'replace', path: '/spec/deployments', value: [{ name: 'keep', podSpec: { image: 'quay.io/example/app:1' } }] }]);
    await waitFor('the dropped deployment\'s objects to go', async () => {
      const gone = await Promise.all([
        deployment('prune-drop').then(() => false, () => true),
        core.readNamespacedService({ name: 'prune-drop', namespace: t.ns.name }).then(() => false, () => true),
        core.readNamespacedServiceAccount({ name: 'prune-drop', namespace: t.ns.name }).then(() => false, () => true),
      ]);
      return gone.every(Boolean) ? true : undefined;
    });
    await deployment('prune-keep');
  });

  it('§7 rolls the Deployments when a referenced Secret marked qontract.recycle changes', async () => {
    await core.createNamespacedSecret({
      namespace: t.ns.name,
      body: { metadata: { name: 'creds', annotations: { 'qontract.recycle': 'true' } }, data: { token: Buffer.from('one').toString('base64') } },
    });
    await clowd.createApp(clowdApp('recycle', t.ns.name, envName, [{ name: 'a', podSpec: { env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }] } }]));
    await settled('recycle');
    const first = await deployment('recycle-a');
    const hashCacheOf = async () => JSON.parse(Buffer.from(await configOf('recycle'), 'base64').toString()).hashCache as string;
    const before = await hashCacheOf();
    expect(before.slice(0, 64)).not.toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    await core.patchNamespacedSecret({ name: 'creds', namespace: t.ns.name, body: [{ op: 'replace', path: '/data/token', value: Buffer.from('two').toString('base64') }] });
    const rolled = await waitFor('the Deployment to roll', async () => {
      const d = await deployment('recycle-a');
      return d.metadata!.generation === 2 ? d : undefined;
    });
    expect(rolled.spec!.template.metadata!.annotations!.configHash).not.toBe(first.spec!.template.metadata!.annotations!.configHash);
    expect(await hashCacheOf()).not.toBe(before);
  });

  it('§12.1 a disabled app is left alone: a hand edit stays until it is enabled again', async () => {
    await clowd.createApp(clowdApp('off', t.ns.name, envName, [{ name: 'a', replicas: 2 }]));
    await settled('off');
    await clowd.patchApp(t.ns.name, 'off', [{ op: 'add', path: '/spec/disabled', value: true }]);
    await waitFor('the disabled spec in the cache', async () => (t.operator.caches.apps.get(`${t.ns.name}/off`)?.spec.disabled ? true : undefined));
    await apps.patchNamespacedDeployment({ name: 'off-a', namespace: t.ns.name, body: [{ op: 'replace', path: '/spec/replicas', value: 0 }] });
    // Once the operator has seen the edit, reconcile the app on purpose and wait for that pass.
    await waitFor('the edit in the cache', async () => (t.operator.caches.deployments.get(`${t.ns.name}/off-a`)?.spec?.replicas === 0 ? true : undefined));
    const done = t.operator.metrics.total('clowdapp', 'success');
    t.operator.controllers.app.queue.add(`${t.ns.name}/off`);
    await waitFor('a reconcile after the edit', async () => (t.operator.metrics.total('clowdapp', 'success') > done ? true : undefined));
    expect((await deployment('off-a')).spec!.replicas).toBe(0);
    await clowd.patchApp(t.ns.name, 'off', [{ op: 'replace', path: '/spec/disabled', value: false }]);
    await waitFor('replicas restored', async () => ((await deployment('off-a')).spec!.replicas === 2 ? true : undefined));
  });

  it('§12.2 a deleted app loses its finalizer at once and garbage collection removes its objects', async () => {
    await clowd.createApp(clowdApp('bye', t.ns.name, envName, [{ name: 'a' }]));
    await settled('bye');
    await clowd.deleteApp(t.ns.name, 'bye');
    await waitFor('the app to be gone', async () => readApp('bye').then(() => undefined, () => true));
    await waitFor('its Deployment to be collected', async () => deployment('bye-a').then(() => undefined, () => true));
  });

  it('§12.2 a deleted env removes the namespace it generated', async () => {
    const name = `gone-${randomBytes(3).toString('hex')}`;
    await t.createEnv(environment(name));
    const env = (await waitFor('the env to reconcile', reconciled(() => clowd.readEnv(name)))) as ClowdEnvironment;
    await clowd.deleteEnv(name);
    await waitFor('the env to be gone', async () => clowd.readEnv(name).then(() => undefined, () => true));
    const tns = await core.readNamespace({ name: env.status!.targetNamespace! }).catch(() => undefined);
    expect(!tns || Boolean(tns.metadata!.deletionTimestamp)).toBe(true);
  });
});
