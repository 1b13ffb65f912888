// The deployment provider (§4): one Deployment and one Service per spec.deployments entry.
// It runs first; the web and metrics providers then add their ports to what it built, and the
// confighash provider stamps the configHash annotation on it last. So each Deployment is complete
// before its first write, and a new one starts at generation 1 and stays there (§0).
//
// Owned resources (all in the app namespace, owned by the ClowdApp):
// - Deployment `<app>-<dep>`
// - Service `<app>-<dep>`
import type {
  V1Container,
  V1Deployment,
  V1DeploymentStrategy,
  V1EnvVar,
  V1Probe,
  V1ResourceRequirements,
  V1Service,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { ClowdEnvironment, DeploymentSpec, PodSpec } from '../../api.ts';
import { appLabels, ownedBy } from '../../ownership.ts';
import { publicEnabled, tlsConfigured, webPorts } from '../../web-settings.ts';
import type { AppBuild } from '../provider.ts';

/** Where pods find their config: the config Secret is mounted here, and ACG_CONFIG names the file. */
export const CONFIG_MOUNT = '/cdapp/';
export const ACG_CONFIG: V1EnvVar = { name: 'ACG_CONFIG', value: '/cdapp/cdappconfig.json' };

export function provide(build: AppBuild): void {
  const { app, env } = build;
  const deployments = app.spec.deployments ?? [];
  for (const spec of deployments) {
    const name = `${app.metadata!.name}-${spec.name}`;
    build.deployments.set(spec.name, deployment(build, spec, name));
    build.services.set(spec.name, service(build, name, env));
  }
  build.config.metadata = {
    name: app.metadata!.name,
    envName: app.spec.envName,
    ...(deployments.length ? { deployments: deployments.map((d) => ({ name: d.name, image: d.podSpec.image ?? '' })) } : {}),
  };
}

function deployment(build: AppBuild, spec: DeploymentSpec, name: string): V1Deployment {
  const { app, env } = build;
  const namespace = app.metadata!.namespace!;
  // Selector and template carry the same labels: the selector is immutable, so it must never
  // depend on anything but the app's labels and the deployment's name.
  const labels = { ...appLabels(app), pod: name };
  const annotations = { ...withoutKubectl(app.metadata?.annotations), ...spec.metadata?.annotations };
  const templateAnnotations: Record<string, string> = { ...spec.podSpec.metadata?.annotations };
  if (env.spec.providers.serviceMesh?.mode === 'enabled') {
    templateAnnotations['sidecar.istio.io/inject'] = 'true';
    templateAnnotations['traffic.sidecar.istio.io/excludeOutboundPorts'] = '443,9093,5432,10000';
  }
  const pod = spec.podSpec;
  const tls = tlsConfigured(webPorts(env.spec.providers.web));
  const main = mainContainer(name, pod, env, publicEnabled(spec), tls);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels, ownerReferences: ownedBy(app), ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      replicas: replicas(spec, build.lookup.deployment(namespace, name)),
      selector: { matchLabels: labels },
      strategy: strategy(spec, pod),
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels, annotations: templateAnnotations },
        spec: {
          serviceAccountName: name,
          containers: [main],
          initContainers: initContainers(name, pod, main),
          volumes: [...(pod.volumes ?? []), ...configVolumes(app.metadata!.name!, tls)],
          ...(pod.machinePool ? { tolerations: [{ key: pod.machinePool, operator: 'Equal', value: 'true', effect: 'NoSchedule' }] } : {}),
          ...(pod.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds } : {}),
          affinity: spreadOut(labels),
        },
      },
    },
  };
}

/**
 * The one main container. Its `ports` start empty: the web and metrics providers add theirs, in
 * the Service's port order (§5.1).
 */
