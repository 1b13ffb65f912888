// The providers beyond web and metrics, on the real local control plane: RBAC and pull secrets
// (§8.2, §8.3), CronJobs (§9), the local database and redis (§14.1, §14.2) and the config-only
// modes (§6.6, §15.2). One environment switches all of them on; a second one covers the modes
// that exclude the first's (elasticache). Kafka `operator` has a file of its own: kafka-operator.test.ts.
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import type { ClowdApp, ClowdAppSpec, ClowdJobInvocation, DeploymentSpec } from './api.ts';
import type { AppConfig } from './client/app-config.ts';
import { validateAppConfig } from './config/schema.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const suffix = randomBytes(3).toString('hex');
const full = `full-${suffix}`;
const other = `other-${suffix}`;
const minio = `minio-${suffix}`;
const pvc = `pvc-${suffix}`;
/** MinIO's own namespace, made by the test so that its pod goes to a fake node (the image exists nowhere here). */
let minioNs: Awaited<ReturnType<typeof testNamespace>>;

const b64 = (text: string) => Buffer.from(text).toString('base64');

const t = clowderTest('clowder-providers', {
  setup: async () => {
    // What the app-interface modes expect someone else to have provisioned.
    await t.secret('registry', { '.dockerconfigjson': '{"auths":{}}' });
    await t.secret('cloudwatch', { aws_access_key_id: 'AK', aws_secret_access_key: 'SK', aws_region: 'eu-1', log_group_name: 'logs' });
    await t.secret('unleash', { CLIENT_ACCESS_TOKEN: 'token' });
    await t.secret('kafka-creds', { hostnames: 'k1.example.com,k2.example.com', port: '9096', username: 'u', password: 'p' });
    await t.secret('s3', { aws_access_key_id: 'AK', aws_secret_access_key: 'SK', endpoint: 's3.example.com', bucket: 'reports-1a2b' });
    await t.secret('in-memory-db', { 'db.endpoint': 'cache.example.com', 'db.port': '6380', 'db.auth_token': 'tok' });
    await t.createEnv(environment(full, {
      db: { mode: 'local' },
      inMemoryDb: { mode: 'redis' },
      logging: { mode: 'app-interface' },
      featureFlags: { mode: 'app-interface', hostname: 'flags.example.com', port: 443, credentialRef: { name: 'unleash', namespace: t.ns.name } },
      kafka: { mode: 'managed', managedSecretRef: { name: 'kafka-creds', namespace: t.ns.name }, managedPrefix: 'pre.' },
      objectStore: { mode: 'app-interface' },
      pullSecrets: [{ name: 'registry', namespace: t.ns.name }],
    }));
    await t.createEnv(environment(
      other,
      { inMemoryDb: { mode: 'elasticache' }, serviceMesh: { mode: 'enabled' }, deployment: { omitPullPolicy: true } },
      { serviceConfig: { type: 'NodePort' } },
    ));
    await t.createEnv(environment(pvc, { db: { mode: 'local', pvc: true } }));
    minioNs = await t.namespace('clowder-minio');
    await t.createEnv(environment(minio, { objectStore: { mode: 'minio' } }, { targetNamespace: minioNs.name }));
  },
});
const { clowd } = t;

async function deploy(name: string, env: string, deployments: Partial<DeploymentSpec>[], spec: Partial<ClowdAppSpec> = {}) {
  await clowd.createApp(clowdApp(name, t.ns.name, env, deployments, spec));
  const app = (await waitFor(`${name} to reconcile`, reconciled(() => clowd.readApp(t.ns.name, name)))) as ClowdApp;
  const stored = await core.readNamespacedSecret({ name, namespace: t.ns.name });
  const config = JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()) as AppConfig;
  expect(validateAppConfig(config)).toEqual([]);
  return { app, config };
}

async function failure(name: string, env: string, spec: Partial<ClowdAppSpec>) {
  await clowd.createApp(clowdApp(name, t.ns.name, env, [{ name: 'a' }], spec));
  const app = await waitFor(`${name} to fail`, async () => {
    const a = await clowd.readApp(t.ns.name, name);
    return condition(a, 'ReconciliationFailed')?.status === 'True' ? a : undefined;
  });
  return condition(app, 'ReconciliationFailed')!.message;
}

