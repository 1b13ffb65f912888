// Server-side apply and owner references on the real API server.
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { apply, ownerReference } from './apply.ts';
import { KubeClient } from './kube-client.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const client = new KubeClient(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;
beforeAll(async () => (ns = await testNamespace(kc, 'apply')));
afterAll(() => ns.remove());

const configMap = (name: string, data: Record<string, string>): V1ConfigMap =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name }, data });

describe('apply', () => {
  it('is idempotent, removes what the manager stops sending, and leaves other managers’ fields alone', async () => {
    const first = await apply(client, configMap('ssa', { a: '1', b: '1' }), 'ours');
    const again = await apply(client, configMap('ssa', { a: '1', b: '1' }), 'ours');
    expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion); // no write happened

    await apply(client, configMap('ssa', { theirs: 'x' }), 'someone-else');
    const after = await apply(client, configMap('ssa', { a: '2' }), 'ours'); // b no longer sent
    expect(after.data).toEqual({ a: '2', theirs: 'x' });
  });

  it('takes a field over from another manager (force) instead of failing with a conflict', async () => {
    await apply(client, configMap('contested', { v: 'theirs' }), 'someone-else');
    const ours = await apply(client, configMap('contested', { v: 'ours' }), 'ours');
    expect(ours.data).toEqual({ v: 'ours' });
  });
});

describe('ownerReference', () => {
  it('makes the garbage collector delete the dependent with its owner', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'dependent', ownerReferences: [ownerReference({ apiVersion: 'v1', kind: 'ConfigMap', ...owner })] } },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
    await waitFor('the garbage collector', () =>
      core.readNamespacedConfigMap({ name: 'dependent', namespace: ns.name }).then(() => undefined, () => true));
  });

  it('refuses an owner without a uid: a reference to nothing would be collected at once', () => {
    expect(() => ownerReference({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toThrow(/uid/);
  });
});
