// The PostgresDatabase operator against the real local control plane and a real PostgreSQL
// server, started for this file in a temporary directory and stopped (by PID) at the end.
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { adminUrl, down, runningPid, start, stop, up, type PostgresState } from '../../kind/postgres/server.ts';
import { apply } from '../../operator/runtime/apply.ts';
import { testClient, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { installCrd } from './install-crd.ts';
import { postgresDatabaseOperator } from './operator.ts';
import { API_VERSION, GROUP, KIND, PLURAL, secretName, VERSION, type PostgresDatabase } from './postgres-database.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
let ns: Awaited<ReturnType<typeof testNamespace>>;
let dir: string;
let server: PostgresState;
let operator: ReturnType<typeof postgresDatabaseOperator>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-pg-test-'));
  server = await up(dir);
  await installCrd(client);
  ns = await testNamespace(kc, 'external-resource');
  // A short poll and backoff, so drift and recovery show within seconds.
  operator = postgresDatabaseOperator({ client, postgresUrl: adminUrl(server), namespace: ns.name, pollMs: 500, maxBackoffMs: 1_000, log: () => {} });
  await operator.manager.start();
  await operator.manager.leading;
});

afterAll(async () => {
  await operator?.manager.stop();
  await ns?.remove();
  if (dir) await down(dir);
});

/** One SQL query as the admin user, on a fresh connection. */
async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl(server, database) });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** How many databases and roles with this name the server holds. */
async function onServer(name: string): Promise<{ databases: number; roles: number }> {
  const [row] = await sql<{ databases: number; roles: number }>(
    'select (select count(*)::int from pg_database where datname = $1) as databases, (select count(*)::int from pg_roles where rolname = $1) as roles', [name]);
  return row;
}

const read = (name: string) => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name }) as Promise<PostgresDatabase>;
const create = (name: string, databaseName = name) => custom.createNamespacedCustomObject({
  group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name,
  body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: { databaseName } },
});
const remove = (name: string) => custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name });
const gone = (name: string) => waitFor(`PostgresDatabase ${name} to be gone`, () => read(name).then(() => undefined, () => true));

function ready(name: string, reason: string, saying = '') {
  return waitFor(`${name} to report Ready reason ${reason} ${saying}`, async () => {
    const c = (await read(name).catch(() => undefined))?.status?.conditions?.find((c) => c.type === 'Ready');
    return c?.reason === reason && c.message.includes(saying) ? c : undefined;
  });
}

