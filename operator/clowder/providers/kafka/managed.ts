// Kafka, mode `managed` (§15.2): a Kafka run outside the cluster (a cloud service). The
// environment names one Secret with the brokers and SASL credentials; apps with topics get them,
// and their topic names with the env's prefix. Nothing is created: topics are provisioned
// elsewhere. The Secret is tracked, so rotated credentials roll the pods (§7.2).
//
// Owned resources: none.
import type { BrokerConfig } from '../../client/app-config.ts';
import { ProviderError, type AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const topics = build.app.spec.kafkaTopics ?? [];
  if (!topics.length) return;
  const kafka = build.env.spec.providers.kafka;
  const ref = kafka.managedSecretRef;
  if (!ref?.name || !ref.namespace) throw new ProviderError('no secret ref defined for managed Kafka: ');
  const secret = build.lookup.secret(ref.namespace, ref.name);
  if (!secret) throw new ProviderError(`secrets "${ref.name}" not found`);
  const read = (key: string) => (secret.data?.[key] === undefined ? undefined : Buffer.from(secret.data[key], 'base64').toString('utf8'));

  const port = Number(read('port'));
  if (!Number.isInteger(port)) throw new ProviderError(`strconv.Atoi: parsing "${read('port') ?? ''}": invalid syntax`);
  const hostnames = read('hostnames')?.split(',') ?? [read('hostname') ?? ''];
  const cacert = read('cacert');
  const sasl = {
    password: read('password') ?? '',
    saslMechanism: read('saslMechanism') || 'PLAIN',
    securityProtocol: 'SASL_SSL',
    username: read('username') ?? '',
  };
  const brokers: BrokerConfig[] = hostnames.map((hostname) => ({
    authtype: 'sasl',
    ...(cacert !== undefined ? { cacert } : {}),
    hostname,
    port,
    sasl,
    securityProtocol: 'SASL_SSL',
  }));
  const prefix = kafka.managedPrefix ?? '';
  build.config.kafka = { brokers, topics: topics.map((t) => ({ name: `${prefix}${t.topicName}`, requestedName: t.topicName })) };
  build.envTracked.push({ kind: 'Secret', name: ref.name, namespace: ref.namespace, data: secret.data });
}
