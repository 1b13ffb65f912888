// The informer against the real API server: what it caches, what it announces, and how it gets
// back on its feet after a 410 Gone or a failed request.
import { CoreV1Api, type KubernetesListObject, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { KubeClient } from './kube-client.ts';
import { Informer, type EventType } from './informer.ts';

const kc = testKubeConfig();
const client = new KubeClient(kc);
const core = kc.makeApiClient(CoreV1Api);
let ns: Awaited<ReturnType<typeof testNamespace>>;
beforeAll(async () => (ns = await testNamespace(kc, 'informer')));
afterAll(() => ns.remove());

const configMaps = () => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });

describe('Informer', () => {
  it('lists, then announces adds, updates and deletes after updating its cache', async () => {
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'before' }, data: { w: '0' } } });
    const informer = new Informer<V1ConfigMap>(client, configMaps());
    const seen: string[] = [];
    informer.subscribe((type: EventType, cm, old) => {
      // The cache already holds the new state when handlers run.
      expect(informer.get(`${ns.name}/${cm.metadata!.name}`)).toBe(type === 'delete' ? undefined : cm);
      if (cm.metadata!.name === 'kube-root-ca.crt') return; // every namespace gets one, at some point
      seen.push(`${type} ${cm.metadata!.name}${old ? ` (was ${old.data?.v ?? '-'})` : ''}`);
    });
    await informer.start();
    try {
      expect(informer.get(`${ns.name}/before`)?.kind).toBe('ConfigMap'); // listed items get their kind
      // The server keeps managedFields (who set data.w); the cache does not.
      expect((await core.readNamespacedConfigMap({ namespace: ns.name, name: 'before' })).metadata?.managedFields).toBeDefined();
      expect(informer.get(`${ns.name}/before`)?.metadata?.managedFields).toBeUndefined();
      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'after' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ namespace: ns.name, name: 'after', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
      await core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'after' });
      await waitFor('the delete event', async () => (seen.some((s) => s.startsWith('delete after')) ? true : undefined));
      expect(seen).toEqual(['add before', 'add after', 'update after (was 1)', 'delete after (was 2)']);
      expect(informer.list().filter((cm) => cm.metadata?.managedFields)).toEqual([]); // watched ones too
    } finally {
      await informer.stop();
    }
  });

  it('a subscriber that throws costs no other subscriber its events', async () => {
    const lines: string[] = [];
    const informer = new Informer<V1ConfigMap>(client, configMaps(), { log: (line) => lines.push(line) });
    const seen: string[] = [];
    informer.subscribe((_type, cm) => {
      if (!cm.data?.v) throw new TypeError("Cannot read properties of undefined (reading 'v')");
    });
    informer.subscribe((type, cm) => void seen.push(`${type} ${cm.metadata!.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'odd' } } });
      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'next' }, data: { v: '1' } } });
      await waitFor('the later ConfigMap', async () => (seen.includes('add next') ? true : undefined));
      expect(seen).toContain('add odd');
      expect(lines).toContain(`ConfigMap ${ns.name}/odd: a subscriber failed on add: Cannot read properties of undefined (reading 'v')`);
    } finally {
      await informer.stop();
    }
  });

  it('relists when the watch answers 410 Gone, and misses nothing', async () => {
    let calls = 0;
    const informer = new Informer<V1ConfigMap>(client, configMaps(), {
      // A real list, but the first one claims resourceVersion "1": history the server has
      // compacted away, so the watch that follows is answered with 410 Gone.
      list: async () => {
        const list: KubernetesListObject<KubernetesObject> = await client.list('v1', 'ConfigMap', ns.name);
        if (++calls === 1) list.metadata = { ...list.metadata, resourceVersion: '1' };
        return list;
      },
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'after-gone' } } });
      await waitFor('the informer to see a ConfigMap created after the 410', async () =>
        informer.get(`${ns.name}/after-gone`) ? true : undefined);
      expect(informer.lists).toBe(2);
    } finally {
      await informer.stop();
    }
  });

  it('retries after a failed request instead of stopping', async () => {
    let calls = 0;
    const informer = new Informer<V1ConfigMap>(client, configMaps(), {
      baseBackoffMs: 10,
      list: async () => {
        if (++calls === 1) throw new Error('connect ECONNREFUSED 127.0.0.1'); // as when the server is down
        return client.list('v1', 'ConfigMap', ns.name);
      },
    });
    await informer.start(); // resolves only once a list has succeeded
    await informer.stop();
    expect(calls).toBe(2);
    expect(informer.list().length).toBeGreaterThan(0); // kube-root-ca.crt, at least
  });
});
