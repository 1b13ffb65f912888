// Kafka, mode `operator` (§15.3): Kafka run inside the cluster by the Strimzi operator. We do
// not run Kafka ourselves; we write Strimzi's custom resources and let Strimzi do the work:
// - the env half asks for a `Kafka` cluster (and the ConfigMap of its metrics rules), then waits
//   until Strimzi reports the cluster's listeners, and counts the cluster and its topics;
// - each app with topics asks for one `KafkaTopic` per topic (shared by every app of the env
//   that names it, so partitions and replicas are the largest anyone asked for) and one
//   `KafkaUser`, whose credentials Strimzi puts in a Secret that we copy into the config.
// Without Strimzi's CRDs, an app fails with a message that says so, instead of the API server's
// "no matches for kind" deep inside a write. This kit leaves out the KafkaConnect cluster.
//
// Owned resources (all owned by the env; Strimzi's kinds are never pruned, as in Clowder):
// - Kafka `<cluster>`, ConfigMap `<cluster>-metrics` and NetworkPolicy `<cluster>` in `<kns>` (env reconcile)
// - KafkaTopic `<topicName>` and KafkaUser `<env>-<app>` in `<kns>` (app reconcile)
import type { KubernetesObject, V1ConfigMap, V1NetworkPolicy, V1Secret } from '@kubernetes/client-node';
import type { ClowdEnvironment } from '../../api.ts';
import type { BrokerConfig } from '../../client/app-config.ts';
import { envLabels, ownedBy } from '../../ownership.ts';
import { ProviderError, type AppBuild, type EnvBuild } from '../provider.ts';

export const STRIMZI = 'kafka.strimzi.io/v1beta2';
export const KAFKA_CRD = 'kafkas.kafka.strimzi.io';

interface Listener {
  name: string;
  addresses?: { host: string; port: number }[];
}

/** Where the cluster lives: `<cluster>` and `<kns>`, from the env (deprecated aliases win when set). */
export function kafkaCluster(env: ClowdEnvironment, targetNamespace: string): { name: string; namespace: string } {
  const kafka = env.spec.providers.kafka;
  return {
    name: kafka.clusterName || kafka.cluster?.name || env.metadata!.name!,
    namespace: kafka.namespace || kafka.cluster?.namespace || targetNamespace,
  };
}

interface StrimziObject extends KubernetesObject {
  status?: { listeners?: Listener[]; observedGeneration?: number; conditions?: { type: string; status: string }[] };
}

/**
 * The env half: the cluster and its companions, written at once, since we must read back what
 * Strimzi says of them. Apps cannot be given brokers before the cluster reports listeners, so
 * until then the env waits. Strimzi's objects count like Deployments: the cluster as a managed
 * deployment, each KafkaTopic of the env as a managed topic.
 */
export async function envProvide(build: EnvBuild): Promise<void> {
  if (!build.lookup.crdInstalled(KAFKA_CRD)) {
    build.waits.push(`kafka: mode operator needs the Strimzi operator: the CRD ${KAFKA_CRD} is not installed: `);
    return;
  }
  const { env, targetNamespace } = build;
  const appNamespaces = [...new Set(build.apps.map((a) => a.metadata!.namespace!))];
  for (const object of kafkaEnvObjects(env, targetNamespace, appNamespaces)) await build.writeNow(object);
  const { name, namespace } = kafkaCluster(env, targetNamespace);
  const kafka = (await build.read(STRIMZI, 'Kafka', namespace, name)) as StrimziObject | undefined;
  if (!kafka?.status?.listeners?.length) {
    build.waits.push(`kafka: cluster ${name} in ${namespace} reports no listeners yet: `);
    return;
  }
  const topics = (await build.list(STRIMZI, 'KafkaTopic', namespace, `env=${env.metadata!.name}`)) as StrimziObject[];
  Object.assign(build.counts, { managed: 1, ready: strimziReady(kafka) ? 1 : 0, managedTopics: topics.length, readyTopics: topics.filter(strimziReady).length });
}

