// Server-side apply: we send only the fields we have an opinion about, under a field manager name,
// and the API server merges them with everybody else's. It records which manager owns which field,
// so a field we stop sending is removed only if nobody else set it too. That makes "make these
// fields look like this" one idempotent request: applying the same thing twice changes nothing,
// not even the resourceVersion.
//
// force: true takes fields over from other managers instead of failing with a conflict. A
// controller wants that: it is the authority for the fields it applies.
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.ts';

export function apply<T extends KubernetesObject>(client: KubeClient, object: T, fieldManager: string): Promise<T> {
  return client.patch(object, object, 'apply', { fieldManager, force: true });
}

/**
 * An owner reference makes object a dependent of owner: the garbage collector deletes it when
 * the owner goes, and `controller: true` marks the one owner that manages it. Owner and
 * dependent must live in the same namespace (or the owner be cluster-scoped).
 */
export function ownerReference(owner: KubernetesObject): V1OwnerReference {
  const { name, uid } = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind || !name || !uid) throw new Error('an owner needs apiVersion, kind, name and uid');
  return { apiVersion: owner.apiVersion, kind: owner.kind, name, uid, controller: true, blockOwnerDeletion: true };
}
