// The ConfigWatcher reconciler: when a ConfigMap's data changes, restart the pods that use it.
//
// How we restart: we roll the Deployments that own the selected pods, the way
// `kubectl rollout restart` does, by changing an annotation in the pod template. We could
// delete the pods instead and let their ReplicaSets recreate them, but that takes them all down
// at once. A rollout replaces them step by step within the Deployment's maxUnavailable and
// maxSurge, and waits for readiness, so the application stays up. The cost: only pods owned by a
// Deployment are restarted; a bare pod has no template to roll.
//
// The annotation's value is the hash of the ConfigMap's data, not a timestamp. Applying it is then
// idempotent: if we crash after rolling but before recording that in status, the retry applies the
// same value again, which changes nothing and restarts nothing.
//
// How we know the data changed: status.configHash is the hash we last acted on. Because it lives in
// the cluster, not in our memory, a change made while the operator was down is still seen as a
// change when it comes back, and a resync of an unchanged ConfigMap finds equal hashes and does
// nothing: no patch, no status write, no Event.
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { apply } from '../runtime/apply.ts';
import { findCondition, setCondition } from '../runtime/conditions.ts';
import type { Reconcile } from '../runtime/controller.ts';
import { recordEvent, type EventRecord } from '../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../runtime/finalizers.ts';
import type { Informer } from '../runtime/informer.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { Outcome } from '../runtime/outcome.ts';
import {
  COMPONENT,
  configHash,
  FINALIZER,
  fieldManager,
  hashAnnotation,
  type ConfigWatcher,
} from './config-watcher.ts';

export interface Caches {
  watchers: Informer<ConfigWatcher>;
  configMaps: Informer<V1ConfigMap>;
  deployments: Informer<V1Deployment>;
}

