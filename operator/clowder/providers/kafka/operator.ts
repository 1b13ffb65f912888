// Kafka, mode `operator` (§15.3): Kafka run inside the cluster by the Strimzi operator. We do
// not run Kafka ourselves; we write Strimzi's custom resources and let Strimzi do the work:
// - the env half asks for a `Kafka` cluster (and the ConfigMap of its metrics rules), waits until
//   Strimzi reports the cluster's listeners, then asks for a `KafkaConnect` cluster pointed at
//   them, with a `KafkaUser` of its own;
// - each app with topics asks for one `KafkaTopic` per topic (shared by every app of the env
//   that names it, so partitions and replicas are the largest anyone asked for) and one
//   `KafkaUser`, whose credentials Strimzi puts in a Secret that we copy into the config.
// Without Strimzi's CRDs, env and app fail with a message that says so, instead of the API
// server's "no matches for kind" deep inside a write.
//
// Owned resources (all owned by the env; Strimzi's kinds are never pruned, as in Clowder):
// - Kafka `<cluster>`, ConfigMap `<cluster>-metrics` and NetworkPolicy `<cluster>` in `<kns>` (env pass)
// - KafkaConnect `<connect>` and KafkaUser `<env>-connect` in `<cns>` (env pass)
// - Secret `<env>-<secret>-clowder-copy` per pull secret in `<kns>` and `<cns>`, for Strimzi's pods (env pass)
// - KafkaTopic `<topicName>` and KafkaUser `<env>-<app>` in `<kns>` (app pass)
import type { KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { ClowdEnvironment } from '../../api.ts';
import type { BrokerConfig } from '../../client/app-config.ts';
import { envLabels, ownedBy } from '../../ownership.ts';
import type { Settings } from '../../settings.ts';
import { pullSecretCopies } from '../pullsecrets/default.ts';
import { apiError } from '../../../runtime/api-error.ts';
import { ProviderError, type AppBuild, type EnvBuild, type Lookup, type NetworkPolicy } from '../provider.ts';

export const STRIMZI = 'kafka.strimzi.io/v1beta2';
/** The kinds this mode writes or counts; each needs its CRD, which only Strimzi installs. */
export const STRIMZI_KINDS = ['Kafka', 'KafkaTopic', 'KafkaUser', 'KafkaConnect'] as const;
export type StrimziKind = (typeof STRIMZI_KINDS)[number];
export const strimziCrd = (kind: StrimziKind) => `${kind.toLowerCase()}s.kafka.strimzi.io`;
/** Clowder's KafkaConnect image; Clowder pins no tag, and no setting changes it. */
export const CONNECT_IMAGE = 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/kafka-connect';
/** Clowder marks the pods and Services Strimzi makes for the cluster, to find them by one label. */
const STRIMZI_POD_LABELS = { service: 'strimziKafka' };

export interface StrimziObject extends KubernetesObject {
  status?: {
    listeners?: { name: string; addresses?: { host: string; port: number }[] }[];
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
    username?: string;
    secret?: string;
  };
}

/** Where the cluster lives: `<cluster>` and `<kns>`, from the env (deprecated aliases win when set). */
export function kafkaCluster(env: ClowdEnvironment, targetNamespace: string): { name: string; namespace: string } {
  const kafka = env.spec.providers.kafka;
  return {
    name: kafka.clusterName || kafka.cluster?.name || env.metadata!.name!,
    namespace: kafka.namespace || kafka.cluster?.namespace || targetNamespace,
  };
}

/** Where the KafkaConnect cluster lives: `<connect>` and `<cns>`, by default the Kafka's own name and namespace. */
export function connectCluster(env: ClowdEnvironment, targetNamespace: string): { name: string; namespace: string } {
  const kafka = env.spec.providers.kafka;
  const cluster = kafkaCluster(env, targetNamespace);
  return {
    name: kafka.connectClusterName || kafka.connect?.name || cluster.name,
    namespace: kafka.connectNamespace || kafka.connect?.namespace || cluster.namespace,
  };
}

/** The first of Strimzi's CRDs the cluster lacks, as the failure says it (the caller adds its prefix). */
export function missingStrimzi(lookup: Lookup): string | undefined {
  const missing = STRIMZI_KINDS.map(strimziCrd).find((crd) => !lookup.crdInstalled(crd));
  return missing && `mode operator needs the Strimzi operator: the CRD ${missing} is not installed: `;
}

/**
 * The env half (§15.3): the Kafka cluster and, once it reports listeners, the KafkaConnect
 * cluster, written at once, since what Strimzi says of them is read back from its caches. While
 * Strimzi is missing or the cluster has no listeners yet, the env waits: apps cannot be given
 * brokers before that. Strimzi's objects count like Deployments in the env status (§3.3): the
 * Kafka and the KafkaConnect as managed deployments, the env's KafkaTopics as managed topics,
 * each ready when Strimzi says so for its current spec.
 */
export async function envProvide(build: EnvBuild): Promise<void> {
  const missing = missingStrimzi(build.lookup);
  if (missing) return void build.waits.push(`kafka: ${missing}`);
  const { env, targetNamespace, lookup } = build;
  const cluster = kafkaCluster(env, targetNamespace);
  const connect = connectCluster(env, targetNamespace);
  // Strimzi's schema refusing a value the env passes through (say, `cluster.jvmOptions`) is the
  // env author's to fix: it goes into the env's conditions.
  const write = async (object: KubernetesObject) => {
    try {
      await build.writeNow(object);
    } catch (error) {
      const { code, message } = apiError(error);
      if (code !== 422 && code !== 400) throw error;
      throw new ProviderError(`kafka: apply: ${message}`);
    }
  };

  // Strimzi's pods pull from the env's registries too: copies of the pull secrets go where they run.
  const pullSecrets = async (namespace: string) => {
    const copies = pullSecretCopies({ env, lookup, appTracked: [] }, namespace);
    if (namespace !== targetNamespace) for (const copy of copies) await write(copy); // the pull-secrets half writes those of <tns>
    return copies.map((c) => ({ name: c.metadata!.name! }));
  };

  const appNamespaces = [...new Set(build.apps.map((a) => a.metadata!.namespace!))];
  for (const object of kafkaObjects(env, targetNamespace, appNamespaces, build.settings, await pullSecrets(cluster.namespace))) await write(object);
  const kafka = lookup.strimzi('Kafka', cluster.namespace, cluster.name);
  const brokers = brokersOf(kafka);
  if (!brokers.length) return void build.waits.push(`kafka: cluster ${cluster.name} in ${cluster.namespace} reports no listeners yet: `);

  // KafkaConnect needs the bootstrap addresses, which is why it comes only now.
  const bootstrap = brokers.map((b) => `${b.hostname}:${b.port}`).join(',');
  await write(connectUser(env, cluster.name, connect.namespace));
  await write(kafkaConnect(env, cluster.name, connect, bootstrap, await pullSecrets(connect.namespace)));

  // Both clusters count from now on: a KafkaConnect just created, not cached yet, is simply not
  // ready, rather than missing from the count (which would make the env look ready for a moment).
  const clusters = [kafka!, lookup.strimzi('KafkaConnect', connect.namespace, connect.name)];
  const topics = lookup.kafkaTopics(cluster.namespace).filter((t) => t.metadata?.labels?.env === env.metadata!.name);
  Object.assign(build.counts, {
    managed: clusters.length,
    ready: clusters.filter((c) => c && strimziReady(c)).length,
    managedTopics: topics.length,
    readyTopics: topics.filter(strimziReady).length,
  });
}

/**
 * The env's Kafka, its metrics ConfigMap, and a NetworkPolicy that lets in the namespaces of the
 * env's apps, since Kafka may live in a namespace of its own. Kafka, ZooKeeper and the entity
 * operator (which runs Strimzi's topic and user operators) get the same pod template: the
 * pull-secret copies and Clowder's label.
 */
function kafkaObjects(env: ClowdEnvironment, targetNamespace: string, appNamespaces: string[], settings: Settings, imagePullSecrets: { name: string }[]): KubernetesObject[] {
  const kafka = env.spec.providers.kafka;
  const { name, namespace } = kafkaCluster(env, targetNamespace);
  const replicas = Math.max(kafka.cluster?.replicas ?? 0, 1);
  const legacy = Boolean(kafka.enableLegacyStrimzi);
  const size = kafka.cluster?.storageSize || '1Gi';
  const persistent = (s: string) => ({ type: 'persistent-claim', size: s, deleteClaim: Boolean(kafka.cluster?.deleteClaim) });
  const labels = { env: env.metadata!.name! };
  const pod = { metadata: { labels: STRIMZI_POD_LABELS }, imagePullSecrets };
  const resources = (cpu: [string, string], memory: [string, string]) => ({ requests: { cpu: cpu[0], memory: memory[0] }, limits: { cpu: cpu[1], memory: memory[1] } });
  const defaults = resources(['250m', '500m'], ['600Mi', '1Gi']);
  const config = kafka.cluster?.config ?? {};
  const metrics: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-metrics`, namespace, labels, ownerReferences: ownedBy(env) },
    // The JMX exporter's rules: export every Kafka MBean as a Prometheus metric, lowercased.
    data: { metrics: 'lowercaseOutputName: true\nrules:\n  - pattern: kafka.(\\w+)<type=(.+), name=(.+)><>Value\n    name: kafka_$1_$2_$3\n' },
  };
  const listeners: object[] = legacy
    ? [{ name: 'tcp', port: 9092, type: 'internal', tls: false }]
    : [{ name: 'tls', port: 9093, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } }];
  // Clowder's `enableExternalStrimzi`: a NodePort listener for clients outside the cluster (a
  // developer's laptop), which broker 0 advertises as localhost:9094, e.g. through a port-forward.
  if (settings.features.enableExternalStrimzi) {
    listeners.push({ name: 'ext', port: 9094, type: 'nodeport', tls: false, configuration: { brokers: [{ broker: 0, advertisedHost: 'localhost', advertisedPort: 9094 }] } });
  }
  const cluster = {
    apiVersion: STRIMZI,
    kind: 'Kafka',
    metadata: { name, namespace, labels, ownerReferences: ownedBy(env) },
    spec: {
      kafka: {
        replicas,
        version: kafka.cluster?.version || '3.8.0',
        config: Object.keys(config).length ? config : { 'offsets.topic.replication.factor': replicas, 'default.replication.factor': replicas },
        listeners,
        ...(legacy ? {} : { authorization: { type: 'simple' } }),
        storage: kafka.pvc ? persistent(size) : { type: 'ephemeral' },
        metricsConfig: { type: 'jmxPrometheusExporter', valueFrom: { configMapKeyRef: { name: `${name}-metrics`, key: 'metrics', optional: false } } },
        resources: { requests: kafka.cluster?.resources?.requests ?? defaults.requests, limits: kafka.cluster?.resources?.limits ?? defaults.limits },
        jvmOptions: kafka.cluster?.jvmOptions ?? {},
        template: { pod, perPodService: { metadata: { labels: STRIMZI_POD_LABELS } } },
      },
      zookeeper: {
        replicas,
        resources: resources(['200m', '350m'], ['400Mi', '800Mi']),
        storage: kafka.pvc ? persistent(smaller(size, '50Gi')) : { type: 'ephemeral' },
        template: { pod, nodesService: { metadata: { labels: STRIMZI_POD_LABELS } } },
      },
      entityOperator: {
        topicOperator: { resources: resources(['50m', '200m'], ['250Mi', '500Mi']) },
        userOperator: { resources: resources(['50m', '400m'], ['250Mi', '500Mi']) },
        template: {
          pod,
          // With finalizers, a KafkaTopic outlives its Kafka only until the topic operator has
          // deleted the topic; a cluster torn down as a whole may prefer not to wait for that.
          topicOperatorContainer: { env: [{ name: 'STRIMZI_USE_FINALIZERS', value: String(!settings.features.disableStrimziFinalizer) }] },
        },
      },
    },
  };
  const policy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: envLabels(env), ownerReferences: ownedBy(env) },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: appNamespaces.map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } })) }],
    },
  };
  return [metrics, policy, cluster];
}

/** KafkaConnect's own user `<env>-connect`: every topic and group, as connectors read and write anywhere. */
function connectUser(env: ClowdEnvironment, cluster: string, namespace: string): KubernetesObject {
  const user = kafkaUser(env, `${env.metadata!.name}-connect`, cluster, namespace, ['*']);
  return env.spec.providers.kafka.enableLegacyStrimzi ? ({ ...user, spec: {} } as KubernetesObject) : user;
}

/**
 * The KafkaConnect cluster, managing its connectors through KafkaConnector objects (the
 * annotation) rather than Connect's REST API. Its internal topics are replicated once, and it
 * reads connector secrets through Strimzi's Kubernetes config provider.
 */
function kafkaConnect(env: ClowdEnvironment, cluster: string, connect: { name: string; namespace: string }, bootstrapServers: string, imagePullSecrets: { name: string }[]): KubernetesObject {
  const options = env.spec.providers.kafka.connect ?? {};
  const user = `${env.metadata!.name}-connect`;
  const secure = !env.spec.providers.kafka.enableLegacyStrimzi;
  return {
    apiVersion: STRIMZI,
    kind: 'KafkaConnect',
    metadata: {
      name: connect.name,
      namespace: connect.namespace,
      labels: { env: env.metadata!.name! },
      annotations: { 'strimzi.io/use-connector-resources': 'true' },
      ownerReferences: ownedBy(env),
    },
    spec: {
      replicas: Math.max(options.replicas ?? 0, 1),
      bootstrapServers,
      version: options.version || '3.8.0',
      image: options.image || CONNECT_IMAGE,
      config: {
        'group.id': 'connect-cluster',
        'config.storage.topic': 'connect-cluster-configs',
        'offset.storage.topic': 'connect-cluster-offsets',
        'status.storage.topic': 'connect-cluster-status',
        'config.storage.replication.factor': '1',
        'offset.storage.replication.factor': '1',
        'status.storage.replication.factor': '1',
        'connector.client.config.override.policy': 'All',
        'config.providers': 'secrets',
        'config.providers.secrets.class': 'io.strimzi.kafka.KubernetesSecretConfigProvider',
      },
      resources: {
        requests: options.resources?.requests ?? { cpu: '200m', memory: '2Gi' },
        limits: options.resources?.limits ?? { cpu: '500m', memory: '2Gi' },
      },
      jvmOptions: { '-Xms': '2G', '-Xmx': '2G' },
      template: { pod: { imagePullSecrets } },
      // The TLS listener: trust the cluster's CA, and log in as the connect user, whose password
      // Strimzi keeps in a Secret of the user's name.
      ...(secure ? {
        tls: { trustedCertificates: [{ secretName: `${cluster}-cluster-ca-cert`, certificate: 'ca.crt' }] },
        authentication: { type: 'scram-sha-512', username: user, passwordSecret: { secretName: user, password: 'password' } },
      } : {}),
    },
  } as KubernetesObject;
}

export async function provide(build: AppBuild): Promise<void> {
  const missing = missingStrimzi(build.lookup);
  if (missing) throw new ProviderError(missing);
  const { app, env } = build;
  const envName = env.metadata!.name!;
  const { name: cluster, namespace } = kafkaCluster(env, build.targetNamespace);
  const kafka = (await build.read(STRIMZI, 'Kafka', namespace, cluster)) as StrimziObject | undefined;
  if (!kafka) throw new ProviderError(`kafka cluster ${cluster} not found in namespace ${namespace}: `);

  // 1-2: brokers from the listeners Strimzi reports, with the cluster CA for TLS ones.
  const caSecret = build.lookup.secret(namespace, `${cluster}-cluster-ca-cert`);
  if (caSecret) build.envTracked.push({ kind: 'Secret', name: caSecret.metadata!.name!, namespace, data: caSecret.data });
  const cacert = caSecret?.data?.['ca.crt'] ? Buffer.from(caSecret.data['ca.crt'], 'base64').toString('utf8') : undefined;
  const brokers = brokersOf(kafka, cacert);

  // 4: one KafkaTopic per topic, sized for every app of the env that asks for it.
  const topics = app.spec.kafkaTopics ?? [];
  for (const topic of topics) await build.writeNow(kafkaTopic(build, topic.topicName, cluster, namespace));

  // 5: a KafkaUser allowed on exactly these topics; Strimzi answers with a username and a Secret.
  if (!env.spec.providers.kafka.enableLegacyStrimzi) {
    const userName = `${envName}-${app.metadata!.name}`;
    await build.writeNow(kafkaUser(env, userName, cluster, namespace, topics.map((t) => t.topicName)));
    const user = (await build.read(STRIMZI, 'KafkaUser', namespace, userName)) as StrimziObject | undefined;
    const secret: V1Secret | undefined = user?.status?.secret ? build.lookup.secret(namespace, user.status.secret) : undefined;
    if (!user?.status?.username || !secret) throw new ProviderError(`KafkaUser ${userName} is not ready yet: `);
    build.envTracked.push({ kind: 'Secret', name: secret.metadata!.name!, namespace, data: secret.data });
    const password = Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
    for (const broker of brokers.filter((b) => b.authtype === 'sasl')) {
      broker.sasl = { username: user.status.username, password, saslMechanism: 'SCRAM-SHA-512', securityProtocol: 'SASL_SSL' };
      broker.securityProtocol = 'SASL_SSL';
    }
  }
  build.config.kafka = { brokers, topics: topics.map((t) => ({ name: t.topicName, requestedName: t.topicName })) };
}

/** One broker per listener Strimzi reports: `tls` with SASL and the CA, `plain` or `tcp` bare. */
function brokersOf(kafka: StrimziObject | undefined, cacert?: string): BrokerConfig[] {
  return (kafka?.status?.listeners ?? []).flatMap((l): BrokerConfig[] => {
    const address = l.addresses?.[0];
    if (!address) return [];
    if (l.name === 'tls') return [{ authtype: 'sasl', ...(cacert ? { cacert } : {}), hostname: address.host, port: address.port, sasl: {} }];
    return l.name === 'plain' || l.name === 'tcp' ? [{ hostname: address.host, port: address.port }] : [];
  });
}

/** Strimzi's readiness: a Ready=True condition about the current generation. */
function strimziReady(object: StrimziObject): boolean {
  const current = (object.status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0);
  return current && Boolean(object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/**
 * The KafkaTopic for a topic name: the largest partitions and replicas any app of the env asks
 * for (0 means 3), replicas capped by the cluster's size, and the config keys merged.
 */
function kafkaTopic(build: AppBuild, topicName: string, cluster: string, namespace: string): KubernetesObject {
  const { env } = build;
  const requests = build.lookup.apps()
    .filter((a) => a.spec.envName === env.metadata!.name && !a.metadata?.deletionTimestamp)
    .flatMap((a) => (a.spec.kafkaTopics ?? []).filter((t) => t.topicName === topicName));
  const max = (values: number[]) => Math.max(0, ...values) || 3;
  const size = env.spec.providers.kafka.cluster?.replicas ?? 0;
  const replicas = size < 1 ? 1 : Math.min(max(requests.map((t) => t.replicas ?? 0)), size);
  const config: Record<string, string> = {};
  for (const [key, value] of requests.flatMap((t) => Object.entries(t.config ?? {}))) {
    if (key === 'retention.ms' || key === 'retention.bytes' || key === 'min.compaction.lag.ms') {
      config[key] = String(Math.max(Number(value), Number(config[key] ?? value)));
    } else if (key === 'cleanup.policy') {
      config[key] = [...new Set([...(config[key]?.split(',') ?? []), ...value.split(',')])].sort().join(',');
    } else {
      throw new ProviderError(`no conversion type for ${key}`);
    }
  }
  return {
    apiVersion: STRIMZI,
    kind: 'KafkaTopic',
    metadata: { name: topicName, namespace, labels: { 'strimzi.io/cluster': cluster, env: build.app.spec.envName }, ownerReferences: ownedBy(env) },
    spec: { partitions: max(requests.map((t) => t.partitions ?? 0)), replicas, config },
  } as KubernetesObject;
}

/** A user of the cluster with a SCRAM password, allowed everything on these topics and on every consumer group. */
function kafkaUser(env: ClowdEnvironment, name: string, cluster: string, namespace: string, topics: string[]): KubernetesObject {
  const acl = (type: string, resourceName: string) => ({ host: '*', operation: 'All', resource: { type, name: resourceName, patternType: 'literal' } });
  return {
    apiVersion: STRIMZI,
    kind: 'KafkaUser',
    metadata: { name, namespace, labels: { ...envLabels(env), 'strimzi.io/cluster': cluster }, ownerReferences: ownedBy(env) },
    spec: {
      authentication: { type: 'scram-sha-512' },
      authorization: { type: 'simple', acls: [...topics.map((t) => acl('topic', t)), acl('group', '*')] },
    },
  } as KubernetesObject;
}

/** The smaller of two sizes such as "1Gi" and "50Gi" (zookeeper never gets more than 50Gi). */
function smaller(a: string, b: string): string {
  const gi = (s: string) => Number.parseFloat(s) * (s.endsWith('Ti') ? 1024 : s.endsWith('Mi') ? 1 / 1024 : 1);
  return gi(a) < gi(b) ? a : b;
}
