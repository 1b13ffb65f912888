// Feature flags, mode `local` (§14.5): an Unleash server per environment, in its target
// namespace, with a PostgreSQL of its own and Unleash Edge in front of it for clients. The env
// half runs them; every app of the env gets the server's address and the client token in its
// config, whatever its own `featureFlags` field says (as in mode app-interface).
//
// Owned resources (in <tns>, owned by the env):
// - Secret `<env>-featureflags`: the admin and client API tokens (generated once, no labels)
// - Deployment and Service `<env>-featureflags` (Unleash, port 4242)
// - Secret `featureflags-db` (generated once, no labels), Deployment and Service `featureflags-db`,
//   and with `featureFlags.pvc` its PersistentVolumeClaim: Unleash's database (postgres-server.ts)
// - Deployment and Service `<env>-featureflags-edge` (Unleash Edge, port 3063)
// - Ingress `<env>-featureflags`: the clients' path, /api/client/features, to Edge
import { randomBytes } from 'node:crypto';
import type { KubernetesObject, V1Container, V1Deployment, V1EnvVar, V1Ingress, V1OwnerReference, V1Probe, V1Secret, V1Service } from '@kubernetes/client-node';
import type { ClowdEnvironment } from '../../api.ts';
import { envLabels, ownedBy } from '../../ownership.ts';
import { ALPHANUMERIC, generatedSecret, randomString } from '../../random.ts';
import { claim, deployment, fromSecret, PORT as DB_PORT, service } from '../db/postgres-server.ts';
import { ProviderError, type AppBuild, type EnvBuild } from '../provider.ts';

const PORT = 4242;
const EDGE_PORT = 3063;
const DB_NAME = 'featureflags-db';
/** Unleash and its database are small: less than the smallest database size of §14.1. */
const SMALL = { limits: { memory: '200Mi', cpu: '100m' }, requests: { memory: '100Mi', cpu: '50m' } };

export async function envProvide(build: EnvBuild): Promise<void> {
  const { env, targetNamespace: namespace, settings } = build;
  const name = `${env.metadata!.name}-featureflags`;
  const images = env.spec.providers.featureFlags?.images;
  // Generated once; a Secret not cached yet is created now, and read back on later passes.
  if (!build.lookup.secret(namespace, name)) await build.createSecretOnce(tokens(env, name, namespace));
  let dbSecret = build.lookup.secret(namespace, DB_NAME);
  if (!dbSecret) {
    dbSecret = databaseCredentials(env, namespace);
    await build.createSecretOnce(dbSecret);
  }
  const fromKey = (secretName: string, key: string, variable: string): V1EnvVar => ({ name: variable, valueFrom: { secretKeyRef: { name: secretName, key } } });
  const type = env.spec.serviceConfig?.type === 'NodePort' ? 'NodePort' : 'ClusterIP';
  const owner = ownedBy(env);

  // Unleash itself, which keeps its flags in the database below.
  const labels = { ...envLabels(env), 'env-app': name, service: 'featureflags' };
  const health = (initialDelaySeconds: number): V1Probe => ({
    httpGet: { path: '/health', port: PORT }, initialDelaySeconds, timeoutSeconds: 4, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  });
  const server = component(name, namespace, labels, owner, {
    name,
    image: images?.unleash || settings.images.unleash,
    env: [
      { name: 'DATABASE_SSL', value: 'false' },
      fromKey(DB_NAME, 'connectionURL', 'DATABASE_URL'),
      fromKey(name, 'clientAccessToken', 'INIT_CLIENT_API_TOKENS'),
      fromKey(name, 'adminAccessToken', 'INIT_ADMIN_API_TOKENS'),
    ],
    ports: [{ name: 'service', containerPort: PORT, protocol: 'TCP' }],
    livenessProbe: health(20),
    readinessProbe: health(40),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    resources: SMALL,
  });
  const serverService = portService(name, namespace, labels, owner, type, 'featureflags', PORT);

  // Its database: PostgreSQL 16 as the local database mode runs it.
  const sub = 'feature_flags';
  const pvc = Boolean(env.spec.providers.featureFlags?.pvc);
  const db = {
    name: DB_NAME, namespace, owner, labels: { ...envLabels(env), service: 'db', sub }, selector: { service: 'db', app: env.metadata!.name!, sub },
    image: settings.images.postgres[16], credentials: fromSecret(dbSecret), database: 'unleash', volumeSize: pvc ? '' : undefined, resourceSize: '',
    resources: SMALL,
  };
  const dbObjects: KubernetesObject[] = [deployment(db), service(db), ...(pvc ? [claim(db, { ...envLabels(env), service: 'db' })] : [])];

  // Edge answers the clients (apps and browsers), with the client token, from Unleash upstream.
  const edgeName = `${name}-edge`;
  const edgeLabels = { ...envLabels(env), 'env-app': name, service: 'unleash-edge' };
  const edgeProbe = (command: string, initialDelaySeconds: number): V1Probe => ({
    exec: { command: ['/unleash-edge', command] }, initialDelaySeconds, timeoutSeconds: 5, periodSeconds: 30, successThreshold: 1, failureThreshold: 3,
  });
  const edge = component(edgeName, namespace, edgeLabels, owner, {
    name: edgeName,
    image: images?.unleashEdge || settings.images.unleashEdge,
    args: ['edge'],
    env: [{ name: 'UPSTREAM_URL', value: `http://${name}:${PORT}` }, fromKey(name, 'clientAccessToken', 'TOKENS')],
    ports: [{ name: 'service', containerPort: EDGE_PORT, protocol: 'TCP' }],
    readinessProbe: edgeProbe('ready', 1),
    livenessProbe: edgeProbe('health', 30),
    imagePullPolicy: 'IfNotPresent',
    resources: { requests: { memory: '200Mi', cpu: '100m' }, limits: { memory: '400Mi', cpu: '200m' } },
  });
  const edgeService = portService(edgeName, namespace, edgeLabels, owner, type, 'unleash-edge', EDGE_PORT);
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, labels: envLabels(env), ownerReferences: owner },
    spec: {
      ingressClassName: env.spec.providers.web?.ingressClass || 'nginx',
      rules: [{ http: { paths: [{ path: '/api/client/features', pathType: 'Prefix', backend: { service: { name: edgeName, port: { name: 'unleash-edge' } } } }] } }],
    },
  };
  build.objects.push(server, serverService, ...dbObjects, edge, edgeService, ingress);
}

