// Events are the controller's diary, shown by `kubectl describe` and `kubectl events`: what it
// did to an object and why. They are ordinary core/v1 objects that expire after an hour. We write
// one per decision (not per reconcile), so a quiet controller writes no Events at all.
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';

export interface EventRecord {
  type: 'Normal' | 'Warning';
  /** CamelCase, stable: tools group and alert by it. */
  reason: string;
  message: string;
}

export async function recordEvent(core: CoreV1Api, component: string, object: KubernetesObject, event: EventRecord): Promise<void> {
  const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
  const now = new Date();
  await core.createNamespacedEvent({
    namespace: namespace ?? 'default', // cluster-scoped objects get their Events in default, as with client-go
    body: {
      // Unique names, like client-go's recorder: the object's name plus a random suffix.
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name, namespace, uid, resourceVersion },
      type: event.type,
      reason: event.reason,
      message: event.message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component },
      reportingComponent: component,
    },
  });
}
