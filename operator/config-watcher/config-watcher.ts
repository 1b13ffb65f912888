// The ConfigWatcher resource as TypeScript sees it, and the names the operator writes into the
// cluster. The CRD in manifests/crd.yaml is the authority on the shape; this mirrors it.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Condition } from '../runtime/conditions.ts';

export const GROUP = 'k8spatterns.com';
export const VERSION = 'v1';
export const PLURAL = 'configwatchers';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ConfigWatcher';

/** Held on every ConfigWatcher, so its deletion waits for the operator to undo its annotation. */
export const FINALIZER = 'config-watcher.k8spatterns.com/cleanup';
/** Who we are in Events and in managedFields. */
export const COMPONENT = 'config-watcher';

export interface ConfigWatcher extends KubernetesObject {
  spec: {
    configMap: string;
    podSelector: Record<string, string>;
  };
  status?: {
    observedGeneration?: number;
    configHash?: string;
    conditions?: Condition[];
  };
}

/**
 * The pod-template annotation that carries the ConfigMap's hash, one per ConfigWatcher: two
 * watchers selecting the same Deployment each own their own key and never undo each other.
 */
export function hashAnnotation(watcher: KubernetesObject): string {
  return `config-watcher.k8spatterns.com/${watcher.metadata?.name}`;
}

/** A field manager per ConfigWatcher, for the same reason: applying one watcher's annotation must not remove another's. */
export function fieldManager(watcher: KubernetesObject): string {
  return `${COMPONENT}/${watcher.metadata?.name}`;
}

/**
 * A fingerprint of a ConfigMap's contents. Keys are sorted so the same data always gives the
 * same hash, whatever order the API server happens to return it in.
 */
export function configHash(data: Record<string, string> | undefined, binaryData: Record<string, string> | undefined): string {
  const sorted = (record: Record<string, string> = {}) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([sorted(data), sorted(binaryData)])).digest('hex');
}