export function configWatcherReconciler(client: KubeClient, caches: Caches): Reconcile {
  return async function reconcile(key) {
    // ### 1: Load the ConfigWatcher from the cache
    // Gone means deleted and already finalized: nothing is left to do. Everything read from the
    // caches is shared with the informers, so we only ever build new objects from it.
    const watcher = caches.watchers.get(key);
    if (!watcher) return;
    const namespace = watcher.metadata!.namespace!;
    // What this pass does, for the log: one line per pass (../runtime/outcome.ts).
    const outcome = new Outcome();

    // ### 2: Being deleted: undo our annotation, then let deletion finish
    if (watcher.metadata?.deletionTimestamp) {
      if (!hasFinalizer(watcher, FINALIZER)) return;
      for (const deployment of await releaseDeployments(watcher, namespace)) outcome.add('updated', deployment, 'annotation removed');
      await removeFinalizer(client, watcher, FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'removed') };
    }

    // ### 3: Hold a finalizer, so we get to clean up even if deletion happens while we are down
    // The patch produces an update event, which brings this key back with the new object.
    if (!hasFinalizer(watcher, FINALIZER)) {
      await addFinalizer(client, watcher, FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'added') };
    }

    // ### 4: Read the ConfigMap
    const configMap = caches.configMaps.get(`${namespace}/${watcher.spec.configMap}`);
    if (!configMap) {
      // Not an error to retry: the ConfigMap's creation will be an event that brings us back.
      const message = `ConfigMap ${watcher.spec.configMap} does not exist in namespace ${namespace}`;
      await writeStatus(watcher, {
        configHash: watcher.status?.configHash,
        ready: { status: 'False', reason: 'ConfigMapMissing', message },
        event: { type: 'Warning', reason: 'ConfigMapMissing', message: `ConfigMap ${watcher.spec.configMap} not found` },
      });
      return { outcome: outcome.fail(message) };
    }

    // ### 5: Compare the data's hash with the one we last acted on
    // No hash yet means we have just met this ConfigWatcher: the pods already run with today's
    // data, so we only remember the hash. Restarting them would be a surprise, not a fix.
    const hash = configHash(configMap.data, configMap.binaryData);
    const previous = watcher.status?.configHash;
    let event: EventRecord | undefined;
    if (previous && previous !== hash) {
      // ### 6: The data changed: roll every selected Deployment that does not carry the new hash yet
      const selected = selectedDeployments(watcher, namespace);
      const rolled: string[] = [];
      for (const deployment of selected) {
        if (deployment.spec?.template.metadata?.annotations?.[hashAnnotation(watcher)] === hash) continue;
        await apply(client, templateAnnotation(watcher, deployment, hash), fieldManager(watcher));
        rolled.push(deployment.metadata!.name!);
        outcome.add('updated', deployment, `restarted: ConfigMap ${configMap.metadata?.name} changed`);
      }
      const name = configMap.metadata?.name;
      event = {
        type: 'Normal',
        reason: 'RolloutRestarted',
        message: !selected.length
          ? `ConfigMap ${name} changed, but no Deployment matches the podSelector`
          : rolled.length
            ? `ConfigMap ${name} changed: restarted Deployment ${rolled.join(', ')}`
            : `ConfigMap ${name} changed: Deployment ${selected.map((d) => d.metadata?.name).join(', ')} already restarted`,
      };
    }

    // ### 7: Record what we acted on
    const wrote = await writeStatus(watcher, {
      configHash: hash,
      ready: { status: 'True', reason: 'UpToDate', message: `Pods follow ConfigMap ${configMap.metadata?.name} (data ${hash.slice(0, 12)})` },
      event,
    });
    return { outcome: outcome.add(wrote ? 'updated' : undefined, 'status', `Ready, data ${hash.slice(0, 12)}`) };
  };

  /** Deployments in the namespace whose pods carry every label of the podSelector. */
  function selectedDeployments(watcher: ConfigWatcher, namespace: string): V1Deployment[] {
    const selector = Object.entries(watcher.spec.podSelector);
    return caches.deployments.list(namespace).filter((d) => {
      const labels = d.spec?.template.metadata?.labels ?? {};
      return selector.every(([k, v]) => labels[k] === v);
    });
  }

  /**
   * What we apply to a Deployment: its identity and our one annotation, nothing else. Server-side
   * apply merges it with the rest of the Deployment and records this watcher as the annotation's owner.
   */
  function templateAnnotation(watcher: ConfigWatcher, deployment: V1Deployment, hash: string | undefined): V1Deployment {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: deployment.metadata!.name, namespace: deployment.metadata!.namespace },
      ...(hash ? { spec: { template: { metadata: { annotations: { [hashAnnotation(watcher)]: hash } } } } } : {}),
    } as V1Deployment;
  }

  /**
   * On deletion, apply an empty configuration under this watcher's field manager: the server
   * removes the fields only we owned, our annotation. The Deployments roll once more and end up
   * exactly as their owners declared them, with no trace of a watcher that no longer exists.
   */
  async function releaseDeployments(watcher: ConfigWatcher, namespace: string): Promise<V1Deployment[]> {
    const released: V1Deployment[] = [];
    for (const deployment of caches.deployments.list(namespace)) {
      if (deployment.spec?.template.metadata?.annotations?.[hashAnnotation(watcher)] === undefined) continue;
      await apply(client, templateAnnotation(watcher, deployment, undefined), fieldManager(watcher));
      released.push(deployment);
    }
    return released;
  }

  /**
   * Writes status only if it differs from what is stored: that is what makes a resync of a
   * settled ConfigWatcher free. The Event goes with a change of condition or an explicit action,
   * never with a plain re-check, for the same reason. Returns whether it wrote.
   */
  async function writeStatus(
    watcher: ConfigWatcher,
    next: { configHash?: string; ready: { status: 'True' | 'False'; reason: string; message: string }; event?: EventRecord },
  ): Promise<boolean> {
    const generation = watcher.metadata?.generation ?? 0;
    const status: ConfigWatcher['status'] = {
      observedGeneration: generation,
      ...(next.configHash ? { configHash: next.configHash } : {}),
      conditions: setCondition(watcher.status?.conditions, { type: 'Ready', ...next.ready, observedGeneration: generation }),
    };
    const before = findCondition(watcher.status?.conditions, 'Ready');
    const changed = !isDeepStrictEqual(status, watcher.status);
    if (changed) {
      // A replace carries the resourceVersion of the object we read; if the ConfigWatcher changed
      // since, the server answers 409 Conflict and the queue retries us with the newer object.
      await client.replace({ ...watcher, status }, { subresource: 'status' });
    }
    // An action is always worth an Event. A warning repeats a condition, so it goes out when the
    // condition appears, not on every re-check.
    const conditionChanged = before?.status !== next.ready.status || before?.reason !== next.ready.reason;
    if (next.event && (next.event.type === 'Normal' || conditionChanged)) await recordEvent(client, COMPONENT, watcher, next.event);
    return changed;
  }
}
