// Events are the controller's diary, shown by `kubectl describe` and `kubectl events`: what it
// did to an object and why. They are ordinary core/v1 objects that expire after an hour. We write
// one per decision (not per reconcile), so a quiet controller writes no Events at all.
import type { KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { KubeClient } from './kube-client.ts';

export interface EventRecord {
  type: 'Normal' | 'Warning';
  /** CamelCase, stable: tools group and alert by it. */
  reason: string;
  message: string;
}

export async function recordEvent(client: KubeClient, component: string, object: KubernetesObject, event: EventRecord): Promise<void> {
  const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
  const now = new Date().toISOString();
  await client.create({
    apiVersion: 'v1',
    kind: 'Event',
    // Unique names, like client-go's recorder: the object's name plus a random suffix. Events of
    // cluster-scoped objects go to default, as with client-go.
    metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace: namespace ?? 'default' },
    involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name, namespace, uid, resourceVersion },
    type: event.type,
    reason: event.reason,
    message: event.message,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component },
    reportingComponent: component,
  } as KubernetesObject);
}