describe('§14.1 db local', () => {
  it('creates <app>-db Secret, Deployment and Service, and writes the database config from the Secret', async () => {
    const { app, config } = await deploy('shop', full, [{ name: 'api' }], { database: { name: 'orders', version: 13, dbResourceSize: 'small' } });
    const dbSecret = await core.readNamespacedSecret({ name: 'shop-db', namespace: t.ns.name });
    const read = (k: string) => Buffer.from(dbSecret.data![k], 'base64').toString();
    expect(dbSecret.metadata!.labels).toBeUndefined();
    expect(read('username')).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(config.database).toEqual({
      adminPassword: read('pgPass'), adminUsername: 'postgres', hostname: `shop-db.${t.ns.name}.svc`, name: 'orders',
      password: read('password'), port: 5432, sslMode: 'disable', username: read('username'),
    });
    const d = await apps.readNamespacedDeployment({ name: 'shop-db', namespace: t.ns.name });
    const c = d.spec!.template.spec!.containers[0];
    expect(d.metadata!.labels).toEqual({ app: 'shop', service: 'db', sub: 'local_db' });
    expect(c.image).toBe('quay.io/cloudservices/postgresql-rds:13-2318dee');
    expect(c.env!.map((e) => e.name)).toEqual(['POSTGRESQL_USER', 'POSTGRESQL_PASSWORD', 'POSTGRESQL_ADMIN_PASSWORD', 'POSTGRESQL_DATABASE']);
    expect(c.resources).toEqual({ requests: { cpu: '600m', memory: '1Gi' }, limits: { cpu: '1200m', memory: '2Gi' } });
    expect(d.spec!.template.spec!.serviceAccountName).toBe('shop-app');
    const s = await core.readNamespacedService({ name: 'shop-db', namespace: t.ns.name });
    expect(s.spec!.selector).toEqual({ service: 'db', app: 'shop', sub: 'local_db' });
    expect(s.spec!.ports!.map((p) => [p.name, p.port])).toEqual([['database', 5432]]);
    // The db Deployment counts as managed by the app.
    expect(app.status!.deployments!.managedDeployments).toBe(2);
  });

  it('keeps the generated credentials across reconciles', async () => {
    const before = (await core.readNamespacedSecret({ name: 'shop-db', namespace: t.ns.name })).data;
    await clowd.patchApp(t.ns.name, 'shop', [{ op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } }]);
    await waitFor('the annotated Deployment', async () =>
      (await apps.readNamespacedDeployment({ name: 'shop-api', namespace: t.ns.name })).metadata!.annotations?.touched ? true : undefined);
    expect((await core.readNamespacedSecret({ name: 'shop-db', namespace: t.ns.name })).data).toEqual(before);
  });
});

describe('§14.1 db local on a volume', () => {
  it('claims the volume with no class, and the API server gives it the default class, standard, as on kind', async () => {
    await deploy('stock', pvc, [{ name: 'api' }], { database: { name: 'stock', dbVolumeSize: 'medium' } });
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'stock-db', namespace: t.ns.name });
    expect(claim.metadata!.labels).toEqual({ app: 'stock', service: 'db' });
    expect(claim.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '3Gi' } }, storageClassName: 'standard' });
    const d = await apps.readNamespacedDeployment({ name: 'stock-db', namespace: t.ns.name });
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec!.template.spec!.volumes).toEqual([{ name: 'stock-db', persistentVolumeClaim: { claimName: 'stock-db' } }]);
  });
});