/** Strimzi's readiness: a Ready=True condition about the current generation. */
function strimziReady(object: StrimziObject): boolean {
  const current = (object.status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0);
  return current && Boolean(object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/**
 * The env's Kafka, its metrics ConfigMap, and a NetworkPolicy that lets in the namespaces of the
 * env's apps (in the order of status.apps), since Kafka may live in a namespace of its own (§15.3).
 */
function kafkaEnvObjects(env: ClowdEnvironment, targetNamespace: string, appNamespaces: string[]): KubernetesObject[] {
  const kafka = env.spec.providers.kafka;
  const { name, namespace } = kafkaCluster(env, targetNamespace);
  const replicas = kafka.cluster?.replicas || 1;
  const legacy = Boolean(kafka.enableLegacyStrimzi);
  const size = kafka.cluster?.storageSize || '1Gi';
  const persistent = (s: string) => ({ type: 'persistent-claim', size: s, deleteClaim: Boolean(kafka.cluster?.deleteClaim) });
  const labels = { env: env.metadata!.name! };
  const metrics: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${name}-metrics`, namespace, labels, ownerReferences: ownedBy(env) },
    // The JMX exporter's rules: export every Kafka MBean as a Prometheus metric, lowercased.
    data: { metrics: 'lowercaseOutputName: true\nrules:\n  - pattern: kafka.(\\w+)<type=(.+), name=(.+)><>Value\n    name: kafka_$1_$2_$3\n' },
  };
  const cluster = {
    apiVersion: STRIMZI,
    kind: 'Kafka',
    metadata: { name, namespace, labels, ownerReferences: ownedBy(env) },
    spec: {
      kafka: {
        replicas,
        version: kafka.cluster?.version || '3.8.0',
        config: kafka.cluster?.config ?? { 'offsets.topic.replication.factor': replicas, 'default.replication.factor': replicas },
        listeners: legacy
          ? [{ name: 'tcp', port: 9092, type: 'internal', tls: false }]
          : [{ name: 'tls', port: 9093, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } }],
        ...(legacy ? {} : { authorization: { type: 'simple' } }),
        storage: kafka.pvc ? persistent(size) : { type: 'ephemeral' },
        metricsConfig: { type: 'jmxPrometheusExporter', valueFrom: { configMapKeyRef: { name: `${name}-metrics`, key: 'metrics' } } },
        resources: kafka.cluster?.resources ?? { requests: { cpu: '250m', memory: '600Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
      },
      zookeeper: { replicas, storage: kafka.pvc ? persistent(smaller(size, '50Gi')) : { type: 'ephemeral' } },
    },
  };
  const policy: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: envLabels(env), ownerReferences: ownedBy(env) },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ _from: appNamespaces.map((ns) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } })) }],
    },
  };
  return [metrics, policy, cluster];
}

export async function provide(build: AppBuild): Promise<void> {
  if (!build.lookup.crdInstalled(KAFKA_CRD)) {
    throw new ProviderError(`mode operator needs the Strimzi operator: the CRD ${KAFKA_CRD} is not installed: `);
  }
  const { app, env } = build;
  const envName = env.metadata!.name!;
  const { name: cluster, namespace } = kafkaCluster(env, build.targetNamespace);
  const kafka = (await build.read(STRIMZI, 'Kafka', namespace, cluster)) as (KubernetesObject & { status?: { listeners?: Listener[] } }) | undefined;
  if (!kafka) throw new ProviderError(`kafka cluster ${cluster} not found in namespace ${namespace}: `);

  // 1-2: brokers from the listeners Strimzi reports, with the cluster CA for TLS ones.
  const caSecret = build.lookup.secret(namespace, `${cluster}-cluster-ca-cert`);
  if (caSecret) build.envTracked.push({ kind: 'Secret', name: caSecret.metadata!.name!, namespace, data: caSecret.data });
  const cacert = caSecret?.data?.['ca.crt'] ? Buffer.from(caSecret.data['ca.crt'], 'base64').toString('utf8') : undefined;
  const brokers: BrokerConfig[] = (kafka.status?.listeners ?? []).flatMap((l): BrokerConfig[] => {
    const address = l.addresses?.[0];
    if (!address) return [];
    if (l.name === 'tls') return [{ authtype: 'sasl', ...(cacert ? { cacert } : {}), hostname: address.host, port: address.port, sasl: {} }];
    return l.name === 'plain' || l.name === 'tcp' ? [{ hostname: address.host, port: address.port }] : [];
  });

  // 4: one KafkaTopic per topic, sized for every app of the env that asks for it.
  const topics = app.spec.kafkaTopics ?? [];
  for (const topic of topics) await build.writeNow(kafkaTopic(build, topic.topicName, cluster, namespace));

  // 5: a KafkaUser allowed on exactly these topics; Strimzi answers with a username and a Secret.
  if (!env.spec.providers.kafka.enableLegacyStrimzi) {
    const userName = `${envName}-${app.metadata!.name}`;
    await build.writeNow(kafkaUser(build, userName, cluster, namespace, topics.map((t) => t.topicName)));
    const user = (await build.read(STRIMZI, 'KafkaUser', namespace, userName)) as (KubernetesObject & { status?: { username?: string; secret?: string } }) | undefined;
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

function kafkaUser(build: AppBuild, name: string, cluster: string, namespace: string, topics: string[]): KubernetesObject {
  const acl = (type: string, resourceName: string) => ({ host: '*', operation: 'All', resource: { type, name: resourceName, patternType: 'literal' } });
  return {
    apiVersion: STRIMZI,
    kind: 'KafkaUser',
    metadata: { name, namespace, labels: { ...envLabels(build.env), 'strimzi.io/cluster': cluster }, ownerReferences: ownedBy(build.env) },
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
