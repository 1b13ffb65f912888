// The servers an environment runs for all its apps, on the real local control plane: db `shared`
// (§14.4), one PostgreSQL per version with a database per app, and featureFlags `local` (§14.5),
// Unleash with its database and Edge. kwok runs no container, so the Deployments are checked as
// objects; the database an app pass creates is created on a real PostgreSQL on 127.0.0.1, which
// the test puts where the env's Secret says its server is, and prepares as the server image's
// first start would (its admin, its user, its own database).
import { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { adminUrl, down, up, type PostgresState } from '../../kind/postgres/server.ts';
import type { ClowdApp, ClowdAppSpec, ClowdEnvironment } from './api.ts';
import type { AppConfig } from './client/app-config.ts';
import { validateAppConfig } from './config/schema.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';
import { DEFAULT_SETTINGS } from './settings.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
let dbTns: Awaited<ReturnType<typeof testNamespace>>;
let flagsTns: Awaited<ReturnType<typeof testNamespace>>;
let dir: string;
let postgres: PostgresState;
let shared: string;
let sharedPvc: string;
let flags: string;
let ownImages: string;

const read = (secret: { data?: Record<string, string> }) => (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString();

const t = clowderTest('clowder-env-servers', {
  setup: async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8s-patterns-clowder-shared-db-'));
    postgres = await up(dir);
    dbTns = await t.namespace('clowder-shared-db');
    flagsTns = await t.namespace('clowder-flags');
    shared = `shared-${dbTns.name.slice(-6)}`;
    sharedPvc = `shared-pvc-${dbTns.name.slice(-6)}`;
    flags = `flags-${flagsTns.name.slice(-6)}`;
    ownImages = `flags-own-${flagsTns.name.slice(-6)}`;
    await t.createEnv(environment(shared, { db: { mode: 'shared' } }, { targetNamespace: dbTns.name }));
    // Nothing provisions claims for pods on fake nodes: this env's servers never get ready.
    await t.createEnv(environment(sharedPvc, { db: { mode: 'shared', pvc: true } }));
    await t.createEnv(environment(flags, { featureFlags: { mode: 'local' } }, { targetNamespace: flagsTns.name }));
    await t.createEnv(environment(
      ownImages,
      { featureFlags: { mode: 'local', images: { unleash: 'example.com/unleash:6', unleashEdge: 'example.com/edge:20' } } },
      { serviceConfig: { type: 'NodePort' } },
    ));
  },
});
const { clowd } = t;

afterAll(async () => {
  if (dir) await down(dir);
});

async function configOf(name: string): Promise<AppConfig> {
  await waitFor(`${name} to reconcile`, reconciled(() => clowd.readApp(t.ns.name, name)));
  const stored = await core.readNamespacedSecret({ name, namespace: t.ns.name });
  const config = JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()) as AppConfig;
  expect(validateAppConfig(config)).toEqual([]);
  return config;
}

/** The app's failure once its env is ready: its own, not the env's. */
async function failure(name: string): Promise<string> {
  const app = (await waitFor(`${name} to fail`, async () => {
    const a = await clowd.readApp(t.ns.name, name);
    const failed = condition(a, 'ReconciliationFailed');
    return failed?.status === 'True' && !failed.message?.startsWith('clowd env') ? a : undefined;
  })) as ClowdApp;
  return condition(app, 'ReconciliationFailed')!.message!;
}

/** Waits until the env is reconciled and manages `count` Deployments. */
async function envWith(name: string, count: number): Promise<ClowdEnvironment> {
  return (await waitFor(`${name} to manage ${count} deployments`, async () => {
    const e = await clowd.readEnv(name);
    const settled = e.status?.generation === e.metadata?.generation && condition(e, 'ReconciliationSuccessful')?.status === 'True';
    return settled && e.status?.deployments?.managedDeployments === count ? e : undefined;
  })) as ClowdEnvironment;
}