describe('§14.1 db local images', () => {
  it('runs Clowder\'s pinned image of the version asked for, its cyndi variant for an app with cyndi enabled', async () => {
    await deploy('pg16', full, [{ name: 'api' }], { database: { name: 'pg16', version: 16 } });
    await deploy('cyndi12', full, [{ name: 'api' }], { database: { name: 'hosts' }, cyndi: { enabled: true, appName: 'hosts' } });
    await deploy('cyndi16', full, [{ name: 'api' }], { database: { name: 'hosts', version: 16 }, cyndi: { enabled: true } });
    const image = async (app: string) => (await apps.readNamespacedDeployment({ name: `${app}-db`, namespace: t.ns.name })).spec!.template.spec!.containers[0].image;
    expect(await Promise.all(['pg16', 'cyndi12', 'cyndi16'].map(image))).toEqual([
      'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds:d44b8d1',
      'quay.io/cloudservices/postgresql-rds:cyndi-12-2318dee',
      'quay.io/redhat-services-prod/hcm-eng-prod-tenant/postgresql-rds-cyndi:d44b8d1',
    ]);
  });
});

describe('§10 shared databases', () => {
  it('an app with sharedDbAppName gets the other app\'s database, and must list it as a dependency', async () => {
    const { config } = await deploy('reader', full, [{ name: 'api' }], { database: { sharedDbAppName: 'shop' }, dependencies: ['shop'] });
    const shop = await core.readNamespacedSecret({ name: 'shop', namespace: t.ns.name });
    expect(config.database).toEqual(JSON.parse(Buffer.from(shop.data!['cdappconfig.json'], 'base64').toString()).database);
    await expect(apps.readNamespacedDeployment({ name: 'reader-db', namespace: t.ns.name })).rejects.toMatchObject({ code: 404 });
    expect(await failure('lonely', full, { database: { sharedDbAppName: 'shop' } })).toBe("runapp: database: The requested app's db was not found in the dependencies: ");
  });
});

describe('§14.2 inMemoryDb redis', () => {
  it('creates the redis Deployment, Service, ConfigMap and Secret, and the inMemoryDb config', async () => {
    const { config } = await deploy('cache', full, [{ name: 'api' }], { inMemoryDb: true });
    expect(config.inMemoryDb).toEqual({ hostname: `cache-redis.${t.ns.name}.svc`, port: 6379, sslMode: false });
    const d = await apps.readNamespacedDeployment({ name: 'cache-redis', namespace: t.ns.name });
    expect(d.metadata!.labels).toEqual({ app: 'cache', 'env-app': 'cache-redis', service: 'redis' });
    // Clowder's pinned image; the workshop's config replaces it (workshop-config.test.ts).
    expect(d.spec!.template.spec!.containers[0].image).toBe('registry.redhat.io/rhel10/valkey-8:10.0');
    const cm = await core.readNamespacedConfigMap({ name: 'cache-redis', namespace: t.ns.name });
    expect(cm.data!['redis.conf']).toContain('protected-mode no');
    const s = await core.readNamespacedService({ name: 'cache-redis', namespace: t.ns.name });
    expect(s.spec!.ports!.map((p) => [p.name, p.port])).toEqual([['redis', 6379]]);
  });
});

describe('§6.6 and §15.2: config-only modes', () => {
  it('logging, featureFlags, kafka managed and objectStore app-interface fill their sections', async () => {
    const { config } = await deploy('cfg', full, [{ name: 'api' }], { kafkaTopics: [{ topicName: 'events' }], objectStore: ['reports'] });
    expect(config.logging).toEqual({ type: 'cloudwatch', cloudwatch: { accessKeyId: 'AK', secretAccessKey: 'SK', region: 'eu-1', logGroup: 'logs' } });
    expect(config.featureFlags).toEqual({ hostname: 'flags.example.com', port: 443, scheme: 'https', clientAccessToken: 'token' });
    const sasl = { password: 'p', saslMechanism: 'PLAIN', securityProtocol: 'SASL_SSL', username: 'u' };
    expect(config.kafka).toEqual({
      brokers: ['k1.example.com', 'k2.example.com'].map((hostname) => ({ authtype: 'sasl', hostname, port: 9096, sasl, securityProtocol: 'SASL_SSL' })),
      topics: [{ name: 'pre.events', requestedName: 'events' }],
    });
    expect(config.objectStore).toEqual({
      buckets: [{ accessKey: 'AK', endpoint: 's3.example.com', name: 'reports-1a2b', region: '', requestedName: 'reports', secretKey: 'SK', tls: true }],
      hostname: 's3.example.com', port: 443, tls: true,
    });
  });

  it('a missing bucket fails the objectstore provider', async () => {
    expect(await failure('nobucket', full, { objectStore: ['photos'] })).toBe('runapp: objectstore: Missing buckets from app-interface: photos');
  });

  it('elasticache reads the in-memory-db Secret', async () => {
    const { config } = await deploy('ec', other, [{ name: 'api' }], { inMemoryDb: true });
    expect(config.inMemoryDb).toEqual({ hostname: 'cache.example.com', port: 6380, sslMode: true, password: 'tok' });
  });

  it('§7 a changed env-half Secret (the feature-flag token) rolls the app and updates its config', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'cfg-api', namespace: t.ns.name });
    await core.patchNamespacedSecret({ name: 'unleash', namespace: t.ns.name, body: [{ op: 'replace', path: '/data/CLIENT_ACCESS_TOKEN', value: b64('rotated') }] });
    await waitFor('the rollout', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'cfg-api', namespace: t.ns.name });
      return d.metadata!.generation === before.metadata!.generation! + 1 ? d : undefined;
    });
    const stored = await core.readNamespacedSecret({ name: 'cfg', namespace: t.ns.name });
    expect(JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()).featureFlags.clientAccessToken).toBe('rotated');
  });

});

