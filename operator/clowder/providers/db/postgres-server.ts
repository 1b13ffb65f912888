// A PostgreSQL server as Clowder runs one for development (§14.1): a one-replica Deployment of an
// sclorg-style image (POSTGRESQL_* variables, data in /var/lib/pgsql/data), its Service on 5432,
// and, on request, a claim for its data. Two modes build it: `local` (one server per app, owned by
// the app) and `shared` (one per PostgreSQL version, owned by the environment). In both, an app
// may use another app's database instead of its own (`sharedDbAppName`).
import type { V1Deployment, V1OwnerReference, V1PersistentVolumeClaim, V1Probe, V1ResourceRequirements, V1Secret, V1Service } from '@kubernetes/client-node';
import type { DatabaseConfig } from '../../client/app-config.ts';
import { ProviderError, type AppBuild } from '../provider.ts';

export const PORT = 5432;
/** Volume sizes, smallest first: a shared server's claim takes the largest any app asks for. */
export const VOLUME_SIZES: Record<string, string> = { '': '1Gi', small: '2Gi', medium: '3Gi', large: '5Gi' };
const RESOURCES: Record<string, [string, string, string, string]> = {
  // [requests cpu, requests memory, limits cpu, limits memory]
  '': ['300m', '512Mi', '600m', '1Gi'],
  small: ['600m', '1Gi', '1200m', '2Gi'],
  medium: ['1200m', '2Gi', '1800m', '3Gi'],
  large: ['1800m', '3Gi', '2400m', '4Gi'],
};

export interface PostgresServer {
  /** Name of the Deployment, Service, claim and container alike. */
  name: string;
  namespace: string;
  owner: V1OwnerReference[];
  /** Labels of the Deployment and its pods, and of the Service, which selects by `selector`. */
  labels: Record<string, string>;
  selector: Record<string, string>;
  image: string;
  /** The credentials the server starts with, and the database it creates at first start. */
  credentials: DatabaseConfig;
  database: string;
  /** A claim of this size (a VOLUME_SIZES key) for the data, or undefined for an emptyDir. */
  volumeSize?: string;
  resourceSize: string;
  /** Resources in place of resourceSize's, for a server smaller than any size (feature flags'). */
  resources?: V1ResourceRequirements;
  serviceAccountName?: string;
}

/** The config of a server from its credentials Secret (keys hostname, port, username, password, pgPass, name). */
export function fromSecret(secret: V1Secret): DatabaseConfig {
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

/** Another app's database: no objects, the config comes from that app's `<X>-db` Secret. */
export function otherAppsDatabase(build: AppBuild, other: string): void {
  if (!build.app.spec.dependencies?.includes(other)) throw new ProviderError(`The requested app's db was not found in the dependencies: `);
  const owner = build.lookup.apps().find((a) => a.metadata?.name === other && a.spec.envName === build.app.spec.envName);
  const secret = owner && build.lookup.secret(owner.metadata!.namespace!, `${other}-db`);
  if (!secret) throw new ProviderError(`could not find the db secret of app ${other}: `);
  build.config.database = fromSecret(secret);
}

export function deployment(server: PostgresServer): V1Deployment {
  const { name, labels, credentials: db } = server;
  const [requestsCpu, requestsMemory, limitsCpu, limitsMemory] = RESOURCES[server.resourceSize] ?? RESOURCES[''];
  const pvc = server.volumeSize !== undefined;
  // The probe asks the server itself; $(VAR) is expanded by the kubelet from the container's env.
  const probe = (initialDelaySeconds: number): V1Probe => ({
    exec: { command: ['psql', '-U', '$(POSTGRESQL_USER)', '-d', '$(POSTGRESQL_DATABASE)', '-c', 'SELECT 1'] },
    initialDelaySeconds, timeoutSeconds: 2, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: server.namespace, labels, ownerReferences: server.owner },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      // One pod owns the data directory: with a volume, the old pod must stop before the new starts.
      strategy: pvc ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          ...(server.serviceAccountName ? { serviceAccountName: server.serviceAccountName } : {}),
          volumes: [pvc ? { name, persistentVolumeClaim: { claimName: name } } : { name, emptyDir: {} }],
          containers: [{
            name,
            image: server.image,
            imagePullPolicy: 'IfNotPresent',
            env: [
              { name: 'POSTGRESQL_USER', value: db.username },
              { name: 'POSTGRESQL_PASSWORD', value: db.password },
              { name: 'POSTGRESQL_ADMIN_PASSWORD', value: db.adminPassword },
              { name: 'POSTGRESQL_DATABASE', value: server.database },
            ],
            ports: [{ name: 'database', containerPort: PORT, protocol: 'TCP' }],
            livenessProbe: probe(15),
            readinessProbe: probe(45),
            volumeMounts: [{ name, mountPath: '/var/lib/pgsql/data' }],
            resources: server.resources ?? { requests: { cpu: requestsCpu, memory: requestsMemory }, limits: { cpu: limitsCpu, memory: limitsMemory } },
          }],
        },
      },
    },
  };
}

export function service(server: PostgresServer): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: server.name, namespace: server.namespace, labels: server.labels, ownerReferences: server.owner },
    // Always ClusterIP, even in NodePort environments: nothing outside should reach a dev database.
    spec: { type: 'ClusterIP', selector: server.selector, ports: [{ name: 'database', port: PORT, targetPort: PORT, protocol: 'TCP' }] },
  };
}

/** The data's claim, with no storageClassName: the cluster's default class provides it. */
export function claim(server: PostgresServer, labels: Record<string, string>): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: server.name, namespace: server.namespace, labels, ownerReferences: server.owner },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: VOLUME_SIZES[server.volumeSize ?? ''] ?? '1Gi' } } },
  };
}