/** One statement as the server's admin (the role initdb made), on its own connection. */
async function sql(text: string): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: adminUrl(postgres) });
  await client.connect();
  return client.query(text).then((result) => result.rows).finally(() => client.end());
}

describe('§14.4 db shared', () => {
  const app = (name: string, spec: Partial<ClowdAppSpec>, env = shared) => clowd.createApp(clowdApp(name, t.ns.name, env, [{ name: 'api' }], spec));

  it('runs one server per version in <tns>, with the env\'s labels and Clowder\'s cyndi images', async () => {
    await app('orders', { database: { name: 'orders' } });
    await app('audit', { database: { name: 'audit', version: 16 } });
    await envWith(shared, 2);
    const tns = dbTns.name;
    const name = `${shared}-db-v12`;

    const secret = await core.readNamespacedSecret({ name, namespace: tns });
    expect(secret.metadata!.labels).toBeUndefined();
    expect(Object.keys(secret.data!).sort()).toEqual(['hostname', 'name', 'password', 'pgPass', 'port', 'username']);
    const value = read(secret);
    expect([value('hostname'), value('port'), value('name')]).toEqual([`${name}.${tns}.svc`, '5432', shared]);

    const d = await apps.readNamespacedDeployment({ name, namespace: tns });
    const labels = { app: shared, service: 'db', sub: 'shared_db_12' };
    expect([d.metadata!.labels, d.spec!.selector.matchLabels, d.spec!.strategy!.type]).toEqual([labels, labels, 'RollingUpdate']);
    expect(d.metadata!.ownerReferences!.map((o) => [o.kind, o.name])).toEqual([['ClowdEnvironment', shared]]);
    const c = d.spec!.template.spec!.containers[0];
    expect(c.image).toBe(DEFAULT_SETTINGS.images.postgresCyndi[12]);
    expect(c.env).toEqual([
      { name: 'POSTGRESQL_USER', value: value('username') },
      { name: 'POSTGRESQL_PASSWORD', value: value('password') },
      { name: 'POSTGRESQL_ADMIN_PASSWORD', value: value('pgPass') },
      { name: 'POSTGRESQL_DATABASE', value: shared },
    ]);
    expect(d.spec!.template.spec!.serviceAccountName).toBeUndefined();
    const s = await core.readNamespacedService({ name, namespace: tns });
    expect([s.spec!.selector, s.spec!.ports!.map((p) => [p.name, p.port])]).toEqual([labels, [['database', 5432]]]);
    const v16 = await apps.readNamespacedDeployment({ name: `${shared}-db-v16`, namespace: tns });
    expect(v16.spec!.template.spec!.containers[0].image).toBe(DEFAULT_SETTINGS.images.postgresCyndi[16]);
  });

  it('with pvc, sizes a version\'s claim for the largest database any app of that version asks for', async () => {
    // The larger first: a claim cannot grow before it is bound, so the server refuses a resize.
    await app('medium', { database: { name: 'medium', version: 12, dbVolumeSize: 'medium' } }, sharedPvc);
    await app('small', { database: { name: 'small', dbVolumeSize: 'small' } }, sharedPvc);
    const tns = (await waitFor('the pvc env\'s namespace', async () => (await clowd.readEnv(sharedPvc)).status?.targetNamespace))!;
    const name = `${sharedPvc}-db-v12`;
    const claim = await waitFor('the claim', async () => {
      const c = await core.readNamespacedPersistentVolumeClaim({ name, namespace: tns }).catch(() => undefined);
      return c?.spec?.resources?.requests?.storage === '3Gi' ? c : undefined;
    });
    expect(claim.metadata!.labels).toEqual({ app: sharedPvc, service: 'db' });
    const d = await apps.readNamespacedDeployment({ name, namespace: tns });
    expect([d.spec!.strategy, d.spec!.template.spec!.volumes]).toEqual([{ type: 'Recreate' }, [{ name, persistentVolumeClaim: { claimName: name } }]]);
  });

  it('fails an app until its server answers (kwok runs no PostgreSQL)', async () => {
    expect(await failure('orders')).toMatch(new RegExp(`^runapp: database: getaddrinfo ENOTFOUND ${shared}-db-v12\\.${dbTns.name}\\.svc`));
  });

  it('creates the app\'s database on the server, owned by the server\'s user, and gives the app that user', async () => {
    // The server's first start, played on the real PostgreSQL: what the image makes of its env.
    const name = `${shared}-db-v12`;
    const secret = await core.readNamespacedSecret({ name, namespace: dbTns.name });
    const value = read(secret);
    const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
    await sql(`CREATE ROLE postgres LOGIN SUPERUSER PASSWORD ${literal(value('pgPass'))}`);
    await sql(`CREATE ROLE "${value('username')}" LOGIN PASSWORD ${literal(value('password'))}`);
    await sql(`CREATE DATABASE "${shared}" OWNER "${value('username')}"`);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await core.patchNamespacedSecret({ name, namespace: dbTns.name, body: [
      { op: 'replace', path: '/data/hostname', value: b64('127.0.0.1') },
      { op: 'replace', path: '/data/port', value: b64(String(postgres.port)) },
    ] });
    await waitFor('the cache to see the new address', async () => (read(t.operator.caches.secrets.get(`${dbTns.name}/${name}`) ?? {})('hostname') === '127.0.0.1' ? true : undefined));
    t.operator.controllers.app.queue.add(`${t.ns.name}/orders`); // save the backoff

    const expected = {
      adminPassword: value('pgPass'), adminUsername: 'postgres', hostname: '127.0.0.1', name: 'orders',
      password: value('password'), port: postgres.port, sslMode: 'disable', username: value('username'),
    };
    expect((await configOf('orders')).database).toEqual(expected);
    const owners = await sql("SELECT r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = 'orders'");
    expect(owners).toEqual([{ rolname: value('username') }]);

    // The app's own copy, where apps that share its database find it; Clowder writes port 5432 there.
    const copy = await core.readNamespacedSecret({ name: 'orders-db', namespace: t.ns.name });
    expect([copy.type, copy.metadata!.ownerReferences!.map((o) => [o.kind, o.name])]).toEqual(['Opaque', [['ClowdApp', 'orders']]]);
    const own = read(copy);
    expect(['hostname', 'port', 'username', 'password', 'pgPass', 'name'].map(own)).toEqual(['127.0.0.1', '5432', value('username'), value('password'), value('pgPass'), 'orders']);

    await clowd.createApp(clowdApp('reports', t.ns.name, shared, [{ name: 'api' }], { database: { sharedDbAppName: 'orders' }, dependencies: ['orders'] }));
    expect((await configOf('reports')).database).toEqual({ ...expected, port: 5432 });
  });
});