describe('§8 RBAC and pull secrets', () => {
  it('binds view/edit per deployment, copies pull secrets and lists them on every ServiceAccount', async () => {
    await deploy('rbac', full, [{ name: 'reader', k8sAccessLevel: 'view' }, { name: 'writer', k8sAccessLevel: 'edit' }, { name: 'plain' }]);
    const binding = await rbac.readNamespacedRoleBinding({ name: 'rbac-reader', namespace: t.ns.name });
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rbac-reader', namespace: t.ns.name }]);
    expect((await rbac.readNamespacedRoleBinding({ name: 'rbac-writer', namespace: t.ns.name })).roleRef.name).toBe('edit');
    await expect(rbac.readNamespacedRoleBinding({ name: 'rbac-plain', namespace: t.ns.name })).rejects.toMatchObject({ code: 404 });

    const copy = await core.readNamespacedSecret({ name: `${full}-registry-clowder-copy`, namespace: t.ns.name });
    expect(copy.metadata!.labels).toEqual({ app: full });
    expect(copy.metadata!.ownerReferences![0]).toMatchObject({ kind: 'ClowdEnvironment', name: full });
    for (const sa of ['rbac-reader', 'rbac-app']) {
      expect((await core.readNamespacedServiceAccount({ name: sa, namespace: t.ns.name })).imagePullSecrets).toEqual([{ name: `${full}-registry-clowder-copy` }]);
    }
    // The env copies them into its target namespace too, for its own ServiceAccount.
    const tns = (await clowd.readEnv(full)).status!.targetNamespace!;
    const envAccount = await core.readNamespacedServiceAccount({ name: `${full}-env`, namespace: tns });
    expect(envAccount.imagePullSecrets).toEqual([{ name: `${full}-registry-clowder-copy` }]);
    expect((await core.readNamespacedSecret({ name: `${full}-registry-clowder-copy`, namespace: tns })).type).toBe(copy.type);
  });

  it('prunes a RoleBinding whose access level went back to default', async () => {
    await clowd.patchApp(t.ns.name, 'rbac', [{ op: 'replace', path: '/spec/deployments/0/k8sAccessLevel', value: 'default' }]);
    await waitFor('the RoleBinding to go', async () => rbac.readNamespacedRoleBinding({ name: 'rbac-reader', namespace: t.ns.name }).then(() => undefined, () => true));
  });
});

