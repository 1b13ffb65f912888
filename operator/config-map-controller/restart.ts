// What both versions of the lesson's controller do when a ConfigMap changes: restart the pods
// that use it. A ConfigMap says which pods those are with an annotation holding a label selector:
//
//   metadata.annotations["k8spatterns.com/pod-selector"] = "app=web"
//
// We restart by rolling the Deployments whose pods match, the way `kubectl rollout restart` does:
// a changed pod-template annotation makes the Deployment replace its pods step by step, within
// maxUnavailable, instead of all at once as deleting the pods would. The annotation's value is a
// hash of the ConfigMap's data, so it also records which data the pods were started with:
// applying the same hash twice restarts nothing.
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { apply } from '../runtime/apply.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { configHash } from '../config-watcher/config-watcher.ts';

export const POD_SELECTOR = 'k8spatterns.com/pod-selector';
export const CONFIG_HASH = 'k8spatterns.com/config-hash';
const FIELD_MANAGER = 'config-map-controller';

/** "app=web,tier=front" → { app: 'web', tier: 'front' }; undefined when the ConfigMap has no selector. */
export function podSelector(cm: V1ConfigMap): Record<string, string> | undefined {
  const text = cm.metadata?.annotations?.[POD_SELECTOR];
  if (!text) return undefined;
  return Object.fromEntries(text.split(',').map((pair) => pair.split('=').map((s) => s.trim())));
}

export function dataHash(cm: V1ConfigMap): string {
  return configHash(cm.data, cm.binaryData);
}

/** The Deployments among `deployments` whose pods the ConfigMap selects and that run older data. */
export function staleDeployments(cm: V1ConfigMap, deployments: V1Deployment[]): V1Deployment[] {
  const selector = podSelector(cm);
  if (!selector) return [];
  const hash = dataHash(cm);
  return deployments.filter((d) => {
    const labels = d.spec?.template.metadata?.labels ?? {};
    const selected = Object.entries(selector).every(([k, v]) => labels[k] === v);
    return selected && d.spec?.template.metadata?.annotations?.[CONFIG_HASH] !== hash;
  });
}

/** Rolls each stale Deployment by applying the new hash to its pod template. */
export async function restart(client: KubeClient, cm: V1ConfigMap, stale: V1Deployment[]): Promise<void> {
  for (const d of stale) {
    // Only the field we own: server-side apply leaves the rest of the Deployment alone.
    const patch = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: d.metadata!.name!, namespace: d.metadata!.namespace! },
      spec: { template: { metadata: { annotations: { [CONFIG_HASH]: dataHash(cm) } } } },
    };
    await apply(client, patch, FIELD_MANAGER);
  }
}
