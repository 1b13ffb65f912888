// In-memory DB, mode `redis` (§14.2): a single Valkey/Redis pod per app that sets
// `inMemoryDb: true`, for development environments. No password: only pods in the cluster can
// reach it. An app may use another app's instance instead (`sharedInMemoryDbAppName`).
//
// Owned resources (in the app namespace, owned by the app):
// - Secret `<app>-redis` (connection details, created once, no labels)
// - ConfigMap `<app>-redis` (a redis.conf, no labels)
// - Deployment `<app>-redis`
// - Service `<app>-redis`
import type { V1ConfigMap, V1Deployment, V1Probe, V1Secret, V1Service } from '@kubernetes/client-node';
import { appLabels, ownedBy } from '../../ownership.ts';
import { ProviderError, type AppBuild } from '../provider.ts';

const PORT = 6379;

export async function provide(build: AppBuild): Promise<void> {
  const { app } = build;
  if (!app.spec.inMemoryDb) return;
  if (app.spec.sharedInMemoryDbAppName) return shared(build, app.spec.sharedInMemoryDbAppName);

  const namespace = app.metadata!.namespace!;
  const name = `${app.metadata!.name}-redis`;
  const hostname = `${name}.${namespace}.svc`;
  if (!build.lookup.secret(namespace, name)) {
    const data = { hostname, port: String(PORT), sslmode: 'false' };
    await build.createSecretOnce({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, ownerReferences: ownedBy(app) },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    } satisfies V1Secret);
  }
  build.config.inMemoryDb = { hostname, port: PORT, sslMode: false };

  const labels = { ...appLabels(app), 'env-app': name, service: 'redis' };
  const image = build.env.spec.providers.inMemoryDb.image || build.settings.images.redis;
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ownerReferences: ownedBy(app) },
    data: { 'redis.conf': 'stop-writes-on-bgsave-error no\nprotected-mode no\n' },
  };
  build.objects.push(configMap, service(build, name, labels), deployment(build, name, labels, image));
}

/** Another app's instance: it must be a dependency, and its `<X>-redis` Secret says where it is. */
function shared(build: AppBuild, other: string): void {
  if (!build.app.spec.dependencies?.includes(other)) throw new ProviderError(`The requested app's in memory db was not found in the dependencies: `);
  const owner = build.lookup.apps().find((a) => a.metadata?.name === other && a.spec.envName === build.app.spec.envName);
  if (!owner) throw new ProviderError('could not get app for in memory db in env: ');
  const namespace = owner.metadata!.namespace!;
  if (!build.lookup.secret(namespace, `${other}-redis`)) throw new ProviderError(`could not find the in memory db secret of app ${other}: `);
  build.config.inMemoryDb = { hostname: `${other}-redis.${namespace}.svc`, port: PORT, sslMode: false };
}

function deployment(build: AppBuild, name: string, labels: Record<string, string>, image: string): V1Deployment {
  // Unlike Clowder's no-argument probe (§14.2), ours really asks the server: `valkey-cli ping`.
  const probe = (initialDelaySeconds: number): V1Probe => ({
    exec: { command: ['valkey-cli', 'ping'] }, initialDelaySeconds, timeoutSeconds: 2, periodSeconds: 10,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: build.app.metadata!.namespace, labels, ownerReferences: ownedBy(build.app) },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: `${build.app.metadata!.name}-app`,
          volumes: [{ name, configMap: { name, defaultMode: 420 } }],
          containers: [{
            name,
            image,
            env: [],
            ports: [{ name: 'redis', containerPort: PORT, protocol: 'TCP' }],
            livenessProbe: probe(15),
            readinessProbe: probe(45),
            volumeMounts: [{ name, mountPath: '/etc/redis' }],
            imagePullPolicy: 'IfNotPresent',
          }],
        },
      },
    },
  };
}

function service(build: AppBuild, name: string, labels: Record<string, string>): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: build.app.metadata!.namespace, labels, ownerReferences: ownedBy(build.app) },
    spec: {
      type: build.env.spec.serviceConfig?.type === 'NodePort' ? 'NodePort' : 'ClusterIP',
      selector: labels,
      ports: [{ name: 'redis', port: PORT, targetPort: PORT, protocol: 'TCP' }],
    },
  };
}