describe('§9 jobs', () => {
  it('makes a CronJob for a scheduled job only, with the config mounted and configHash on its pods', async () => {
    await deploy('jobs', full, [], {
      jobs: [
        { name: 'nightly', schedule: '0 3 * * *', podSpec: { image: 'job:1', env: [{ name: 'A', value: '1' }] } },
        { name: 'once', podSpec: { image: 'job:1' } },
        { name: 'off', schedule: '0 4 * * *', disabled: true, podSpec: { image: 'job:1' } },
      ],
    });
    const cron = await batch.readNamespacedCronJob({ name: 'jobs-nightly', namespace: t.ns.name });
    expect(cron.metadata!.labels).toEqual({ app: 'jobs', pod: 'jobs-nightly' });
    expect(cron.spec!.concurrencyPolicy).toBe('Allow');
    const pod = cron.spec!.jobTemplate.spec!.template;
    expect(pod.spec!.restartPolicy).toBe('Never');
    expect(pod.spec!.serviceAccountName).toBe('jobs-app');
    expect(pod.spec!.containers[0].env!.map((e) => e.name)).toEqual(['A', 'ACG_CONFIG']);
    expect(pod.spec!.containers[0].ports).toEqual([{ name: 'metrics', containerPort: 9000, protocol: 'TCP' }]);
    expect(pod.metadata!.annotations!.configHash).toMatch(/^[0-9a-f]{64}$/);
    const all = (await batch.listNamespacedCronJob({ namespace: t.ns.name })).items.map((c) => c.metadata!.name);
    expect(all.filter((n) => n!.startsWith('jobs-'))).toEqual(['jobs-nightly']);
  });
});

describe('§9.3 ClowdJobInvocation', () => {
  const custom = () => kc.makeApiClient(CustomObjectsApi);
  const cji = (name: string, spec: object) =>
    custom().createNamespacedCustomObject({ group: 'cloud.redhat.com', version: 'v1alpha1', plural: 'clowdjobinvocations', namespace: t.ns.name, body: { apiVersion: 'cloud.redhat.com/v1alpha1', kind: 'ClowdJobInvocation', metadata: { name }, spec } });
  const read = (name: string) =>
    custom().getNamespacedCustomObject({ group: 'cloud.redhat.com', version: 'v1alpha1', plural: 'clowdjobinvocations', namespace: t.ns.name, name }) as Promise<ClowdJobInvocation>;

  it('starts one Job per listed job, owned by the invocation, and records it in jobMap', async () => {
    await cji('run-once', { appName: 'jobs', jobs: ['once'] });
    const invoked = await waitFor('the jobMap', async () => {
      const c = await read('run-once');
      return c.status?.jobMap?.once ? c : undefined;
    });
    expect(['Invoked', 'Complete']).toContain(invoked.status!.jobMap.once);
    const [job] = (await batch.listNamespacedJob({ namespace: t.ns.name, labelSelector: 'clowdjob=run-once' })).items;
    expect(job.metadata!.name).toMatch(/^jobs-once-[a-z0-9]{7}$/);
    expect(job.metadata!.labels).toMatchObject({ clowdjob: 'run-once', job: 'jobs-once' });
    expect(job.metadata!.ownerReferences![0]).toMatchObject({ kind: 'ClowdJobInvocation', name: 'run-once', controller: true });
    expect(job.spec!.template.spec!.containers[0].env!.at(-1)!.name).toBe('ACG_CONFIG');
  });

  it.each([
    ['a disabled invocation completes at once with an empty jobMap', 'cji-off', { appName: 'jobs', jobs: ['once'], disabled: true }, { completed: true, jobMap: {} }, ''],
    ['an unknown job fails', 'cji-nojob', { appName: 'jobs', jobs: ['nope'] }, { completed: false, jobMap: {} }, 'No such job nope: '],
    ['a disabled job fails', 'cji-disabled-job', { appName: 'jobs', jobs: ['off'] }, { completed: false, jobMap: {} }, 'Job [off] is disabled: '],
  ])('%s', async (_name, name, spec, expected, failure) => {
    await cji(name, spec);
    const c = await waitFor(`${name} status`, async () => {
      const x = await read(name);
      return x.status?.conditions?.length ? x : undefined;
    });
    expect({ completed: c.status!.completed, jobMap: c.status!.jobMap }).toEqual(expected);
    const failed = c.status!.conditions!.find((x) => x.type === 'ReconciliationFailed')!;
    expect(failed.message).toBe(failure);
  });
});

