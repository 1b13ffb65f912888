// The PostgresDatabase resource as TypeScript sees it, and the names the operator writes. The
// CRD in manifests/crd.yaml is the authority on the shape; this mirrors it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition } from '../../operator/runtime/conditions.ts';

export const GROUP = 'k8spatterns.com';
export const VERSION = 'v1alpha1';
export const PLURAL = 'postgresdatabases';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'PostgresDatabase';

/** Held on every PostgresDatabase: its deletion waits until the database and role are dropped. */
export const FINALIZER = 'postgres-database.k8spatterns.com/drop';
/** Who we are in Events and in managedFields. */
export const COMPONENT = 'postgres-database';

export interface PostgresDatabase extends KubernetesObject {
  spec: { databaseName: string };
  status?: {
    observedGeneration?: number;
    secretName?: string;
    conditions?: Condition[];
  };
}

/** The Secret with the login; it sits beside the PostgresDatabase, which owns it. */
export function secretName(db: KubernetesObject): string {
  return `${db.metadata?.name}-postgres`;
}
