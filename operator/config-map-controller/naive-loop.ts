// The first attempt, and the lesson's cautionary tale: watch ConfigMaps and restart pods on every
// change event. It works while it runs. But a watch only reports what happens while it is open:
// a ConfigMap changed while this loop was down (a deploy, a crash, a node drain) produces no
// event when the loop comes back, so those pods keep running with the old configuration —
// silently. (It also ignores that the API server ends every watch after a few minutes.)
import { AppsV1Api, Watch, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { KubeClient } from '../runtime/kube-client.ts';
import { restart, staleDeployments } from './restart.ts';

export async function startNaiveLoop(kc: KubeConfig, namespace: string, log = console.error): Promise<() => Promise<void>> {
  const apps = kc.makeApiClient(AppsV1Api);
  const client = new KubeClient(kc); // the restart itself is shared with the real controller
  // No resourceVersion: "start watching from now". Existing ConfigMaps arrive as ADDED events,
  // which the loop ignores — it only cares about changes.
  const watch = await new Watch(kc).watch(`/api/v1/namespaces/${namespace}/configmaps`, {},
    (type: string, cm: V1ConfigMap) => {
      if (type !== 'MODIFIED') return;
      void apps.listNamespacedDeployment({ namespace })
        .then((list) => restart(client, cm, staleDeployments(cm, list.items)))
        .then(() => log(`naive loop: ${cm.metadata?.name} changed, pods restarted`))
        .catch((error) => log(`naive loop: ${error.message}`)); // and the change is lost
    },
    (error) => log(`naive loop: watch ended${error ? `: ${error.message}` : ''}`));
  return async () => {
    watch.abort();
    client.close();
  };
}
