// The deployment provider (§4): one Deployment and one Service per spec.deployments entry.
// It runs first; the web and metrics providers then add their ports to what it built, and the
// confighash provider stamps the configHash annotation on it last. So each Deployment is complete
// before its first write, and a new one starts at generation 1 and stays there (§0).
//
// Owned resources (all in the app namespace, owned by the ClowdApp):
// - Deployment `<app>-<dep>`
// - Service `<app>-<dep>`
import type { V1Container, V1Deployment, V1DeploymentStrategy, V1Probe, V1Service } from '@kubernetes/client-node';
import type { ClowdEnvironment, DeploymentSpec, PodSpec } from '../../api.ts';
import { appLabels, ownedBy } from '../../ownership.ts';
import { publicEnabled, tlsConfigured, webPorts } from '../../web-settings.ts';
import { ACG_CONFIG, configMounts, configVolumes, initContainers, pullPolicy, resources, spreadOut, withFieldRefVersion, withoutKubectl } from '../pod-template.ts';
import type { AppBuild } from '../provider.ts';

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
