// The CRDs (§1) as the API server serves them: names, scope, short names, printer columns, the
// status subresource, required fields, pruning of unknown fields, and the CEL rules that stand
// in for Clowder's admission webhook.
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveBinaries } from '../../kind/binaries.ts';
import { testClient, testKubeConfig, testNamespace } from '../../test/cluster.ts';
import { clowdApp, clowdClient, environment } from './testing/fixtures.ts';
import { installCrds } from './install-crds.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const clowd = clowdClient(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;
const envName = `crd-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await installCrds(client);
  ns = await testNamespace(kc, 'clowder-crds');
});
afterAll(async () => {
  // No operator runs in this file, so nothing added a finalizer: plain deletes suffice.
  await clowd.deleteEnv(envName);
  await ns?.remove();
});

describe('§1.1 the four kinds', () => {
  it.each([
    ['clowdenvironments', 'ClowdEnvironment', 'Cluster', ['env'], ['Ready', 'Managed', 'Namespace', 'Age']],
    ['clowdapps', 'ClowdApp', 'Namespaced', ['app'], ['Ready', 'Managed', 'EnvName', 'Age']],
    ['clowdjobinvocations', 'ClowdJobInvocation', 'Namespaced', ['cji'], ['Completed']],
    ['clowdapprefs', 'ClowdAppRef', 'Namespaced', undefined, ['Ready', 'Env', 'Age']],
  ])('%s', async (plural, kind, scope, shortNames, columns) => {
    const crd = await extensions.readCustomResourceDefinition({ name: `${plural}.cloud.redhat.com` });
    expect([crd.spec.names.kind, crd.spec.scope, crd.spec.names.shortNames]).toEqual([kind, scope, shortNames]);
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage, Boolean(v.subresources?.status)])).toEqual([['v1alpha1', true, true, true]]);
    expect(crd.spec.versions[0].additionalPrinterColumns!.map((c) => c.name)).toEqual(columns);
  });
});

describe('§1.2-§1.6 schemas', () => {
  it('prunes unknown fields and accepts an env with only the required fields', async () => {
    const env = environment(envName);
    (env.spec as unknown as Record<string, unknown>).targetnamespace = 'typo';
    const created = (await clowd.createEnv(env)) as { spec: Record<string, unknown> };
    expect(created.spec.targetnamespace).toBeUndefined();
  });

  it.each([
    ['an app without envName', { deployments: [] }, 'spec.envName: Required value'],
    ['a deployment without podSpec', { envName: 'e', deployments: [{ name: 'a' }] }, 'podSpec: Required value'],
    ['a bad apiPath', { envName: 'e', deployments: [{ name: 'a', podSpec: {}, webServices: { public: { apiPaths: ['/nope'] } } }] }, 'should match'],
    ['database.name with sharedDbAppName', { envName: 'e', database: { name: 'x', sharedDbAppName: 'y' } }, 'spec.database: Forbidden: cannot set db name and sharedDbApp Name together'],
    ['several init containers, one unnamed', { envName: 'e', deployments: [{ name: 'a', podSpec: { initContainers: [{ name: 'x' }, {}] } }] }, 'spec.deployments[0].podSpec.initContainers: Forbidden: multiple initcontainers must have a name'],
    ['a shared database with cyndi', { envName: 'e', database: { sharedDbAppName: 'y' }, cyndi: { enabled: true } }, 'spec.database: Forbidden: cannot use cyndi with a shared database'],
    ['a Recreate strategy with public web', { envName: 'e', deployments: [{ name: 'a', podSpec: {}, web: true, deploymentStrategy: { privateStrategy: 'Recreate' } }] }, 'spec.deployments[0]: Forbidden: privateStrategy cannot be set to recreate for public web enabled deployments'],
    ['an unknown sidecar', { envName: 'e', deployments: [{ name: 'a', podSpec: { sidecars: [{ name: 'proxy' }] } }] }, 'spec.deployments[0].podSpec.sidecars: Forbidden: Sidecar is of unknown type, must be one of [token-refresher] or [otel-collector]'],
  ])('refuses %s', async (_name, spec, message) => {
    const app = { ...clowdApp('bad', ns.name, 'e', []), spec } as never;
    const error = await clowd.createApp(app).then(() => undefined, (e: { code: number; body: string }) => e);
    expect(error?.code).toBe(422);
    expect(error?.body).toContain(message);
  });

  // What a learner sees. Clowder's webhook answers with the Status of its field errors (422
  // Invalid, each cause "Forbidden"), which kubectl prints the same way; the field paths are the
  // schema's here, Clowder's Go types' there (spec.Deployment[0], spec.Database.Name…).
  it('refuses an app breaking three webhook rules as Clowder does, through kubectl', async () => {
    const { kubectl } = await resolveBinaries(() => {});
    const app = clowdApp('bad', ns.name, 'e', [{
      name: 'web',
      webServices: { public: { enabled: true } },
      deploymentStrategy: { privateStrategy: 'Recreate' },
      podSpec: { image: 'quay.io/example/app:1', initContainers: [{ name: 'first' }, { image: 'quay.io/example/init:1' }] },
    }], { database: { name: 'bad', sharedDbAppName: 'other' } });
    const result = spawnSync(kubectl, ['apply', '-f', '-'], { input: JSON.stringify(app), encoding: 'utf8', env: { ...process.env, KUBECONFIG: inject('kubeconfig') } });
    expect(result.stderr).toBe([
      'The ClowdApp "bad" is invalid: ',
      '* spec.database: Forbidden: cannot set db name and sharedDbApp Name together',
      '* spec.deployments[0]: Forbidden: privateStrategy cannot be set to recreate for public web enabled deployments',
      '* spec.deployments[0].podSpec.initContainers: Forbidden: multiple initcontainers must have a name',
      '',
    ].join('\n'));
    const error = await clowd.createApp(app).then(() => undefined, (e: { code: number; body: string }) => e);
    expect([error?.code, JSON.parse(error!.body).reason]).toEqual([422, 'Invalid']);
  });

  it('requires status.ready, condition messages and the CJI jobMap', async () => {
    await custom.createNamespacedCustomObject({
      group: 'cloud.redhat.com', version: 'v1alpha1', plural: 'clowdjobinvocations', namespace: ns.name,
      body: { apiVersion: 'cloud.redhat.com/v1alpha1', kind: 'ClowdJobInvocation', metadata: { name: 'c' }, spec: { appName: 'x' } },
    });
    const status = (body: object) =>
      custom.patchNamespacedCustomObjectStatus({ group: 'cloud.redhat.com', version: 'v1alpha1', plural: 'clowdjobinvocations', namespace: ns.name, name: 'c', body: [{ op: 'add', path: '/status', value: body }] })
        .then(() => 'ok', (e: { body: string }) => e.body);
    expect(await status({ completed: false })).toContain('status.jobMap: Required value');
    expect(await status({ completed: false, jobMap: {}, conditions: [{ type: 'A', status: 'True', reason: 'R', lastTransitionTime: '2026-01-01T00:00:00Z' }] })).toContain('message: Required value');
    expect(await status({ completed: false, jobMap: {} })).toBe('ok');
  });
});