describe('§14.5 featureFlags local', () => {
  it('runs Unleash, its database and Edge in <tns>, and gives every app the server and the client token', async () => {
    await clowd.createApp(clowdApp('flagged', t.ns.name, flags, [{ name: 'api' }]));
    await envWith(flags, 3);
    const tns = flagsTns.name;
    const name = `${flags}-featureflags`;

    const tokens = read(await core.readNamespacedSecret({ name, namespace: tns }));
    expect(tokens('adminAccessToken')).toMatch(/^\*:\*\.[0-9a-f]{32}$/);
    expect(tokens('clientAccessToken')).toMatch(/^default:development\.[0-9a-f]{32}$/);
    expect((await configOf('flagged')).featureFlags).toEqual({ clientAccessToken: tokens('clientAccessToken'), hostname: `${name}.${tns}.svc`, port: 4242, scheme: 'http' });

    const ref = (c: { env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name?: string; key: string } } }[] }) =>
      c.env!.map((e) => (e.valueFrom ? `${e.name}<-${e.valueFrom.secretKeyRef!.name}/${e.valueFrom.secretKeyRef!.key}` : `${e.name}=${e.value}`));
    const unleash = await apps.readNamespacedDeployment({ name, namespace: tns });
    const labels = { app: flags, 'env-app': name, service: 'featureflags' };
    expect([unleash.metadata!.labels, unleash.spec!.selector.matchLabels, unleash.spec!.replicas]).toEqual([labels, labels, 1]);
    const server = unleash.spec!.template.spec!.containers[0];
    expect([server.name, server.image, server.ports]).toEqual([name, 'unleashorg/unleash-server:5.6.9', [{ name: 'service', containerPort: 4242, protocol: 'TCP' }]]);
    expect(ref(server)).toEqual(['DATABASE_SSL=false', 'DATABASE_URL<-featureflags-db/connectionURL', `INIT_CLIENT_API_TOKENS<-${name}/clientAccessToken`, `INIT_ADMIN_API_TOKENS<-${name}/adminAccessToken`]);
    expect([server.readinessProbe!.httpGet!.path, server.readinessProbe!.httpGet!.port, server.readinessProbe!.initialDelaySeconds]).toEqual(['/health', 4242, 40]);
    const service = await core.readNamespacedService({ name, namespace: tns });
    expect([service.spec!.selector, service.spec!.ports!.map((p) => [p.name, p.port])]).toEqual([labels, [['featureflags', 4242]]]);

    const db = read(await core.readNamespacedSecret({ name: 'featureflags-db', namespace: tns }));
    expect([db('hostname'), db('name')]).toEqual([`featureflags-db.${tns}.svc`, 'unleash']);
    expect(db('connectionURL')).toBe(`postgres://${db('username')}:${encodeURIComponent(db('password'))}@featureflags-db.${tns}.svc/unleash`);
    const database = await apps.readNamespacedDeployment({ name: 'featureflags-db', namespace: tns });
    expect(database.metadata!.labels).toEqual({ app: flags, service: 'db', sub: 'feature_flags' });
    const pgContainer = database.spec!.template.spec!.containers[0];
    expect([pgContainer.image, pgContainer.env!.at(-1), pgContainer.resources]).toEqual([
      DEFAULT_SETTINGS.images.postgres[16], { name: 'POSTGRESQL_DATABASE', value: 'unleash' },
      { limits: { cpu: '100m', memory: '200Mi' }, requests: { cpu: '50m', memory: '100Mi' } },
    ]);

    const edge = (await apps.readNamespacedDeployment({ name: `${name}-edge`, namespace: tns })).spec!.template.spec!.containers[0];
    expect([edge.image, edge.args, edge.ports![0].containerPort, edge.readinessProbe!.exec!.command]).toEqual(['unleashorg/unleash-edge:v19.6.3', ['edge'], 3063, ['/unleash-edge', 'ready']]);
    expect(ref(edge)).toEqual([`UPSTREAM_URL=http://${name}:4242`, `TOKENS<-${name}/clientAccessToken`]);
    const ingress = await kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name, namespace: tns });
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [{ http: { paths: [{ path: '/api/client/features', pathType: 'Prefix', backend: { service: { name: `${name}-edge`, port: { name: 'unleash-edge' } } } }] } }],
    });
  });

  it('takes the env\'s images over Clowder\'s, and its Service type', async () => {
    const tns = (await envWith(ownImages, 3)).status!.targetNamespace!;
    const name = `${ownImages}-featureflags`;
    const image = async (deployment: string) => (await apps.readNamespacedDeployment({ name: deployment, namespace: tns })).spec!.template.spec!.containers[0].image;
    expect([await image(name), await image(`${name}-edge`)]).toEqual(['example.com/unleash:6', 'example.com/edge:20']);
    expect((await core.readNamespacedService({ name, namespace: tns })).spec!.type).toBe('NodePort');
    // A development database is never reachable from outside (§14.1).
    expect((await core.readNamespacedService({ name: 'featureflags-db', namespace: tns })).spec!.type).toBe('ClusterIP');
  });
});
