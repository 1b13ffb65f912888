// The cloud.redhat.com/v1alpha1 API as TypeScript types: the fields this operator reads. The CRDs
// in manifests/ are the authority (the API server validates against them); these types only let
// the compiler check that we spell the fields the same way.
import type {
  KubernetesObject,
  V1EnvVar,
  V1Lifecycle,
  V1Probe,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Condition } from '../runtime/conditions.ts';

export const GROUP = 'cloud.redhat.com';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Our name in managedFields: server-side apply records which fields this operator owns. */
export const FIELD_MANAGER = 'clowder';
export const ENV_FINALIZER = 'finalizer.env.cloud.redhat.com';
export const APP_FINALIZER = 'finalizer.app.cloud.redhat.com';

export interface Status {
  conditions?: Condition[];
  ready?: boolean;
  generation?: number;
}

// ---- ClowdEnvironment ----

export interface WebProvider {
  port: number;
  privatePort?: number;
  h2cPort?: number;
  h2cPrivatePort?: number;
  mode: string;
  tls?: { enabled?: boolean; port?: number; privatePort?: number; h2cPort?: number; h2cPrivatePort?: number };
  /** Of mode local's images, we read only the TLS sidecar's (§5.3). */
  images?: { caddyProxy?: string };
  /** The IngressClass of the Ingresses the operator writes (featureFlags `local`, §14.5); default `nginx`. */
  ingressClass?: string;
}

export interface ClowdEnvironmentSpec {
  targetNamespace?: string;
  disabled?: boolean;
  resourceDefaults: V1ResourceRequirements;
  serviceConfig?: { type: 'ClusterIP' | 'NodePort' | '' };
  providers: {
    web?: WebProvider;
    metrics?: { port: number; path?: string; mode: string; prometheus?: { deploy?: boolean; appInterfaceInternalURL?: string } };
    kafka: {
      mode: string;
      managedSecretRef?: { name: string; namespace: string };
      managedPrefix?: string;
      cluster?: {
        name?: string; namespace?: string; replicas?: number; storageSize?: string; deleteClaim?: boolean; version?: string; forceTLS?: boolean;
        config?: Record<string, string>; jvmOptions?: object; resources?: StrimziResources;
      };
      connect?: { name?: string; namespace?: string; replicas?: number; version?: string; image?: string; resources?: StrimziResources };
      enableLegacyStrimzi?: boolean;
      pvc?: boolean;
      clusterName?: string;
      namespace?: string;
      connectClusterName?: string;
      connectNamespace?: string;
    };
    db?: { mode: string; pvc?: boolean; caBundleURL?: string };
    logging: { mode: string };
    objectStore: { mode: string; pvc?: boolean; images?: { minio?: string } };
    inMemoryDb: { mode: string; image?: string };
    featureFlags?: {
      mode?: string;
      credentialRef?: { name?: string; namespace?: string };
      hostname?: string;
      port?: number;
      pvc?: boolean;
      images?: { unleash?: string; unleashEdge?: string };
    };
    serviceMesh?: { mode?: string };
    pullSecrets?: { name: string; namespace: string }[];
    deployment?: { omitPullPolicy?: boolean };
  };
}

/** Requests and limits of a Strimzi-built pod, as Strimzi spells them; each replaces Clowder's default whole. */
export interface StrimziResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface ClowdEnvironmentStatus extends Status {
  targetNamespace?: string;
  deployments?: { managedDeployments: number; readyDeployments: number; managedTopics: number; readyTopics: number };
  prometheus?: { serverAddress: string };
  apps?: { name: string; deployments: { name: string; hostname?: string; port?: number }[] }[];
}

export interface ClowdEnvironment extends KubernetesObject {
  spec: ClowdEnvironmentSpec;
  status?: ClowdEnvironmentStatus;
}

// ---- ClowdApp ----

export interface WebServices {
  public?: {
    enabled?: boolean;
    apiPath?: string;
    apiPaths?: string[];
    sessionAffinity?: boolean;
    h2cEnabled?: boolean;
    h2cTargetPort?: number;
    tls?: boolean;
  };
  private?: { enabled?: boolean; h2cEnabled?: boolean; h2cTargetPort?: number; tls?: boolean };
}

export interface InitContainer {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  inheritEnv?: boolean;
  env?: V1EnvVar[];
}

export interface PodSpec {
  image?: string;
  command?: string[];
  args?: string[];
  env?: V1EnvVar[];
  initContainers?: InitContainer[];
  metadata?: { annotations?: Record<string, string> };
  resources?: V1ResourceRequirements;
  livenessProbe?: V1Probe;
  readinessProbe?: V1Probe;
  volumes?: V1Volume[];
  volumeMounts?: V1VolumeMount[];
  lifecycle?: V1Lifecycle;
  terminationGracePeriodSeconds?: number;
  machinePool?: string;
}

export interface DeploymentSpec {
  name: string;
  replicas?: number;
  minReplicas?: number;
  web?: boolean;
  webServices?: WebServices;
  k8sAccessLevel?: '' | 'default' | 'view' | 'edit';
  deploymentStrategy?: { privateStrategy?: 'RollingUpdate' | 'Recreate' };
  metadata?: { annotations?: Record<string, string> };
  autoScaler?: object;
  autoScalerSimple?: object;
  podSpec: PodSpec;
}

export interface ClowdAppSpec {
  envName: string;
  disabled?: boolean;
  deployments?: DeploymentSpec[];
  jobs?: JobSpec[];
  kafkaTopics?: { topicName: string; partitions?: number; replicas?: number; config?: Record<string, string> }[];
  database?: { name?: string; version?: number; sharedDbAppName?: string; dbVolumeSize?: string; dbResourceSize?: string };
  objectStore?: string[];
  inMemoryDb?: boolean;
  sharedInMemoryDbAppName?: string;
  featureFlags?: boolean;
  dependencies?: string[];
  optionalDependencies?: string[];
  /** Only `enabled` matters to the operator: it picks the database image (§14.1). */
  cyndi?: { enabled?: boolean; appName?: string; additionalFilters?: unknown[]; insightsOnly?: boolean };
}

export interface JobSpec {
  name: string;
  schedule?: string;
  disabled?: boolean;
  concurrencyPolicy?: string;
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  startingDeadlineSeconds?: number;
  activeDeadlineSeconds?: number;
  parallelism?: number;
  completions?: number;
  restartPolicy?: string;
  podSpec: PodSpec;
}

export interface ClowdAppStatus extends Status {
  deployments?: { managedDeployments: number; readyDeployments: number };
}

export interface ClowdApp extends KubernetesObject {
  spec: ClowdAppSpec;
  status?: ClowdAppStatus;
}

// ---- ClowdAppRef ----

export interface ClowdAppRef extends KubernetesObject {
  spec: {
    envName: string;
    disabled?: boolean;
    serves?: string[];
    deployments?: { name: string; hostname: string; web?: boolean; webServices?: WebServices }[];
    remoteEnvironment?: {
      name?: string;
      port?: number;
      privatePort?: number;
      h2cPort?: number;
      h2cPrivatePort?: number;
      tls?: { enabled?: boolean; port?: number; privatePort?: number; h2cPort?: number; h2cPrivatePort?: number };
    };
  };
}

// ---- ClowdJobInvocation ----

export interface ClowdJobInvocation extends KubernetesObject {
  spec: { appName: string; jobs?: string[]; runOnNotReady?: boolean; disabled?: boolean };
  status?: { completed: boolean; jobMap: Record<string, 'Invoked' | 'Complete' | 'Failed'>; conditions?: Condition[] };
}