export function provide(build: AppBuild): void {
  const name = `${build.env.metadata!.name}-featureflags`;
  const secret = build.lookup.secret(build.targetNamespace, name);
  if (!secret) throw new ProviderError(`secrets "${name}" not found`);
  build.config.featureFlags = {
    hostname: `${name}.${build.targetNamespace}.svc`,
    port: PORT,
    scheme: 'http',
    clientAccessToken: Buffer.from(secret.data?.clientAccessToken ?? '', 'base64').toString('utf8'),
  };
}

/** A one-replica Deployment of one container, its pods labelled and selected by `labels`. */
function component(name: string, namespace: string, labels: Record<string, string>, owner: V1OwnerReference[], container: V1Container): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels, ownerReferences: owner },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } },
  };
}

function portService(name: string, namespace: string, labels: Record<string, string>, owner: V1OwnerReference[], type: string, portName: string, port: number): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels, ownerReferences: owner },
    spec: { type, selector: labels, ports: [{ name: portName, port, targetPort: port, protocol: 'TCP' }] },
  };
}

/** The API tokens, in Unleash's `<project>:<environment>.<secret>` form: admin for all, client for development. */
function tokens(env: ClowdEnvironment, name: string, namespace: string): V1Secret {
  const hex = () => randomBytes(16).toString('hex');
  return generatedSecret(name, namespace, ownedBy(env), { adminAccessToken: `*:*.${hex()}`, clientAccessToken: `default:development.${hex()}` });
}

/** Unleash's database credentials, and the URL Unleash connects with. */
function databaseCredentials(env: ClowdEnvironment, namespace: string): V1Secret {
  const hostname = `${DB_NAME}.${namespace}.svc`;
  const [username, password] = [randomString(16, ALPHANUMERIC), randomString(16, ALPHANUMERIC)];
  return generatedSecret(DB_NAME, namespace, ownedBy(env), {
    hostname, port: String(DB_PORT), username, password, pgPass: randomString(16, ALPHANUMERIC), name: 'unleash',
    connectionURL: `postgres://${username}:${encodeURIComponent(password)}@${hostname}/unleash`,
  });
}
