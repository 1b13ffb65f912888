// Assembles the PostgresDatabase operator from the kit's runtime: two caches, one controller,
// one manager. `npm run operator -- postgres-database`, the lesson and the tests all build it here.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Controller } from '../../operator/runtime/controller.ts';
import { InformerFactory } from '../../operator/runtime/informer-factory.ts';
import type { KubeClient } from '../../operator/runtime/kube-client.ts';
import { Manager } from '../../operator/runtime/manager.ts';
import { Metrics } from '../../operator/runtime/metrics.ts';
import { PostgresAdmin } from './postgres-admin.ts';
import { API_VERSION, COMPONENT, KIND, type PostgresDatabase } from './postgres-database.ts';
import { postgresDatabaseReconciler } from './reconcile.ts';

export interface PostgresDatabaseOptions {
  /** Every request of the operator goes through it: caches, writes, Events. */
  client: KubeClient;
  /** The admin connection string of the server this operator manages. */
  postgresUrl: string;
  /** Watch one namespace only; all namespaces when absent. */
  namespace?: string;
  /** How often each PostgresDatabase is compared with the server again, to find drift. */
  pollMs?: number;
  /**
   * The longest wait between retries while the server is down. The queue doubles the delay
   * after every failure up to this; 10 s keeps the lesson lively, production would allow minutes.
   */
  maxBackoffMs?: number;
  health?: { port?: number; host?: string };
  log?: (line: string) => void;
}

export function postgresDatabaseOperator(options: PostgresDatabaseOptions) {
  const { client, namespace } = options;
  const log = options.log ?? ((line: string) => console.error(`[${COMPONENT}] ${line}`));
  const informers = new InformerFactory(client, { log });
  const caches = {
    databases: informers.for<PostgresDatabase>({ apiVersion: API_VERSION, kind: KIND, namespace }),
    // Every Secret of the namespace (or cluster) is cached, though we need only our own: the
    // kit's informer has no label selector. A production operator would watch only Secrets
    // labelled app.kubernetes.io/managed-by=postgres-database, and get RBAC for no others.
    secrets: informers.for<V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace }),
  };
  const admin = new PostgresAdmin(options.postgresUrl);
  const metrics = new Metrics();
  const controller = new Controller({
    name: COMPONENT,
    primary: caches.databases,
    // A Secret we own changed or was deleted: reconcile its PostgresDatabase, which rewrites it.
    watches: [{
      informer: caches.secrets,
      keysFor: (secret: KubernetesObject) =>
        (secret.metadata?.ownerReferences ?? [])
          .filter((o) => o.kind === KIND && o.apiVersion === API_VERSION)
          .map((o) => `${secret.metadata!.namespace}/${o.name}`),
    }],
    reconcile: postgresDatabaseReconciler(client, caches, admin, options.pollMs ?? 10_000),
    queue: { baseDelayMs: 200, maxDelayMs: options.maxBackoffMs ?? 10_000 },
    metrics,
    log,
  });
  const manager = new Manager({ client, informers, controllers: [controller], metrics, health: options.health, log });
  return { manager, controller, caches, metrics, admin };
}
