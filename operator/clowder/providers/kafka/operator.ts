// Kafka, mode `operator` (§15.3): Clowder asks the Strimzi operator for a Kafka cluster, topics
// and users. That needs Strimzi's CRDs. This kit implements the check, not the objects: without
// the CRDs an app with topics fails with a message that says what is missing, instead of the
// API server's "no matches for kind" deep inside a write; with them, it says that this kit stops
// short of Strimzi (see the README's list of what is left).
//
// Owned resources: none in this kit (Clowder: Kafka, KafkaTopic, KafkaUser, KafkaConnect …).
import { ProviderError, type AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  if (!build.lookup.crdInstalled('kafkas.kafka.strimzi.io')) {
    throw new ProviderError('mode operator needs the Strimzi operator: the CRD kafkas.kafka.strimzi.io is not installed: ');
  }
  throw new ProviderError('mode operator: Strimzi objects are not implemented by this kit; use mode managed or none: ');
}
