// Kafka `operator` mode (§15.3) on the real local control plane, with Strimzi's real CRDs (from
// Clowder's Go module, strimzi-crds.ts) and the test playing the Strimzi operator: it writes the
// status Strimzi would write, and the Secrets Strimzi would make. No Kafka runs. The CRDs come
// after the operator has started, and nothing pokes its queues: it must follow Strimzi's kinds
// from the moment they exist.
import { CoreV1Api, CustomObjectsApi, NetworkingV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testClient, testKubeConfig, waitFor } from '../../test/cluster.ts';
import type { ClowdApp, ClowdAppSpec } from './api.ts';
import type { AppConfig } from './client/app-config.ts';
import { validateAppConfig } from './config/schema.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';
import { installStrimziCrds, removeStrimziCrds } from './strimzi-crds.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const suffix = randomBytes(3).toString('hex');
const strimzi = `strimzi-${suffix}`;
const refused = `refused-${suffix}`;

const b64 = (text: string) => Buffer.from(text).toString('base64');
type StrimziObject = { spec: Record<string, unknown>; metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
const strimziObject = (plural: string, namespace: string, name: string) =>
  custom.getNamespacedCustomObject({ group: 'kafka.strimzi.io', version: 'v1beta2', plural, namespace, name }) as Promise<StrimziObject>;
/** Strimzi's part: what it reports once an object is built. */
const setStatus = (plural: string, namespace: string, name: string, status: object) =>
  custom.patchNamespacedCustomObjectStatus({ group: 'kafka.strimzi.io', version: 'v1beta2', plural, namespace, name, body: [{ op: 'add', path: '/status', value: status }] });
const ready = { conditions: [{ type: 'Ready', status: 'True' }], observedGeneration: 1 };

const t = clowderTest('clowder-kafka', {
  setup: async () => {
    // A cluster without Strimzi, whatever an earlier run left behind.
    await removeStrimziCrds(client);
    await core.createNamespacedSecret({ namespace: t.ns.name, body: { metadata: { name: 'registry' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{"auths":{}}') } } });
    await t.createEnv(environment(strimzi, { kafka: { mode: 'operator' }, pullSecrets: [{ name: 'registry', namespace: t.ns.name }] }));
  },
  // Clowder's switch for the external listener is on, as in its own ephemeral environments.
  operator: { settings: { features: { enableExternalStrimzi: true, disableStrimziFinalizer: false } } },
});
const { clowd } = t;

afterAll(async () => {
  await removeStrimziCrds(client);
});

async function failure(name: string, env: string, spec: Partial<ClowdAppSpec>) {
  await clowd.createApp(clowdApp(name, t.ns.name, env, [{ name: 'a' }], spec));
  const app = await waitFor(`${name} to fail`, async () => {
    const a = await clowd.readApp(t.ns.name, name);
    return condition(a, 'ReconciliationFailed')?.status === 'True' ? a : undefined;
  });
  return condition(app as ClowdApp, 'ReconciliationFailed')!.message;
}

describe('§15.3 Kafka operator mode', () => {
  it('without Strimzi the env says what is missing, and its apps wait for it', async () => {
    const env = await waitFor('the env to fail', async () => {
      const e = await clowd.readEnv(strimzi);
      return condition(e, 'ReconciliationFailed')?.status === 'True' ? e : undefined;
    });
    expect(condition(env, 'ReconciliationFailed')!.message).toBe('kafka: mode operator needs the Strimzi operator: the CRD kafkas.kafka.strimzi.io is not installed: ');
    expect(await failure('streams', strimzi, { kafkaTopics: [{ topicName: 'orders', partitions: 6 }] })).toBe('clowd env not reconciled');
  });

  it('with Strimzi (played here by the test) it writes Clowder\'s Kafka, KafkaConnect, KafkaTopic and KafkaUsers and builds the brokers', async () => {
    await installStrimziCrds(client);
    const tns = (await clowd.readEnv(strimzi)).status!.targetNamespace!;
    const kafka = await waitFor('the Kafka object', () => strimziObject('kafkas', tns, strimzi).catch(() => undefined));
    expect(kafka.metadata.labels).toEqual({ env: strimzi });
    // What the API server kept under Strimzi's schema: every field Clowder sets.
    const pod = { metadata: { labels: { service: 'strimziKafka' } }, imagePullSecrets: [{ name: `${strimzi}-registry-clowder-copy` }] };
    const resources = (cpu: string[], memory: string[]) => ({ requests: { cpu: cpu[0], memory: memory[0] }, limits: { cpu: cpu[1], memory: memory[1] } });
    expect(kafka.spec).toEqual({
      kafka: {
        replicas: 1,
        version: '3.8.0',
        config: { 'offsets.topic.replication.factor': 1, 'default.replication.factor': 1 },
        listeners: [
          { name: 'tls', port: 9093, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } },
          { name: 'ext', port: 9094, type: 'nodeport', tls: false, configuration: { brokers: [{ broker: 0, advertisedHost: 'localhost', advertisedPort: 9094 }] } },
        ],
        authorization: { type: 'simple' },
        storage: { type: 'ephemeral' },
        metricsConfig: { type: 'jmxPrometheusExporter', valueFrom: { configMapKeyRef: { name: `${strimzi}-metrics`, key: 'metrics', optional: false } } },
        resources: resources(['250m', '500m'], ['600Mi', '1Gi']),
        jvmOptions: {},
        template: { pod, perPodService: { metadata: { labels: { service: 'strimziKafka' } } } },
      },
      zookeeper: {
        replicas: 1,
        resources: resources(['200m', '350m'], ['400Mi', '800Mi']),
        storage: { type: 'ephemeral' },
        template: { pod, nodesService: { metadata: { labels: { service: 'strimziKafka' } } } },
      },
      entityOperator: {
        topicOperator: { resources: resources(['50m', '200m'], ['250Mi', '500Mi']) },
        userOperator: { resources: resources(['50m', '400m'], ['250Mi', '500Mi']) },
        template: { pod, topicOperatorContainer: { env: [{ name: 'STRIMZI_USE_FINALIZERS', value: 'true' }] } },
      },
    });
    // Without listeners there is no KafkaConnect yet: it needs the bootstrap addresses.
    await expect(strimziObject('kafkaconnects', tns, strimzi)).rejects.toMatchObject({ code: 404 });

    // Strimzi's part: the cluster comes up, Ready, with a TLS listener and a CA.
    await core.createNamespacedSecret({ namespace: tns, body: { metadata: { name: `${strimzi}-cluster-ca-cert` }, data: { 'ca.crt': b64('CA') } } });
    await setStatus('kafkas', tns, strimzi, { ...ready, listeners: [{ name: 'tls', addresses: [{ host: `${strimzi}-kafka-bootstrap.${tns}.svc`, port: 9093 }] }] });
    const connect = await waitFor('the KafkaConnect', () => strimziObject('kafkaconnects', tns, strimzi).catch(() => undefined));
    expect(connect.metadata.labels).toEqual({ env: strimzi });
    expect(connect.metadata.annotations).toEqual({ 'strimzi.io/use-connector-resources': 'true' });
    expect(connect.spec).toEqual({
      replicas: 1,
      bootstrapServers: `${strimzi}-kafka-bootstrap.${tns}.svc:9093`,
      version: '3.8.0',
      image: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/kafka-connect',
      config: {
        'group.id': 'connect-cluster', 'connector.client.config.override.policy': 'All',
        'config.storage.topic': 'connect-cluster-configs', 'config.storage.replication.factor': '1',
        'offset.storage.topic': 'connect-cluster-offsets', 'offset.storage.replication.factor': '1',
        'status.storage.topic': 'connect-cluster-status', 'status.storage.replication.factor': '1',
        'config.providers': 'secrets', 'config.providers.secrets.class': 'io.strimzi.kafka.KubernetesSecretConfigProvider',
      },
      resources: resources(['200m', '500m'], ['2Gi', '2Gi']),
      jvmOptions: { '-Xms': '2G', '-Xmx': '2G' },
      template: { pod: { imagePullSecrets: [{ name: `${strimzi}-registry-clowder-copy` }] } },
      tls: { trustedCertificates: [{ secretName: `${strimzi}-cluster-ca-cert`, certificate: 'ca.crt' }] },
      authentication: { type: 'scram-sha-512', username: `${strimzi}-connect`, passwordSecret: { secretName: `${strimzi}-connect`, password: 'password' } },
    });
    const connectUser = await strimziObject('kafkausers', tns, `${strimzi}-connect`);
    expect(connectUser.metadata.labels).toEqual({ app: strimzi, 'strimzi.io/cluster': strimzi });
    expect(connectUser.spec).toEqual({ authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls: [
      { host: '*', operation: 'All', resource: { type: 'topic', name: '*', patternType: 'literal' } },
      { host: '*', operation: 'All', resource: { type: 'group', name: '*', patternType: 'literal' } },
    ] } });
    // The env pass succeeds, not ready: KafkaConnect is not up. Nothing retries a pass that
    // succeeded, and nothing polls: only the watch on KafkaConnects can bring the env back.
    await waitFor('the env to wait for KafkaConnect', async () => {
      const { status } = await clowd.readEnv(strimzi);
      return status?.deployments?.managedDeployments === 2 && status.deployments.readyDeployments === 1 ? true : undefined;
    });
    // Strimzi's part: KafkaConnect is up. Apps wait for a ready env, and so for it, as in Clowder.
    await setStatus('kafkaconnects', tns, strimzi, ready);

    const user = await waitFor('the KafkaUser', () => strimziObject('kafkausers', tns, `${strimzi}-streams`).catch(() => undefined));
    expect(user.spec.authorization).toEqual({ type: 'simple', acls: [
      { host: '*', operation: 'All', resource: { type: 'topic', name: 'orders', patternType: 'literal' } },
      { host: '*', operation: 'All', resource: { type: 'group', name: '*', patternType: 'literal' } },
    ] });
    const topic = await strimziObject('kafkatopics', tns, 'orders');
    expect(topic.spec).toEqual({ partitions: 6, replicas: 1, config: {} });
    expect(topic.metadata.labels).toEqual({ 'strimzi.io/cluster': strimzi, env: strimzi });

    // Strimzi's part again: the topic is ready, and the user has credentials.
    await setStatus('kafkatopics', tns, 'orders', ready);
    await core.createNamespacedSecret({ namespace: tns, body: { metadata: { name: 'streams-user' }, data: { password: b64('pw') } } });
    await setStatus('kafkausers', tns, `${strimzi}-streams`, { username: 'streams-user', secret: 'streams-user' });
    await waitFor('streams to reconcile', reconciled(() => clowd.readApp(t.ns.name, 'streams')));
    const stored = await core.readNamespacedSecret({ name: 'streams', namespace: t.ns.name });
    const config = JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()) as AppConfig;
    expect(config.kafka).toEqual({
      brokers: [{
        authtype: 'sasl', cacert: 'CA', hostname: `${strimzi}-kafka-bootstrap.${tns}.svc`, port: 9093, securityProtocol: 'SASL_SSL',
        sasl: { password: 'pw', saslMechanism: 'SCRAM-SHA-512', securityProtocol: 'SASL_SSL', username: 'streams-user' },
      }],
      topics: [{ name: 'orders', requestedName: 'orders' }],
    });
    expect(validateAppConfig(config)).toEqual([]);

    // The env counts the Kafka and KafkaConnect clusters as deployments and the topic as a topic.
    const env = await waitFor('the env to count Strimzi objects', async () => {
      const e = await clowd.readEnv(strimzi);
      return e.status?.ready ? e : undefined;
    });
    expect(env.status!.deployments).toEqual({ managedDeployments: 2, readyDeployments: 2, managedTopics: 1, readyTopics: 1 });
    const policy = await kc.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: strimzi, namespace: tns });
    expect(policy.spec!.ingress![0]._from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': t.ns.name } } }]);
    // Every step above came from a watch event on Strimzi's kinds: no pass asked to look again later.
    expect(t.operator.metrics.total('clowdenvironment', 'requeue')).toBe(0);
  });

  it('a value Strimzi\'s schema refuses fails the env with the API server\'s reason', async () => {
    await t.createEnv(environment(refused, { kafka: { mode: 'operator', cluster: { jvmOptions: { '-Xms': 'lots' } } } }));
    const env = await waitFor('the env to fail', async () => {
      const e = await clowd.readEnv(refused);
      return condition(e, 'ReconciliationFailed')?.status === 'True' ? e : undefined;
    });
    expect(condition(env, 'ReconciliationFailed')!.message).toMatch(/^kafka: apply: Kafka.kafka.strimzi.io "refused-\w+" is invalid: spec.kafka.jvmOptions.-Xms: Invalid value: "lots"/);
  });

  it('when Strimzi goes away the operator stops following its kinds, and the env says what is missing again', async () => {
    await removeStrimziCrds(client);
    // On the way it may first fail for the Kafka that went with its CRD ("no listeners yet").
    const missing = 'kafka: mode operator needs the Strimzi operator: the CRD kafkas.kafka.strimzi.io is not installed: ';
    await waitFor('the env to say Strimzi is missing', async () => (condition(await clowd.readEnv(strimzi), 'ReconciliationFailed')?.message === missing ? true : undefined));
    expect(Object.values(t.operator.caches.strimzi).map((informer) => [informer.served, informer.list().length])).toEqual([[false, 0], [false, 0], [false, 0], [false, 0]]);
  });
});
