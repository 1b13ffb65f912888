// The same job done as a controller, on the kit's runtime. The difference is not the restart
// code (restart.ts is shared) but how it decides what to do: it compares the desired state (the
// ConfigMap's current data) with the actual state (the hash on each Deployment's pod template)
// every time it reconciles — not only when an event arrives. Starting up, it lists every
// ConfigMap, so a change made while it was down is found and applied. Events only say *when*
// to look again; they are never the only record of what to do.
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { Controller } from '../runtime/controller.ts';
import { InformerFactory } from '../runtime/informer-factory.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { Manager } from '../runtime/manager.ts';
import { Metrics } from '../runtime/metrics.ts';
import { Outcome } from '../runtime/outcome.ts';
import { dataHash, podSelector, restart, staleDeployments } from './restart.ts';

export function configMapController(client: KubeClient, namespace: string, log = console.error) {
  const informers = new InformerFactory(client, { log });
  const configMaps = informers.for<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace });
  const deployments = informers.for<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace });
  const metrics = new Metrics();
  const controller = new Controller({
    name: 'config-map-controller',
    primary: configMaps,
    // A Deployment created or changed later may be selected by a ConfigMap: look at those again.
    watches: [{
      informer: deployments,
      keysFor: () => configMaps.list(namespace)
        .filter((cm) => podSelector(cm))
        .map((cm) => `${namespace}/${cm.metadata!.name}`),
    }],
    async reconcile(key) {
      const cm = configMaps.get(key);
      if (!cm) return; // deleted: the pods keep what they have
      if (!podSelector(cm)) return; // not annotated: none of our business, and nothing to log
      // One log line per pass, saying what it did (../runtime/outcome.ts).
      const outcome = new Outcome();
      const stale = staleDeployments(cm, deployments.list(namespace));
      if (stale.length === 0) return { outcome }; // already right: no write at all
      await restart(client, cm, stale);
      for (const d of stale) outcome.add('updated', d, `restarted for data ${dataHash(cm).slice(0, 12)}`);
      return { outcome };
    },
    metrics,
    log,
  });
  return new Manager({ client, informers, controllers: [controller], metrics, health: { port: 0 }, log });
}
