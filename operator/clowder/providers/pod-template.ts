// What every pod of an app has in common, whatever runs it: a Deployment (§4), a CronJob (§9.1)
// or a ClowdJobInvocation's Job (§9.3). Each gets the config Secret mounted where ACG_CONFIG
// points, init containers built the same way, the same resources, pull policy and affinity, and
// the app's annotations without kubectl's.
import type { V1Container, V1EnvVar, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ClowdEnvironment, PodSpec } from '../api.ts';

/** Where pods find their config: the config Secret is mounted here, and ACG_CONFIG names the file. */
const CONFIG_MOUNT = '/cdapp/';
export const ACG_CONFIG: V1EnvVar = { name: 'ACG_CONFIG', value: '/cdapp/cdappconfig.json' };

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
export function withFieldRefVersion(variable: V1EnvVar): V1EnvVar {
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