describe('env settings that change every Deployment and Service', () => {
  it('§4.7 service mesh annotations, §4.8 omitPullPolicy, §5.2 NodePort and back', async () => {
    await deploy('mesh', other, [{ name: 'latest', web: true, podSpec: { image: 'repo/x:latest' } }, { name: 'pinned', podSpec: { image: 'repo/x:1' } }]);
    const [latest, pinned] = await Promise.all(['mesh-latest', 'mesh-pinned'].map((name) => apps.readNamespacedDeployment({ name, namespace: t.ns.name })));
    expect(latest.spec!.template.metadata!.annotations).toMatchObject({
      'sidecar.istio.io/inject': 'true',
      'traffic.sidecar.istio.io/excludeOutboundPorts': '443,9093,5432,10000',
    });
    expect([latest, pinned].map((d) => d.spec!.template.spec!.containers[0].imagePullPolicy)).toEqual(['Always', 'IfNotPresent']);
    const service = () => core.readNamespacedService({ name: 'mesh-latest', namespace: t.ns.name });
    const nodePorts = (await service()).spec!.ports!.map((p) => p.nodePort);
    expect((await service()).spec!.type).toBe('NodePort');
    expect(nodePorts.every((p) => p! > 0)).toBe(true);

    // Switching back: the ports lose their nodePorts, which a ClusterIP Service may not have.
    await clowd.patchEnv(other, [{ op: 'replace', path: '/spec/serviceConfig/type', value: 'ClusterIP' }]);
    const clusterIp = await waitFor('a ClusterIP Service', async () => {
      const s = await service();
      return s.spec!.type === 'ClusterIP' ? s : undefined;
    });
    expect(clusterIp.spec!.ports!.map((p) => p.nodePort)).toEqual([undefined, undefined]);
  });
});

describe('§14.3 objectStore minio', () => {
  it('runs one MinIO per env in <tns>, counted in the env status', async () => {
    const env = await waitFor('the minio env to be ready', async () => {
      const e = await clowd.readEnv(minio);
      return e.status?.ready && e.status.deployments?.managedDeployments === 1 && e.status.generation === e.metadata?.generation ? e : undefined;
    });
    const tns = env.status!.targetNamespace!;
    const stored = await core.readNamespacedSecret({ name: `${minio}-minio`, namespace: tns });
    const read = (k: string) => Buffer.from(stored.data![k], 'base64').toString();
    expect(stored.metadata!.labels).toBeUndefined();
    expect([read('accessKey'), read('secretKey')].every((k) => /^[A-Za-z0-9]{12}$/.test(k))).toBe(true);
    expect([read('hostname'), read('port')]).toEqual([`${minio}-minio.${tns}.svc`, '9000']);
    const d = await apps.readNamespacedDeployment({ name: `${minio}-minio`, namespace: tns });
    expect(d.metadata!.labels).toEqual({ app: minio, 'env-app': `${minio}-minio` });
    const c = d.spec!.template.spec!.containers[0];
    expect([c.image, c.args]).toEqual(['minio/minio:RELEASE.2020-11-19T23-48-16Z-amd64', ['server', '/storage']]);
    expect(c.env!.map((e) => `${e.name}<-${e.valueFrom!.secretKeyRef!.key}`)).toEqual(['MINIO_ACCESS_KEY<-accessKey', 'MINIO_SECRET_KEY<-secretKey', 'MINIO_ROOT_USER<-accessKey', 'MINIO_ROOT_PASSWORD<-secretKey']);
    expect(d.spec!.template.spec!.serviceAccountName).toBe(`${minio}-env`);
    const s = await core.readNamespacedService({ name: `${minio}-minio`, namespace: tns });
    expect(s.spec!.ports!.map((p) => [p.name, p.port])).toEqual([['minio', 9000]]);
    const { items: [policy] } = await kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: tns });
    expect(policy.metadata!.name).toBe('allow-from-clowder-system-namespace');
  });

  it('fails an app with buckets until MinIO answers (kwok runs no MinIO)', async () => {
    expect(await failure('buckets', minio, { objectStore: ['photos'] })).toBe('runapp: objectstore: bucket "photos" -- failed to check if bucket exists');
    await expect(core.readNamespacedSecret({ name: 'buckets', namespace: t.ns.name })).rejects.toMatchObject({ code: 404 });
  });
});
