// The settings the workshop runs the operator with (`npm run operator -- clowder`, lesson 12):
// workshop-config.json over Clowder's pinned images, then the lesson's own PostgreSQL. Every
// image a local provider then deploys pulls without registry credentials; a field on the
// ClowdEnvironment still comes first, as in Clowder (§14).
import { AppsV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { testKubeConfig, waitFor } from '../../test/cluster.ts';
import { clowdApp, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';
import { readConfig, withPostgresImages, WORKSHOP_CONFIG } from './settings.ts';

const kc = testKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const suffix = randomBytes(3).toString('hex');
const workshop = `workshop-${suffix}`;
const own = `own-redis-${suffix}`;

const t = clowderTest('clowder-workshop', {
  setup: async () => {
    await t.createEnv(environment(workshop, { db: { mode: 'local' }, inMemoryDb: { mode: 'redis' } }));
    await t.createEnv(environment(own, { inMemoryDb: { mode: 'redis', image: 'example.com/redis:7' } }));
  },
  operator: { settings: withPostgresImages(['15=k8s-patterns/postgres:15'], readConfig(WORKSHOP_CONFIG)) },
});
const { clowd } = t;

const imageOf = async (name: string) => (await apps.readNamespacedDeployment({ name, namespace: t.ns.name })).spec!.template.spec!.containers[0].image;

it('deploys public images: upstream Valkey for redis, the lesson\'s PostgreSQL, Clowder\'s quay.io images otherwise', async () => {
  await clowd.createApp(clowdApp('inventory', t.ns.name, workshop, [{ name: 'api' }], { database: { name: 'inventory', version: 15 }, inMemoryDb: true }));
  await clowd.createApp(clowdApp('hosts', t.ns.name, workshop, [{ name: 'api' }], { database: { name: 'hosts', version: 15 }, cyndi: { enabled: true } }));
  for (const app of ['inventory', 'hosts']) await waitFor(`${app} to reconcile`, reconciled(() => clowd.readApp(t.ns.name, app)));
  expect(await Promise.all(['inventory-redis', 'inventory-db', 'hosts-db'].map(imageOf))).toEqual([
    'docker.io/valkey/valkey:8',
    'k8s-patterns/postgres:15',
    // --postgres-image names the plain image only; a cyndi app keeps Clowder's variant.
    'quay.io/cloudservices/postgresql-rds:cyndi-15-2318dee',
  ]);
});

it('still takes the image an environment names', async () => {
  await clowd.createApp(clowdApp('cache', t.ns.name, own, [{ name: 'api' }], { inMemoryDb: true }));
  await waitFor('cache to reconcile', reconciled(() => clowd.readApp(t.ns.name, 'cache')));
  expect(await imageOf('cache-redis')).toBe('example.com/redis:7');
});
