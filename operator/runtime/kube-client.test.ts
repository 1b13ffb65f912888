// The KubeClient against the real API server: every verb, what a refusal says, watches, and
// connections that are reused.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient, testKubeConfig, testNamespace } from '../../test/cluster.ts';
import { apiError, describeApiError } from './api-error.ts';

const kc = testKubeConfig();
const client = testClient(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;
beforeAll(async () => (ns = await testNamespace(kc, 'kube-client')));
afterAll(() => ns.remove());

const configMap = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): V1ConfigMap =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name, labels }, data });

describe('KubeClient', () => {
  it('creates, reads, lists by label, replaces, patches three ways and deletes', async () => {
    const created = await client.create(configMap('verbs', { a: '1' }, { lesson: 'client' }));
    expect(created.metadata?.uid).toBeTruthy();
    expect(typeof created.metadata?.creationTimestamp).toBe('string'); // plain JSON, as the server sent it
    await client.create(configMap('other', {}, { lesson: 'else' }));

    const read = await client.read<V1ConfigMap>('v1', 'ConfigMap', 'verbs', ns.name);
    expect(read.data).toEqual({ a: '1' });
    const listed = await client.list<V1ConfigMap>('v1', 'ConfigMap', ns.name, 'lesson=client');
    expect(listed.items.map((c) => c.metadata?.name)).toEqual(['verbs']);

    const replaced = await client.replace({ ...read, data: { a: '2' } });
    expect(replaced.data).toEqual({ a: '2' });
    // A replace that carries an old resourceVersion is refused: someone wrote in between.
    const stale = await client.replace({ ...read, data: { a: '3' } }).catch((e: unknown) => e);
    expect(apiError(stale).code).toBe(409);

    const merged = await client.patch<V1ConfigMap>(read, { data: { b: '1' } }, 'merge');
    expect(merged.data).toEqual({ a: '2', b: '1' });
    const patched = await client.patch<V1ConfigMap>(read, [{ op: 'remove', path: '/data/a' }], 'json');
    expect(patched.data).toEqual({ b: '1' });
    const applied = await client.patch<V1ConfigMap>(read, configMap('verbs', { c: '1' }), 'apply', { fieldManager: 'kube-client-test', force: true });
    expect(applied.data).toEqual({ b: '1', c: '1' });

    await client.delete(read);
    const gone = await client.read('v1', 'ConfigMap', 'verbs', ns.name).catch((e: unknown) => e);
    expect(apiError(gone).code).toBe(404);
  });

  it('rejects with the API server’s own words', async () => {
    const refused = await client.create(configMap('Not_A_Name')).catch((e: unknown) => e);
    expect(describeApiError(refused)).toMatch(/^422 ConfigMap "Not_A_Name" is invalid: metadata.name: Invalid value/);
  });

  it('answers 404 for a kind the server does not serve', async () => {
    const missing = await client.list('example.com/v1', 'Gadget').catch((e: unknown) => e);
    expect(describeApiError(missing)).toBe('404 the server does not serve kind Gadget in example.com/v1');
  });

  it('watches a collection until the server ends the watch, or until aborted', async () => {
    const path = await client.collectionPath('v1', 'ConfigMap', ns.name);
    const { metadata } = await client.list('v1', 'ConfigMap', ns.name);
    const seen: string[] = [];
    const stop = new AbortController();
    const watching = client.watch(path, { resourceVersion: metadata?.resourceVersion }, (type, object) => {
      seen.push(`${type} ${(object as V1ConfigMap).metadata?.name}`);
      if (seen.length === 2) stop.abort();
    }, stop.signal);
    await client.create(configMap('watched'));
    await client.patch(configMap('watched'), { data: { x: '1' } }, 'merge');
    await expect(watching).rejects.toThrow(/abort/i);
    expect(seen).toEqual(['ADDED watched', 'MODIFIED watched']);

    // timeoutSeconds: the server ends the watch, and the promise resolves.
    await client.watch(path, { resourceVersion: metadata?.resourceVersion, timeoutSeconds: 1 }, () => {});
  });

  it('sends many requests over one kept-alive connection', async () => {
    const fresh = testClient(kc);
    let sockets = 0;
    const count = () => sockets++;
    subscribe('net.client.socket', count);
    try {
      for (let i = 0; i < 5; i++) await fresh.read('v1', 'Namespace', ns.name);
    } finally {
      unsubscribe('net.client.socket', count);
      fresh.close();
    }
    expect(sockets).toBe(1);
  });
});