/** Logs in with the Secret's url, the way an application would, and runs one statement. */
async function loginWithSecret(name: string, statement: string): Promise<void> {
  const secret = await core.readNamespacedSecret({ name: secretName({ metadata: { name } }), namespace: ns.name });
  const client = new pg.Client({ connectionString: Buffer.from(secret.data!.url, 'base64').toString() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const eventReasons = async (name: string) =>
  (await core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.name=${name}` })).items.map((e) => e.reason);

describe('PostgresDatabase operator', () => {
  it('creates the database and role, and a Secret (owned by the PostgresDatabase) an application can log in with', async () => {
    await create('shop');
    const condition = await ready('shop', 'Provisioned');
    expect(condition.status).toBe('True');
    expect(await onServer('shop')).toEqual({ databases: 1, roles: 1 });
    const secret = await core.readNamespacedSecret({ name: 'shop-postgres', namespace: ns.name });
    expect(secret.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.controller])).toEqual([[KIND, 'shop', true]]);
    await loginWithSecret('shop', 'create table orders (id int)');
    expect(await eventReasons('shop')).toContain('Created');
  });

  it('recreates a role dropped by hand, with the password in the Secret, on the next poll', async () => {
    await ready('shop', 'Provisioned');
    // Dropping a role that holds rights takes DROP OWNED first (in its database), as a DBA would
    // do; in one transaction, so the operator's next poll cannot grant the rights back in between.
    await sql('drop owned by shop; drop role shop', [], 'shop');
    expect(await onServer('shop')).toEqual({ databases: 1, roles: 0 });
    await waitFor('the role to be back', async () => ((await onServer('shop')).roles === 1 ? true : undefined));
    // The application's credentials work again, rights included: the Secret was the source of the password.
    await waitFor('a login with the Secret to work', () => loginWithSecret('shop', 'create table refunds (id int)').then(() => true, () => undefined));
    await waitFor('the DriftRepaired event', async () => ((await eventReasons('shop')).includes('DriftRepaired') ? true : undefined));
  });

  it('refuses a rename, which would mean dropping one database and creating another', async () => {
    const message = await custom.patchNamespacedCustomObject({
      group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'shop', body: [{ op: 'replace', path: '/spec/databaseName', value: 'shop2' }],
    }).then(() => 'accepted', (e: { body?: string }) => JSON.parse(e.body ?? '{}').message as string);
    expect(message).toContain('spec.databaseName cannot change; create a new PostgresDatabase instead');
    const bad = await create('bad', 'Shop-DB').then(() => 'accepted', (e: { body?: string }) => JSON.parse(e.body ?? '{}').message as string);
    expect(bad).toContain('spec.databaseName in body should match');
  });

  it.each([
    'x"; drop database postgres; --',
    "x'; drop role workshop; --",
    'shop;drop_database',
    'a b',
  ])('refuses a name that tries SQL injection: %s', async (databaseName) => {
    const refusal = await create('injection', databaseName).then(() => 'accepted', (e: { code?: number; body?: string }) => `${e.code} ${JSON.parse(e.body ?? '{}').message}`);
    expect(refusal).toMatch(/^422 .*spec\.databaseName in body should match '\^\[a-z_\]\[a-z0-9_\]\*\$'/);
  });

  it('never adopts a database it did not create', async () => {
    await sql('create database handmade');
    try {
      await create('handmade');
      const condition = await ready('handmade', 'NameTaken');
      expect(condition.message).toContain('database handmade');
      await remove('handmade');
      await gone('handmade');
      expect((await onServer('handmade')).databases).toBe(1); // not ours, so not dropped
    } finally {
      await sql('drop database if exists handmade');
    }
  });

  it('drops the database and role when the PostgresDatabase is deleted (the finalizer)', async () => {
    await remove('shop');
    await gone('shop');
    expect(await onServer('shop')).toEqual({ databases: 0, roles: 0 });
    await waitFor('the Secret to be garbage-collected', () =>
      core.readNamespacedSecret({ name: 'shop-postgres', namespace: ns.name }).then(() => undefined, () => true));
  });

  it('with the server down: says so, keeps running, blocks deletion; converges without duplicates once it is back', async () => {
    await create('before');
    await create('steady');
    await ready('before', 'Provisioned');
    await ready('steady', 'Provisioned');
    const pid = await runningPid(server);
    await stop(server);
    expect(await runningPid(server)).toBeUndefined();
    expect(pid).toBeGreaterThan(0);

    // A new request and a deletion arrive while the server is down.
    await create('during');
    const unreachable = await ready('during', 'ServerUnreachable');
    expect(unreachable.message).toMatch(/is unreachable \(.*ECONNREFUSED.*\); retrying with backoff/);
    await remove('before');
    await ready('before', 'ServerUnreachable', 'cannot drop database and role before; deletion waits until the server answers');
    expect((await read('before')).metadata?.deletionTimestamp).toBeTruthy();

    // Still alive and still trying: the errors are counted, not thrown out of the process.
    const errors = operator.metrics.total('postgres-database', 'error');
    await waitFor('more failed attempts', async () => (operator.metrics.total('postgres-database', 'error') > errors + 1 ? true : undefined));
    expect(await fetch(`${operator.manager.url}/healthz`).then((r) => r.status)).toBe(200);

    // One that was fine says so on its next poll.
    await ready('steady', 'ServerUnreachable', 'cannot provision database steady');

    await start(server);
    await ready('during', 'Provisioned');
    await ready('steady', 'Provisioned');
    await gone('before');
    expect(await onServer('during')).toEqual({ databases: 1, roles: 1 });
    expect(await onServer('before')).toEqual({ databases: 0, roles: 0 });
    const secrets = await core.listNamespacedSecret({ namespace: ns.name, labelSelector: 'app.kubernetes.io/managed-by=postgres-database' });
    expect(secrets.items.map((s) => s.metadata?.name)).toEqual(['during-postgres', 'steady-postgres']);
    await loginWithSecret('during', 'select 1');
    await loginWithSecret('steady', 'select 1');
    await remove('during');
    await remove('steady');
    await gone('during');
    await gone('steady');
  });
});

describe('the in-cluster manifest', () => {
  // Only a real node runs the container; kwok's fake nodes still check the manifest: the API
  // versions exist, and the restricted Pod Security Standard admits the pod (kwok then reports it ready).
  it('is accepted and rolls out under the restricted Pod Security Standard', async () => {
    const text = await readFile(new URL('./manifests/postgres-in-cluster.yaml', import.meta.url), 'utf8');
    for (const document of loadAll(text)) await apply(client, document as KubernetesObject, 'external-resource-test');
    try {
      const apps = kc.makeApiClient(AppsV1Api);
      await waitFor('deployment postgres to be available', async () =>
        ((await apps.readNamespacedDeployment({ name: 'postgres', namespace: 'workshop-postgres' })).status?.availableReplicas === 1 ? true : undefined));
    } finally {
      await core.deleteNamespace({ name: 'workshop-postgres' });
    }
  });
});
