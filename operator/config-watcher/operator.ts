// Assembles the ConfigWatcher operator from the runtime: three caches, one controller, one
// manager. The in-cluster entry (main.ts), the CLI (scripts/operator.ts), the tests and the
// benchmark all build it here, so they all run the same thing.
import type { KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { Controller } from '../runtime/controller.ts';
import { InformerFactory } from '../runtime/informer-factory.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import type { LeaderElectionOptions } from '../runtime/leader-election.ts';
import { Manager } from '../runtime/manager.ts';
import { Metrics } from '../runtime/metrics.ts';
import { API_VERSION, COMPONENT, KIND, type ConfigWatcher } from './config-watcher.ts';
import { configWatcherReconciler } from './reconcile.ts';

export interface ConfigWatcherOptions {
  client: KubeClient;
  /** Watch one namespace only; all namespaces when absent. */
  namespace?: string;
  leaderElection?: LeaderElectionOptions;
  health?: { port?: number; host?: string };
  workers?: number;
  /** Re-check every ConfigWatcher this often (ms), to repair anything an event missed. */
  resyncMs?: number;
  /** Backoff of the informers' retries; tests shorten it. */
  informerBackoffMs?: number;
  onLostLeadership?: () => void;
  log?: (line: string) => void;
}

export function configWatcherOperator(options: ConfigWatcherOptions) {
  const { client, namespace } = options;
  const log = options.log ?? ((line: string) => console.error(`[${COMPONENT}] ${line}`));
  const informers = new InformerFactory(client, { log, baseBackoffMs: options.informerBackoffMs });
  const caches = {
    watchers: informers.for<ConfigWatcher>({ apiVersion: API_VERSION, kind: KIND, namespace }),
    configMaps: informers.for<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace }),
    // Read from, never watched for changes: we restart on ConfigMap changes only.
    deployments: informers.for<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace }),
  };
  const metrics = new Metrics();
  const controller = new Controller({
    name: COMPONENT,
    primary: caches.watchers,
    // A changed ConfigMap matters to every ConfigWatcher in its namespace that names it.
    watches: [{
      informer: caches.configMaps,
      keysFor: (cm: KubernetesObject) =>
        caches.watchers
          .list(cm.metadata?.namespace)
          .filter((w) => w.spec.configMap === cm.metadata?.name)
          .map((w) => `${w.metadata!.namespace}/${w.metadata!.name}`),
    }],
    reconcile: configWatcherReconciler(client, caches),
    workers: options.workers ?? 4,
    resyncMs: options.resyncMs ?? 10 * 60_000,
    metrics,
    log,
  });
  const manager = new Manager({
    client,
    informers,
    controllers: [controller],
    metrics,
    leaderElection: options.leaderElection,
    health: options.health,
    onLostLeadership: options.onLostLeadership,
    log,
  });
  return { manager, controller, caches, metrics };
}
