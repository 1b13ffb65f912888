// The optional informer against the real API server: a type of our own (`Gadget`, made for this
// test) that does not exist when the informer starts, appears, and goes away again.
import { ApiextensionsV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { KubeClient } from './kube-client.ts';
import { Informer } from './informer.ts';
import { OptionalInformer } from './optional-informer.ts';

const kc = testKubeConfig();
const client = new KubeClient(kc);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
// A group of its own per run, so that a CRD left behind by an interrupted run is never in the way.
const group = `t${randomBytes(3).toString('hex')}.k8s-patterns.example`;
const crdName = `gadgets.${group}`;
let ns: Awaited<ReturnType<typeof testNamespace>>;
beforeAll(async () => (ns = await testNamespace(kc, 'optional-informer')));
afterAll(async () => {
  await extensions.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
  await ns.remove();
});

describe('OptionalInformer', () => {
  it('is synced and empty without its CRD, follows the type once it is served, and announces its objects deleted with it', async () => {
    const crds = new Informer<KubernetesObject>(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' });
    const gadgets = new OptionalInformer<KubernetesObject>(client, { apiVersion: `${group}/v1`, kind: 'Gadget' }, crdName, crds);
    const seen: string[] = [];
    gadgets.subscribe((type, object) => seen.push(`${type} ${object.metadata!.name}`));
    await crds.start();
    await gadgets.start(); // resolves although the type does not exist
    try {
      expect([gadgets.served, gadgets.list()]).toEqual([false, []]);

      await extensions.createCustomResourceDefinition({ body: {
        metadata: { name: crdName },
        spec: {
          group, scope: 'Namespaced', names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      } });
      await waitFor('the type to be followed', async () => (gadgets.served ? true : undefined));
      // The API server may take a moment to serve a new type; the informer retries meanwhile.
      await waitFor('the Gadget to be created', () =>
        custom.createNamespacedCustomObject({ group, version: 'v1', plural: 'gadgets', namespace: ns.name, body: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1' } } }).catch(() => undefined));
      await waitFor('the add event', async () => (seen.includes('add g1') ? true : undefined));
      expect(gadgets.get(`${ns.name}/g1`)?.kind).toBe('Gadget');

      await extensions.deleteCustomResourceDefinition({ name: crdName });
      await waitFor('the delete event', async () => (seen.includes('delete g1') ? true : undefined), 120_000);
      await waitFor('the CRD to be gone', async () => (gadgets.served ? undefined : true), 120_000);
      expect(seen).toEqual(['add g1', 'delete g1']);
      expect(gadgets.list()).toEqual([]);
    } finally {
      await gadgets.stop();
      await crds.stop();
    }
  });
});
