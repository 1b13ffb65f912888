// A finalizer is a name in metadata.finalizers. While it is there, a DELETE only sets
// metadata.deletionTimestamp and the object stays: that gives the controller its chance to clean
// up, even if it was down when the user deleted the object. Removing the name lets deletion finish.
//
// We change the list with a JSON merge patch that carries the resourceVersion we read. A merge
// patch replaces the whole list, so without that check two controllers editing finalizers at the
// same time could drop each other's entry; with it, the second one gets 409 Conflict and retries.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';

export function hasFinalizer(object: KubernetesObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) ?? false;
}

export function addFinalizer<T extends KubernetesObject>(client: KubeClient, object: T, finalizer: string): Promise<T> {
  return patchFinalizers(client, object, [...(object.metadata?.finalizers ?? []), finalizer]);
}

export function removeFinalizer<T extends KubernetesObject>(client: KubeClient, object: T, finalizer: string): Promise<T> {
  return patchFinalizers(client, object, (object.metadata?.finalizers ?? []).filter((f) => f !== finalizer));
}

function patchFinalizers<T extends KubernetesObject>(client: KubeClient, object: T, finalizers: string[]): Promise<T> {
  return client.patch(object, { metadata: { resourceVersion: object.metadata?.resourceVersion, finalizers } }, 'merge');
}
