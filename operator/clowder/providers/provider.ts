// What every provider gets and gives. A provider is one concern of the config (web ports, the
// database, Kafka …); the environment picks its mode, and the mode picks the file that runs
// (providers/<provider>/<mode>.ts). All providers of one reconcile share one AppBuild: they add
// objects and config sections to it in memory, and nothing is written to the cluster until all of
// them have run. A failing provider therefore leaves the cluster as it was (§2.2 step 9), with the
// spec's exceptions (§2.2 step 10): generated credentials and Strimzi's objects are written while
// building, because the build needs what comes back (createSecretOnce, writeNow).
//
// A mode may have an environment half as well (`envProvide`, as Clowder's EnvProvide beside
// Provide): what the env itself makes or checks for that mode, once for all its apps (MinIO's
// server, Kafka's cluster, the env's ServiceAccount). The env reconcile runs these halves in the
// same order as the app halves (order.ts), on an EnvBuild.
import type { KubernetesObject, V1ConfigMap, V1CronJob, V1Deployment, V1Namespace, V1NetworkPolicy, V1NetworkPolicyIngressRule, V1Secret, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import type { AppConfig } from '../client/app-config.ts';
import type { ClowdApp, ClowdAppRef, ClowdEnvironment } from '../api.ts';
import type { Tracked } from '../config/hash-cache.ts';
import type { Settings } from '../settings.ts';
import type { StrimziKind, StrimziObject } from './kafka/operator.ts';

/**
 * A NetworkPolicy as the API server spells it. client-node's model calls an ingress rule's `from`
 * `_from` (a reserved word in its generator) and renames it when it serializes; we send plain JSON.
 */
export type NetworkPolicy = Omit<V1NetworkPolicy, 'spec'> & {
  spec: Omit<NonNullable<V1NetworkPolicy['spec']>, 'ingress'> & { ingress?: (Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyIngressRule['_from'] })[] };
};

/** Read access to the cluster, from the informers' caches: no API request. */
export interface Lookup {
  apps(): ClowdApp[];
  appRefs(): ClowdAppRef[];
  deployment(namespace: string, name: string): V1Deployment | undefined;
  service(namespace: string, name: string): V1Service | undefined;
  secret(namespace: string, name: string): V1Secret | undefined;
  secrets(namespace: string): V1Secret[];
  configMap(namespace: string, name: string): V1ConfigMap | undefined;
  serviceAccount(namespace: string, name: string): V1ServiceAccount | undefined;
  namespace(name: string): V1Namespace | undefined;
  /** Whether the cluster has the CustomResourceDefinition of that name (`kafkas.kafka.strimzi.io`). */
  crdInstalled(name: string): boolean;
  /** A Strimzi object, once Strimzi's CRDs are there and their informers run (§15.3). */
  strimzi(kind: StrimziKind, namespace: string, name: string): StrimziObject | undefined;
  kafkaTopics(namespace: string): StrimziObject[];
}

export interface AppBuild {
  app: ClowdApp;
  env: ClowdEnvironment;
  /** The environment's target namespace (§3.1). */
  targetNamespace: string;
  settings: Settings;
  lookup: Lookup;
  /** The config being assembled; the confighash provider serializes it last. */
  config: Partial<AppConfig>;
  /** One Deployment and one Service per spec.deployments entry, by deployment name. */
  deployments: Map<string, V1Deployment>;
  services: Map<string, V1Service>;
  /** One CronJob per scheduled, enabled job, by job name; confighash stamps them too. */
  cronJobs: Map<string, V1CronJob>;
  /** Every other object to write, in the order providers added them. */
  objects: KubernetesObject[];
  /** Objects a provider depends on for this app: the env half of hashCache (§7.2). */
  envTracked: Tracked[];
  /** Objects the app's Deployments reference and opted in: the app half, set by confighash. */
  appTracked: Tracked[];
  /**
   * Creates a Secret of generated values (passwords) right away, once. It is never applied again:
   * the values are read back from the cache ever after (§0). Fails if the Secret exists already,
   * which only happens when the cache has not caught up; the retry then reads it.
   */
  createSecretOnce: (secret: V1Secret) => Promise<void>;
  /**
   * Reads an object of a kind the caches do not hold (Strimzi's, which may not even exist in the
   * cluster): one GET, undefined when it is not there.
   */
  read: (apiVersion: string, kind: string, namespace: string, name: string) => Promise<KubernetesObject | undefined>;
  /** Writes an object during the build, for the few that must exist before the build can go on (§2.2 step 10). */
  writeNow: (object: KubernetesObject) => Promise<void>;
  /** Whether this process can reach a Service by its cluster IP (see ../cluster-ips.ts). */
  clusterIPsReachable: () => Promise<boolean>;
}

export type Provide = (build: AppBuild) => void | Promise<void>;

export interface EnvBuild {
  env: ClowdEnvironment;
  targetNamespace: string;
  settings: Settings;
  lookup: Lookup;
  /** The env's apps, not being deleted, in the order of status.apps (§3.3). */
  apps: ClowdApp[];
  /** Objects to write once every half has run, in the order the halves added them. */
  objects: KubernetesObject[];
  /**
   * What the env waits for from someone else (Strimzi, App Interface): a failure, but one that
   * must not keep the other halves' objects from being written. The pass writes everything,
   * then fails with the first of these.
   */
  waits: string[];
  /** Objects other than Deployments that the env's status counts (Strimzi's Kafka and KafkaTopics, §3.3). */
  counts: { managed: number; ready: number; managedTopics: number; readyTopics: number };
  createSecretOnce: AppBuild['createSecretOnce'];
  read: AppBuild['read'];
  writeNow: AppBuild['writeNow'];
}

export type EnvProvide = (build: EnvBuild) => void | Promise<void>;

/** A mode file: its app half, and its env half when the env has a part in that mode. */
export interface Mode {
  provide: Provide;
  envProvide?: EnvProvide;
}

/**
 * A failure the app's author can fix (a missing dependency, a bad setting). Its message ends up in
 * the ReconciliationFailed condition as `runapp: <provider>: <message>`.
 */
export class ProviderError extends Error {}
