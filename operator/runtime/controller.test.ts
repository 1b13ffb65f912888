// The controller runtime against the real API server, with a tiny reconciler: it stamps
// data.seen = "yes" into every ConfigMap labelled for this test.
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { KubeClient } from './kube-client.ts';
import { Controller, RecordedFailure } from './controller.ts';
import { startHealthServer } from './health-server.ts';
import { Informer, splitKey } from './informer.ts';
import { Metrics } from './metrics.ts';
import { Outcome } from './outcome.ts';

const kc = testKubeConfig();
const client = new KubeClient(kc);
const core = kc.makeApiClient(CoreV1Api);
let ns: Awaited<ReturnType<typeof testNamespace>>;
beforeAll(async () => (ns = await testNamespace(kc, 'controller')));
afterAll(() => ns.remove());

describe('Controller', () => {
  it('retries a reconcile that hit a 409 Conflict quietly, and converges', async () => {
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'contested' }, data: { n: '0' } } });
    const informer = new Informer<V1ConfigMap>(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });
    const metrics = new Metrics();
    const lines: string[] = [];
    let attempts = 0;
    const controller = new Controller({
      name: 'stamper',
      primary: informer,
      metrics,
      log: (line) => lines.push(line),
      reconcile: async (key) => {
        const cached = informer.get(key);
        if (!cached || cached.metadata?.name !== 'contested' || cached.data?.seen) return;
        if (++attempts === 1) {
          // Someone else writes between our read (the cache) and our write.
          await core.patchNamespacedConfigMap({ ...splitKey(key) as { name: string; namespace: string }, body: [{ op: 'replace', path: '/data/n', value: '1' }] });
        }
        // A replace carries the resourceVersion we read: the API server refuses it if that is stale.
        const next = structuredClone(cached); // never modify the cached object itself
        next.data = { ...next.data, seen: 'yes' };
        await core.replaceNamespacedConfigMap({ name: 'contested', namespace: ns.name, body: next });
        return { outcome: new Outcome().add('updated', next) };
      },
    });
    await controller.run();
    try {
      const cm = await waitFor('the stamp', async () => {
        const cm = await core.readNamespacedConfigMap({ name: 'contested', namespace: ns.name });
        return cm.data?.seen ? cm : undefined;
      });
      expect(cm.data).toEqual({ n: '1', seen: 'yes' }); // the other writer's change survived
      // At least the one 409; a retry that runs before the cache has the newer object conflicts again.
      const conflicts = metrics.total('stamper', 'error');
      expect(conflicts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeGreaterThanOrEqual(2);
      // Conflicts are retried without a word; only a third one in a row would be logged.
      expect(lines.filter((l) => l.includes('409'))).toHaveLength(Math.max(0, conflicts - 2));
      expect(lines).toContain(`ConfigMap ${ns.name}/contested: updated ConfigMap contested`);
    } finally {
      await controller.stop();
      await informer.stop();
    }
  });

  it('logs one line per pass that wrote something, and a pass that wrote nothing only once in a row', async () => {
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'quiet' } } });
    const informer = new Informer<V1ConfigMap>(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });
    const metrics = new Metrics();
    const lines: string[] = [];
    const controller = new Controller({
      name: 'stamper',
      primary: informer,
      metrics,
      resyncMs: 50, // many passes that find nothing to do
      log: (line) => lines.push(line),
      reconcile: async (key) => {
        const cached = informer.get(key);
        if (cached?.metadata?.name !== 'quiet') return; // no outcome: nothing logged
        if (cached.data?.seen) return { outcome: new Outcome() };
        const next = structuredClone(cached);
        next.data = { seen: 'yes' };
        await core.replaceNamespacedConfigMap({ name: 'quiet', namespace: ns.name, body: next });
        return { outcome: new Outcome().add('updated', next, 'stamped') };
      },
    });
    await controller.run();
    try {
      await waitFor('twenty passes', async () => (metrics.total('stamper', 'success') >= 20 ? true : undefined));
      expect(lines).toEqual([`ConfigMap ${ns.name}/quiet: updated ConfigMap quiet (stamped)`, `ConfigMap ${ns.name}/quiet: unchanged`]);
    } finally {
      await controller.stop();
      await informer.stop();
    }
  });

  it('a key function that throws costs no other controller on the same informer its event, and says so', async () => {
    const informer = new Informer<V1ConfigMap>(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });
    const others = new Informer<V1ConfigMap>(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });
    const lines: string[] = [];
    // Subscribed first, as the Clowder operator's environments watch its apps before the app controller does.
    const fragile = new Controller({
      name: 'fragile',
      primary: others,
      watches: [{ informer, keysFor: (cm) => [(cm as V1ConfigMap).data!.owner] }], // no data: TypeError
      reconcile: async () => {},
      log: (line) => lines.push(line),
    });
    const seen: string[] = [];
    const sturdy = new Controller({ name: 'sturdy', primary: informer, reconcile: async (key) => void seen.push(key) });
    await fragile.run();
    await sturdy.run();
    try {
      await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'no-data' } } });
      await waitFor('the sturdy controller to reconcile it', async () => (seen.includes(`${ns.name}/no-data`) ? true : undefined));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ConfigMap ${ns.name}/no-data: no keys for fragile: Cannot read properties of undefined`)));
    } finally {
      await fragile.stop();
      await sturdy.stop();
      await informer.stop();
      await others.stop();
    }
  });

  it('hands every failure to onFailure, except one the reconcile recorded itself', async () => {
    const informer = new Informer<V1ConfigMap>(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });
    const recorded: string[] = [];
    const controller = new Controller({
      name: 'reader',
      primary: informer,
      log: () => {},
      onFailure: async (key, error) => void recorded.push(`${key}: ${(error as { code?: number }).code}`),
      reconcile: async (key) => {
        const { name } = splitKey(key);
        if (name === 'recorded') throw new RecordedFailure('already in its status');
        // A real API error: reading what is not there is a 404 from the API server.
        if (name === 'reads-missing') await core.readNamespacedConfigMap({ namespace: ns.name, name: 'not-there' });
      },
    });
    await controller.run();
    try {
      for (const name of ['recorded', 'reads-missing']) await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name } } });
      await waitFor('the failure to be recorded', async () => (recorded.length ? true : undefined));
      await waitFor('the retry of the recorded failure', async () => (controller.queue.failures(`${ns.name}/recorded`) >= 2 ? true : undefined));
      expect(new Set(recorded)).toEqual(new Set([`${ns.name}/reads-missing: 404`]));
    } finally {
      await controller.stop();
      await informer.stop();
    }
  });

  it('a watch with a delay turns a burst of events into fewer passes', async () => {
    // The primary is one ConfigMap; the secondaries, ConfigMaps labelled burst, all map to it.
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'summary' } } });
    const primary = new Informer<V1ConfigMap>(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name });
    const passes: number[] = [];
    const controller = new Controller({
      name: 'summer',
      primary,
      watches: [{ informer: primary, keysFor: (o) => (o.metadata?.labels?.burst ? [`${ns.name}/summary`] : []), delayMs: 2000 }],
      reconcile: async (key) => void (key.endsWith('/summary') && passes.push(primary.list().filter((o) => o.metadata?.labels?.burst).length)),
    });
    await controller.run();
    try {
      await waitFor('the first pass', async () => (passes.length ? true : undefined));
      for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: `part-${i}`, labels: { burst: 'yes' } } } });
      await waitFor('a pass that sees all five', async () => (passes.at(-1) === 5 ? true : undefined));
      expect(passes.length - 1).toBeLessThan(5); // five events, fewer passes
    } finally {
      await controller.stop();
      await primary.stop();
    }
  });

  it('serves /metrics, /healthz and /readyz on 127.0.0.1', async () => {
    const metrics = new Metrics();
    metrics.observeReconcile('demo', 'success', 0.003);
    metrics.observeReconcile('demo', 'error', 0.2);
    metrics.gauge('workqueue_depth', { name: 'demo' }, () => 4);
    let ready = false;
    const server = await startHealthServer({ metrics, ready: () => ready });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('controller_reconcile_total{controller="demo",result="success"} 1');
      expect(text).toContain('controller_reconcile_errors_total{controller="demo"} 1');
      expect(text).toContain('controller_reconcile_duration_seconds_bucket{controller="demo",le="0.005"} 1');
      expect(text).toContain('controller_reconcile_duration_seconds_count{controller="demo"} 2');
      expect(text).toContain('workqueue_depth{name="demo"} 4');
    } finally {
      await server.close();
    }
  });
});
