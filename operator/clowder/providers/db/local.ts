// Database, mode `local` (§14.1): a PostgreSQL Deployment per app that asks for one
// (`database.name`), for development environments. Its credentials are generated once, stored
// in a Secret, and read back on every later pass: regenerating them would lock the app out of
// its own data. An app may instead use another app's database (`database.sharedDbAppName`).
//
// Owned resources (in the app namespace, owned by the app):
// - Secret `<app>-db` (created once; no labels, so pruning never touches it)
// - Deployment `<app>-db`
// - Service `<app>-db`
// - PersistentVolumeClaim `<app>-db` (only with `providers.db.pvc: true`)
import type { V1Deployment, V1PersistentVolumeClaim, V1Probe, V1Secret, V1Service } from '@kubernetes/client-node';
import type { DatabaseConfig } from '../../client/app-config.ts';
import { appLabels, ownedBy } from '../../ownership.ts';
import { ALPHANUMERIC, randomString } from '../../random.ts';
import { ProviderError, type AppBuild } from '../provider.ts';

const PORT = 5432;
const VOLUME_SIZES: Record<string, string> = { '': '1Gi', small: '2Gi', medium: '3Gi', large: '5Gi' };
const RESOURCES: Record<string, [string, string, string, string]> = {
  // [requests cpu, requests memory, limits cpu, limits memory]
  '': ['300m', '512Mi', '600m', '1Gi'],
  small: ['600m', '1Gi', '1200m', '2Gi'],
  medium: ['1200m', '2Gi', '1800m', '3Gi'],
  large: ['1800m', '3Gi', '2400m', '4Gi'],
};

export async function provide(build: AppBuild): Promise<void> {
  const { app } = build;
  const database = app.spec.database;
  if (database?.sharedDbAppName) return shared(build, database.sharedDbAppName);
  if (!database?.name) return;

  const namespace = app.metadata!.namespace!;
  const name = `${app.metadata!.name}-db`;
  // With cyndi, a pipeline keeps a copy of the host inventory in the app's database; Clowder runs
  // a variant of its image made for that.
  const images = app.spec.cyndi?.enabled ? build.settings.images.postgresCyndi : build.settings.images.postgres;
  const image = images[database.version ?? 12];
  if (!image) throw new ProviderError(`no default image for PostgreSQL version ${database.version}`);

  let secret = build.lookup.secret(namespace, name);
  if (!secret) {
    secret = credentials(build, name, database.name);
    await build.createSecretOnce(secret);
  }
  const config = fromSecret(secret);
  build.config.database = config;

  const pvc = Boolean(build.env.spec.providers.db?.pvc);
  const labels = { ...appLabels(app), service: 'db', sub: 'local_db' };
  build.objects.push(service(build, name, labels), deployment(build, name, labels, image, config, pvc, database.dbResourceSize ?? ''));
  if (pvc) build.objects.push(claim(build, name, database.dbVolumeSize ?? ''));
}

/** Another app's database: no objects, the config comes from that app's `<X>-db` Secret. */
function shared(build: AppBuild, other: string): void {
  if (!build.app.spec.dependencies?.includes(other)) throw new ProviderError(`The requested app's db was not found in the dependencies: `);
  const owner = build.lookup.apps().find((a) => a.metadata?.name === other && a.spec.envName === build.app.spec.envName);
  const secret = owner && build.lookup.secret(owner.metadata!.namespace!, `${other}-db`);
  if (!secret) throw new ProviderError(`could not find the db secret of app ${other}: `);
  build.config.database = fromSecret(secret);
}

function credentials(build: AppBuild, name: string, dbName: string): V1Secret {
  const namespace = build.app.metadata!.namespace!;
  const hostname = `${name}.${namespace}.svc`;
  const [username, password, pgPass] = [randomString(16, ALPHANUMERIC), randomString(16, ALPHANUMERIC), randomString(16, ALPHANUMERIC)];
  const values: Record<string, string> = {
    hostname, 'db.host': hostname, port: String(PORT), 'db.port': String(PORT),
    username, 'db.user': username, password, 'db.password': password, pgPass, name: dbName, 'db.name': dbName,
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ownerReferences: ownedBy(build.app) },
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

function fromSecret(secret: V1Secret): DatabaseConfig {
  const read = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  return {
    adminPassword: read('pgPass'),
    adminUsername: 'postgres',
    hostname: read('hostname'),
    name: read('name'),
    password: read('password'),
    port: Number(read('port')),
    sslMode: 'disable',
    username: read('username'),
  };
}

function deployment(build: AppBuild, name: string, labels: Record<string, string>, image: string, db: DatabaseConfig, pvc: boolean, size: string): V1Deployment {
  const [requestsCpu, requestsMemory, limitsCpu, limitsMemory] = RESOURCES[size] ?? RESOURCES[''];
  // The probe asks the server itself; $(VAR) is expanded by the kubelet from the container's env.
  const probe = (initialDelaySeconds: number): V1Probe => ({
    exec: { command: ['psql', '-U', '$(POSTGRESQL_USER)', '-d', '$(POSTGRESQL_DATABASE)', '-c', 'SELECT 1'] },
    initialDelaySeconds, timeoutSeconds: 2, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: build.app.metadata!.namespace, labels, ownerReferences: ownedBy(build.app) },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      // One pod owns the data directory: with a volume, the old pod must stop before the new starts.
      strategy: pvc ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: `${build.app.metadata!.name}-app`,
          volumes: [pvc ? { name, persistentVolumeClaim: { claimName: name } } : { name, emptyDir: {} }],
          containers: [{
            name,
            image,
            imagePullPolicy: 'IfNotPresent',
            env: [
              { name: 'POSTGRESQL_USER', value: db.username },
              { name: 'POSTGRESQL_PASSWORD', value: db.password },
              { name: 'POSTGRESQL_ADMIN_PASSWORD', value: db.adminPassword },
              { name: 'POSTGRESQL_DATABASE', value: db.name },
            ],
            ports: [{ name: 'database', containerPort: PORT, protocol: 'TCP' }],
            livenessProbe: probe(15),
            readinessProbe: probe(45),
            volumeMounts: [{ name, mountPath: '/var/lib/pgsql/data' }],
            resources: { requests: { cpu: requestsCpu, memory: requestsMemory }, limits: { cpu: limitsCpu, memory: limitsMemory } },
          }],
        },
      },
    },
  };
}

function service(build: AppBuild, name: string, labels: Record<string, string>): V1Service {
  const app = appLabels(build.app).app;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: build.app.metadata!.namespace, labels, ownerReferences: ownedBy(build.app) },
    // Always ClusterIP, even in NodePort environments: nothing outside should reach a dev database.
    spec: { type: 'ClusterIP', selector: { service: 'db', app, sub: 'local_db' }, ports: [{ name: 'database', port: PORT, targetPort: PORT, protocol: 'TCP' }] },
  };
}

function claim(build: AppBuild, name: string, size: string): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: build.app.metadata!.namespace, labels: { ...appLabels(build.app), service: 'db' }, ownerReferences: ownedBy(build.app) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: VOLUME_SIZES[size] ?? '1Gi' } } },
  };
}
