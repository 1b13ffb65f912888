// Kafka, mode `app-interface` (§15.4): a Strimzi Kafka that someone else runs and manages (App
// Interface, in Red Hat's clusters), topics included. The env half only checks that the
// cluster's bootstrap Service exists; an app with topics gets that Service as its broker,
// once every topic it names exists as a KafkaTopic of that name. With `cluster.forceTLS` the
// broker is the TLS listener, with the cluster's CA, which is tracked so a new CA rolls the pods.
//
// Owned resources: none.
import type { BrokerConfig } from '../../client/app-config.ts';
import { ProviderError, type AppBuild, type EnvBuild } from '../provider.ts';
import { kafkaCluster, STRIMZI } from './operator.ts';

/** The env half: wait, with Clowder's message, until the bootstrap Service exists. */
export function envProvide(build: EnvBuild): void {
  const { name, namespace } = kafkaCluster(build.env, build.targetNamespace);
  if (build.lookup.service(namespace, `${name}-kafka-bootstrap`)) return;
  build.waits.push(`runprov: kafka: Cannot find kafka bootstrap service ${namespace}:${name}-kafka-bootstrap: `);
}

export async function provide(build: AppBuild): Promise<void> {
  const topics = build.app.spec.kafkaTopics ?? [];
  if (!topics.length) return;
  const { name, namespace } = kafkaCluster(build.env, build.targetNamespace);
  const broker: BrokerConfig = { hostname: `${name}-kafka-bootstrap.${namespace}.svc`, port: 9092 };
  if (build.env.spec.providers.kafka.cluster?.forceTLS) {
    const caName = `${name}-cluster-ca-cert`;
    const ca = build.lookup.secret(namespace, caName);
    if (!ca) throw new ProviderError(`secrets "${caName}" not found`);
    build.envTracked.push({ kind: 'Secret', name: caName, namespace, data: ca.data });
    Object.assign(broker, { cacert: Buffer.from(ca.data?.['ca.crt'] ?? '', 'base64').toString('utf8'), port: 9093, securityProtocol: 'SSL' });
  }
  for (const { topicName } of topics) {
    if (!(await build.read(STRIMZI, 'KafkaTopic', namespace, topicName))) {
      throw new ProviderError(`Missing dependencies: [source: kafka, details: No KafkaTopic named '${topicName}' found in namespace '${namespace}']`);
    }
  }
  build.config.kafka = { brokers: [broker], topics: topics.map((t) => ({ name: t.topicName, requestedName: t.topicName })) };
}
