// What the Clowder tests and the benchmark create: an environment in the shape of the spec's
// worked example (§6.8: web 8000, metrics 9000 /metrics, everything else none), apps, and
// namespaces to put them in.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type ClowdApp, type ClowdAppSpec, type ClowdEnvironment, type ClowdEnvironmentSpec, type DeploymentSpec } from '../api.ts';

export function environment(name: string, providers: Partial<ClowdEnvironmentSpec['providers']> = {}, spec: Partial<ClowdEnvironmentSpec> = {}): ClowdEnvironment {
  return {
    apiVersion: API_VERSION,
    kind: 'ClowdEnvironment',
    metadata: { name },
    spec: {
      resourceDefaults: { limits: { cpu: '400m', memory: '1024Mi' }, requests: { cpu: '30m', memory: '512Mi' } },
      ...spec,
      providers: {
        web: { port: 8000, mode: 'operator' },
        metrics: { port: 9000, path: '/metrics', mode: 'operator' },
        kafka: { mode: 'none' },
        db: { mode: 'none' },
        logging: { mode: 'none' },
        objectStore: { mode: 'none' },
        inMemoryDb: { mode: 'none' },
        ...providers,
      },
    },
  };
}

export function clowdApp(name: string, namespace: string, envName: string, deployments: Partial<DeploymentSpec>[], spec: Partial<ClowdAppSpec> = {}): ClowdApp {
  return {
    apiVersion: API_VERSION,
    kind: 'ClowdApp',
    metadata: { name, namespace },
    spec: {
      envName,
      deployments: deployments.map((d, i) => ({ name: `d${i}`, ...d, podSpec: { image: 'quay.io/example/app:1', ...d.podSpec } })),
      ...spec,
    },
  };
}

/** Typed create/read/delete of the custom resources. */
export function clowdClient(kc: KubeConfig) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const g = { group: GROUP, version: VERSION };
  return {
    createEnv: (env: ClowdEnvironment) => custom.createClusterCustomObject({ ...g, plural: 'clowdenvironments', body: env }),
    readEnv: (name: string) => custom.getClusterCustomObject({ ...g, plural: 'clowdenvironments', name }) as Promise<ClowdEnvironment>,
    patchEnv: (name: string, body: object) => custom.patchClusterCustomObject({ ...g, plural: 'clowdenvironments', name, body }),
    deleteEnv: (name: string) => custom.deleteClusterCustomObject({ ...g, plural: 'clowdenvironments', name }).catch(() => undefined),
    createApp: (app: ClowdApp) => custom.createNamespacedCustomObject({ ...g, plural: 'clowdapps', namespace: app.metadata!.namespace!, body: app }),
    readApp: (namespace: string, name: string) => custom.getNamespacedCustomObject({ ...g, plural: 'clowdapps', namespace, name }) as Promise<ClowdApp>,
    patchApp: (namespace: string, name: string, body: object) => custom.patchNamespacedCustomObject({ ...g, plural: 'clowdapps', namespace, name, body }),
    deleteApp: (namespace: string, name: string) => custom.deleteNamespacedCustomObject({ ...g, plural: 'clowdapps', namespace, name }),
  };
}

/**
 * Clowder's pod templates carry no securityContext (a ClowdApp podSpec has no field for one), so
 * the restricted Pod Security Standard that test namespaces enforce would refuse every pod. We
 * relax the namespace to `privileged`; kwok runs no containers anyway.
 */
export async function allowClowderPods(kc: KubeConfig, namespace: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).patchNamespace({
    name: namespace,
    body: [{ op: 'replace', path: '/metadata/labels/pod-security.kubernetes.io~1enforce', value: 'privileged' }],
  });
}

/** The condition of a ClowdApp or ClowdEnvironment, once the status reports the current generation. */
export function condition(object: ClowdApp | ClowdEnvironment, type: string) {
  return object.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the ClowdApp reports ReconciliationSuccessful for its current spec. */
export function reconciled(read: () => Promise<ClowdApp | ClowdEnvironment>): () => Promise<ClowdApp | ClowdEnvironment | undefined> {
  return async () => {
    const object = await read();
    const ok = condition(object, 'ReconciliationSuccessful')?.status === 'True' && object.status?.generation === object.metadata?.generation;
    return ok ? object : undefined;
  };
}
