// What the API server lets through, the operator must survive: the CRDs refuse what no controller
// could act on (no spec, two deployments of one name), and an object stored before they did (an
// older CRD) costs nobody else anything: it gets a condition, and other environments and apps
// reconcile as usual.
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { API_VERSION, GROUP, VERSION, type ClowdApp, type ClowdEnvironment } from './api.ts';
import { allowClowderPods, clowdApp, clowdClient, condition, environment, reconciled } from './testing/fixtures.ts';
import { installCrds } from './install-crds.ts';
import { clowderOperator } from './operator.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const custom = kc.makeApiClient(CustomObjectsApi);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const clowd = clowdClient(kc);
const envName = `tolerant-${randomBytes(3).toString('hex')}`;
let ns: Awaited<ReturnType<typeof testNamespace>>;

beforeAll(async () => {
  await installCrds(client);
  ns = await testNamespace(kc, 'clowder-tolerance');
  await allowClowderPods(kc, ns.name);
});
afterAll(async () => {
  await installCrds(client); // in case a test stopped while the CRD was relaxed
  await ns?.remove();
});

/** Creates a custom object of one of the four kinds; resolves to the API server's refusal, or "accepted". */
function create(plural: string, body: object): Promise<string> {
  const namespaced = plural !== 'clowdenvironments';
  const made = namespaced
    ? custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace: ns.name, body })
    : custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body });
  return made.then(() => 'accepted', (e: { code?: number; body?: string }) => `${e.code} ${JSON.parse(e.body ?? '{}').message}`);
}

describe('the CRDs require what the controllers need', () => {
  it.each([
    ['clowdapps', 'ClowdApp'],
    ['clowdenvironments', 'ClowdEnvironment'],
    ['clowdapprefs', 'ClowdAppRef'],
    ['clowdjobinvocations', 'ClowdJobInvocation'],
  ])('refuses a %s without spec', async (plural, kind) => {
    expect(await create(plural, { apiVersion: API_VERSION, kind, metadata: { name: 'no-spec' } })).toMatch(/^422 .*spec: Required value/);
  });

  it('refuses two deployments, jobs or referenced deployments of one name', async () => {
    const twice = [{ name: 'api', podSpec: { image: 'a' } }, { name: 'api', podSpec: { image: 'b' } }];
    expect(await create('clowdapps', { ...clowdApp('dup-deployments', ns.name, envName, []), spec: { envName, deployments: twice } }))
      .toMatch(/^422 .*spec\.deployments\[1\]: Duplicate value: .*"name":"api"/);
    expect(await create('clowdapps', { ...clowdApp('dup-jobs', ns.name, envName, []), spec: { envName, jobs: twice } }))
      .toMatch(/^422 .*spec\.jobs\[1\]: Duplicate value/);
    const refDeployments = [{ name: 'api', hostname: 'a.example' }, { name: 'api', hostname: 'b.example' }];
    expect(await create('clowdapprefs', { apiVersion: API_VERSION, kind: 'ClowdAppRef', metadata: { name: 'dup' }, spec: { envName, deployments: refDeployments } }))
      .toMatch(/^422 .*spec\.deployments\[1\]: Duplicate value/);
  });
});

describe('an object an older CRD accepted', () => {
  it('a ClowdApp without spec gets a condition; a new environment and its app reconcile as usual', async () => {
    // The CRD as it was before it required spec: the object is stored, and stays after the upgrade.
    const crd = 'clowdapps.cloud.redhat.com';
    const strict = await extensions.readCustomResourceDefinition({ name: crd });
    delete strict.spec.versions[0].schema!.openAPIV3Schema!.required;
    await extensions.replaceCustomResourceDefinition({ name: crd, body: strict });
    await waitFor('the relaxed CRD to serve', async () =>
      (await create('clowdapps', { apiVersion: API_VERSION, kind: 'ClowdApp', metadata: { name: 'no-spec' } })) === 'accepted' ? true : undefined);
    await installCrds(client);

    const lines: string[] = [];
    const operator = clowderOperator({ client, informerBackoffMs: 50, log: (line) => lines.push(line) });
    await operator.manager.start();
    await operator.manager.leading;
    try {
      await clowd.createEnv(environment(envName));
      await waitFor('the new environment to reconcile', reconciled(() => clowd.readEnv(envName)));
      await clowd.createApp(clowdApp('good', ns.name, envName, [{ name: 'api' }]));
      await waitFor('the good app to reconcile', reconciled(() => clowd.readApp(ns.name, 'good')));

      const stored = await waitFor('a condition on the app without spec', async () => {
        const app = await clowd.readApp(ns.name, 'no-spec');
        return condition(app, 'ReconciliationFailed')?.status === 'True' ? app : undefined;
      });
      expect(condition(stored, 'ReconciliationFailed')?.message).toBe('spec: Required value');
      expect(stored.metadata?.finalizers).toBeUndefined(); // nothing to clean up: deleting it just works
      expect(lines.filter((l) => /TypeError|Cannot read properties/.test(l))).toEqual([]);
      // The env lists the good app, and only it: the one without spec is nobody's app.
      await waitFor('the env to list the good app', async () => {
        const env = (await clowd.readEnv(envName)) as ClowdEnvironment;
        return isDeepStrictEqual(env.status?.apps?.map((a) => a.name), ['good']) ? true : undefined;
      });
    } finally {
      await custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'clowdapps', namespace: ns.name, name: 'no-spec' }).catch(() => {});
      for (const app of operator.caches.apps.list(ns.name) as ClowdApp[]) await clowd.deleteApp(ns.name, app.metadata!.name!).catch(() => {});
      await clowd.deleteEnv(envName);
      await waitFor('the env and apps to be gone', async () => (operator.caches.envs.get(envName) || operator.caches.apps.list(ns.name).length ? undefined : true));
      await operator.manager.stop();
    }
  });
});