function mainContainer(name: string, pod: PodSpec, env: ClowdEnvironment, publicWeb: boolean, tls: boolean): V1Container {
  const webPort = env.spec.providers.web?.port ?? 0;
  const liveness = pod.livenessProbe ? probeDefaults(pod.livenessProbe) : publicWeb ? healthz(webPort, 10) : undefined;
  const readiness = pod.readinessProbe ? probeDefaults(pod.readinessProbe) : publicWeb ? healthz(webPort, 45) : undefined;
  return {
    name,
    image: pod.image,
    ...(pod.command ? { command: pod.command } : {}),
    ...(pod.args ? { args: pod.args } : {}),
    // ACG_CONFIG last: an app's own variables cannot shadow the path of its config.
    env: [...(pod.env ?? []).map(withFieldRefVersion), ACG_CONFIG],
    resources: resources(pod.resources, env.spec.resourceDefaults),
    volumeMounts: [...(pod.volumeMounts ?? []), ...configMounts(tls)],
    ports: [],
    ...(liveness ? { livenessProbe: liveness } : {}),
    ...(readiness ? { readinessProbe: readiness } : {}),
    ...(pod.lifecycle ? { lifecycle: pod.lifecycle } : {}),
    imagePullPolicy: pullPolicy(pod.image ?? '', env),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

/**
 * Init containers share the main container's image (unless they name one), resources, mounts and
 * pull policy. Their env puts ACG_CONFIG first; with inheritEnv they take the main container's
 * variables after their own, skipping names they already set (§4.2).
 */
export function initContainers(name: string, pod: PodSpec, main: V1Container): V1Container[] {
  const entries = pod.initContainers ?? [];
  if (entries.length > 1 && entries.some((c) => !c.name)) throw new Error('multiple init containers must have name');
  return entries.map((init) => {
    const own = (init.env ?? []).map(withFieldRefVersion);
    const env = init.inheritEnv
      ? [...own, ...(main.env ?? []).filter((v) => !own.some((o) => o.name === v.name))]
      : [ACG_CONFIG, ...own];
    return {
      name: init.name ? `${init.name}-init` : `${name}-init`,
      image: init.image || main.image,
      ...(init.command ? { command: init.command } : {}),
      ...(init.args ? { args: init.args } : {}),
      env,
      resources: main.resources,
      volumeMounts: main.volumeMounts,
      imagePullPolicy: main.imagePullPolicy,
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    };
  });
}

export function configVolumes(secretName: string, tls: boolean): V1Volume[] {
  const volumes: V1Volume[] = [{ name: 'config-secret', secret: { secretName, defaultMode: 420 } }];
  if (tls) volumes.push({ name: 'tls-ca', configMap: { name: 'openshift-service-ca.crt' } });
  return volumes;
}

export function configMounts(tls: boolean): V1VolumeMount[] {
  const mounts: V1VolumeMount[] = [{ name: 'config-secret', mountPath: CONFIG_MOUNT }];
  if (tls) mounts.push({ name: 'tls-ca', mountPath: '/cdapp/certs', readOnly: true });
  return mounts;
}

/** The server fills in `apiVersion: v1` on a fieldRef; writing it ourselves keeps the spec unchanged. */
function withFieldRefVersion(variable: V1EnvVar): V1EnvVar {
  const fieldRef = variable.valueFrom?.fieldRef;
  if (!fieldRef || fieldRef.apiVersion) return variable;
  return { ...variable, valueFrom: { ...variable.valueFrom, fieldRef: { ...fieldRef, apiVersion: 'v1' } } };
}

/**
 * Each of the four values falls back on its own from the pod's resources to the env's defaults
 * (§4.4). When neither has one we leave the key out, where Clowder writes "0".
 */
export function resources(pod: V1ResourceRequirements | undefined, defaults: V1ResourceRequirements | undefined): V1ResourceRequirements {
  const pick = (group: 'limits' | 'requests', key: 'cpu' | 'memory') => {
    const value = pod?.[group]?.[key] ?? defaults?.[group]?.[key];
    return value === undefined ? {} : { [key]: value };
  };
  return {
    limits: { ...pick('limits', 'cpu'), ...pick('limits', 'memory') },
    requests: { ...pick('requests', 'cpu'), ...pick('requests', 'memory') },
  };
}

function probeDefaults(probe: V1Probe): V1Probe {
  return {
    ...probe,
    successThreshold: probe.successThreshold || 1,
    timeoutSeconds: probe.timeoutSeconds || 1,
    periodSeconds: probe.periodSeconds || 10,
    failureThreshold: probe.failureThreshold || 3,
  };
}

/** The probe a public web deployment gets when it brings none: GET /healthz on the web port. */
function healthz(port: number, initialDelaySeconds: number): V1Probe {
  return {
    httpGet: { path: '/healthz', port, scheme: 'HTTP' },
    initialDelaySeconds,
    periodSeconds: 30,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  };
}

/**
 * Replicas (§4.5). Without an autoscaler we always write the asked-for number, which also undoes a
 * manual `kubectl scale`. With one, the autoscaler owns the number above our minimum.
 */
function replicas(spec: DeploymentSpec, live: V1Deployment | undefined): number {
  const wanted = spec.replicas ?? spec.minReplicas ?? 1;
  const scaled = Boolean(spec.autoScaler || spec.autoScalerSimple);
  const current = live?.spec?.replicas;
  if (wanted === 0 || !scaled || current === undefined) return wanted;
  return Math.max(current, wanted);
}

/**
 * Strategy (§4.6). A pod with a PersistentVolumeClaim must use Recreate: a ReadWriteOnce volume
 * cannot be mounted by the old and the new pod at once. We always spell out the RollingUpdate
 * percentages, so that switching to Recreate later removes them (the server rejects Recreate
 * with a rollingUpdate block left over).
 */
function strategy(spec: DeploymentSpec, pod: PodSpec): V1DeploymentStrategy {
  const rolling: V1DeploymentStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  if (pod.volumes?.some((v) => v.persistentVolumeClaim)) return { type: 'Recreate' };
  if (publicEnabled(spec)) return rolling;
  return spec.deploymentStrategy?.privateStrategy === 'Recreate' ? { type: 'Recreate' } : rolling;
}

/**
 * Pull policy (§4.8): IfNotPresent, unless the env sets omitPullPolicy and the tag is `latest`
 * (a moving tag must be pulled each time to mean anything). Like Clowder we look at the text
 * between the first and second `:`, which misreads a registry port; in practice `repo:latest`
 * gives Always and everything else IfNotPresent.
 */
export function pullPolicy(image: string, env: ClowdEnvironment): string {
  if (!env.spec.providers.deployment?.omitPullPolicy) return 'IfNotPresent';
  return image.split(':')[1] === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Prefer spreading a deployment's pods over zones, then over nodes, so one failure takes few of them. */
export function spreadOut(labels: Record<string, string>) {
  const term = (weight: number, topologyKey: string) => ({ weight, podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey } });
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [term(100, 'failure-domain.beta.kubernetes.io/zone'), term(99, 'kubernetes.io/hostname')],
    },
  };
}

/**
 * kubectl apply stores the whole manifest in this annotation; copying it onto every Deployment
 * only adds noise (and kilobytes), so we skip kubectl's keys (§4.7).
 */
export function withoutKubectl(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => !key.startsWith('kubectl.kubernetes.io/')));
}

/** The Service, with no ports yet: web and metrics add theirs in §5.1 order. */
function service(build: AppBuild, name: string, env: ClowdEnvironment): V1Service {
  const { app } = build;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: app.metadata!.namespace, labels: { ...appLabels(app), pod: name }, ownerReferences: ownedBy(app) },
    spec: {
      // Only `pod`: app labels can change, and the Service must keep finding the pods meanwhile.
      selector: { pod: name },
      type: env.spec.serviceConfig?.type === 'NodePort' ? 'NodePort' : 'ClusterIP',
      ports: [],
    },
  };
}
