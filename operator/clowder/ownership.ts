// Who owns what, and how owned objects are labelled (§0). Two rules make garbage collection and
// pruning work without any bookkeeping of our own:
// - every object we create carries exactly one owner reference, to the ClowdApp or the
//   ClowdEnvironment it was made for, so deleting the owner deletes it;
// - every object carries the owner's labels, so one label query finds all of them again.
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import type { ClowdApp, ClowdEnvironment } from './api.ts';

/**
 * An owner reference with controller: true. Unlike the runtime's ownerReference() it leaves
 * blockOwnerDeletion unset, as Clowder does: setting it needs delete rights on the owner and
 * would make a foreground deletion of the app wait for every Deployment.
 */
export function ownedBy(owner: ClowdApp | ClowdEnvironment): V1OwnerReference[] {
  const { name, uid } = owner.metadata ?? {};
  return [{ apiVersion: owner.apiVersion!, kind: owner.kind!, name: name!, uid: uid!, controller: true }];
}

/** The UID of the object's controlling owner, if any. */
export function controllerUid(object: KubernetesObject): string | undefined {
  return object.metadata?.ownerReferences?.find((o) => o.controller)?.uid;
}

/** The ClowdApp's own labels plus `app: <app>` (kept as given if the app sets `app` itself). */
export function appLabels(app: ClowdApp): Record<string, string> {
  return { app: app.metadata!.name!, ...app.metadata?.labels };
}

/** Objects made for an environment carry exactly `{app: <env>}`. */
export function envLabels(env: ClowdEnvironment): Record<string, string> {
  return { app: env.metadata!.name! };
}
