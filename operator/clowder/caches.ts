// The informers the operator reads from: every read of a reconcile is a cache lookup, so a pass
// over a settled app costs no API request at all. Everything is watched in all namespaces,
// because an environment is cluster-scoped and its apps may live anywhere.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1CronJob,
  V1Deployment,
  V1Job,
  V1Namespace,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { Informer } from '../runtime/informer.ts';
import type { InformerFactory } from '../runtime/informer-factory.ts';
import type { OptionalInformer } from '../runtime/optional-informer.ts';
import { API_VERSION, type ClowdApp, type ClowdAppRef, type ClowdEnvironment, type ClowdJobInvocation } from './api.ts';
import { STRIMZI, STRIMZI_KINDS, strimziCrd, type StrimziKind, type StrimziObject } from './providers/kafka/operator.ts';
import type { Lookup } from './providers/provider.ts';

export interface Caches {
  envs: Informer<ClowdEnvironment>;
  apps: Informer<ClowdApp>;
  appRefs: Informer<ClowdAppRef>;
  cjis: Informer<ClowdJobInvocation>;
  jobs: Informer<V1Job>;
  namespaces: Informer<V1Namespace>;
  deployments: Informer<V1Deployment>;
  services: Informer<V1Service>;
  serviceAccounts: Informer<V1ServiceAccount>;
  secrets: Informer<V1Secret>;
  configMaps: Informer<V1ConfigMap>;
  roleBindings: Informer<V1RoleBinding>;
  cronJobs: Informer<V1CronJob>;
  claims: Informer<V1PersistentVolumeClaim>;
  networkPolicies: Informer<V1NetworkPolicy>;
  /** Which optional APIs (Strimzi's Kafka) the cluster serves; installing one is an event like any other. */
  crds: Informer<KubernetesObject>;
  /** Strimzi's kinds (Kafka operator mode), followed while their CRDs exist: empty until Strimzi is installed. */
  strimzi: Record<StrimziKind, OptionalInformer<StrimziObject>>;
}

export function clowderCaches(informers: InformerFactory): Caches {
  return {
    envs: informers.for({ apiVersion: API_VERSION, kind: 'ClowdEnvironment' }),
    apps: informers.for({ apiVersion: API_VERSION, kind: 'ClowdApp' }),
    appRefs: informers.for({ apiVersion: API_VERSION, kind: 'ClowdAppRef' }),
    cjis: informers.for({ apiVersion: API_VERSION, kind: 'ClowdJobInvocation' }),
    jobs: informers.for({ apiVersion: 'batch/v1', kind: 'Job' }),
    namespaces: informers.for({ apiVersion: 'v1', kind: 'Namespace' }),
    deployments: informers.for({ apiVersion: 'apps/v1', kind: 'Deployment' }),
    services: informers.for({ apiVersion: 'v1', kind: 'Service' }),
    serviceAccounts: informers.for({ apiVersion: 'v1', kind: 'ServiceAccount' }),
    secrets: informers.for({ apiVersion: 'v1', kind: 'Secret' }),
    configMaps: informers.for({ apiVersion: 'v1', kind: 'ConfigMap' }),
    roleBindings: informers.for({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }),
    cronJobs: informers.for({ apiVersion: 'batch/v1', kind: 'CronJob' }),
    claims: informers.for({ apiVersion: 'v1', kind: 'PersistentVolumeClaim' }),
    networkPolicies: informers.for({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }),
    crds: informers.for({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }),
    strimzi: Object.fromEntries(STRIMZI_KINDS.map((kind) => [kind, informers.optional({ apiVersion: STRIMZI, kind }, strimziCrd(kind))])) as Caches['strimzi'],
  };
}

/** The caches of the kinds a ClowdApp or ClowdEnvironment pass writes, and so may prune (§12.3), by kind. */
export function ownedKinds(caches: Caches): Record<string, Informer<KubernetesObject>> {
  const { deployments, services, serviceAccounts, secrets, configMaps, roleBindings, cronJobs, claims, networkPolicies } = caches;
  const byKind = {
    Deployment: deployments, Service: services, ServiceAccount: serviceAccounts, Secret: secrets, ConfigMap: configMaps,
    RoleBinding: roleBindings, CronJob: cronJobs, PersistentVolumeClaim: claims, NetworkPolicy: networkPolicies,
  };
  return byKind as unknown as Record<string, Informer<KubernetesObject>>;
}

export function lookup(caches: Caches): Lookup {
  return {
    // Other apps as providers see them: one stored before the CRD required spec offers nothing.
    apps: () => caches.apps.list().filter((a) => a.spec),
    appRefs: () => caches.appRefs.list().filter((r) => r.spec),
    deployment: (namespace, name) => caches.deployments.get(`${namespace}/${name}`),
    service: (namespace, name) => caches.services.get(`${namespace}/${name}`),
    secret: (namespace, name) => caches.secrets.get(`${namespace}/${name}`),
    secrets: (namespace) => caches.secrets.list(namespace),
    configMap: (namespace, name) => caches.configMaps.get(`${namespace}/${name}`),
    serviceAccount: (namespace, name) => caches.serviceAccounts.get(`${namespace}/${name}`),
    namespace: (name) => caches.namespaces.get(name),
    crdInstalled: (name) => caches.crds.get(name) !== undefined,
    strimzi: (kind, namespace, name) => caches.strimzi[kind].get(`${namespace}/${name}`),
    kafkaTopics: (namespace) => caches.strimzi.KafkaTopic.list(namespace),
  };
}

/** The cached copy of an object we are about to write, if it exists (Strimzi's kinds included). */
export function liveCopy(caches: Caches, object: KubernetesObject): KubernetesObject | undefined {
  const informer = ownedKinds(caches)[object.kind ?? ''] ?? caches.strimzi[object.kind as StrimziKind];
  return informer?.get(`${object.metadata?.namespace}/${object.metadata?.name}`);
}

/** A namespace on its way out: whatever we wrote into it would be deleted with it. */
export function terminating(caches: Caches, namespace: string): boolean {
  return Boolean(namespace && caches.namespaces.get(namespace)?.metadata?.deletionTimestamp);
}
