// Whether this process may dial a Service's cluster IP (MinIO's, to create buckets, §14.3).
// In a pod it can: that is where Clowder runs. Out of the cluster it can only where kube-proxy
// programs this very machine, that is, where one of the cluster's nodes is this machine (the
// workshop's real node). Anywhere else (kind's nodes seen from the laptop, kwok's fake nodes) no
// route leads to a cluster IP, and a dial would leave through the default gateway to whatever
// answers there. So we do not dial at all, and the app waits as it would for a MinIO that is down.
import type { V1Node } from '@kubernetes/client-node';
import { networkInterfaces } from 'node:os';
import type { KubeClient } from '../runtime/kube-client.ts';

export async function clusterIPsReachable(client: KubeClient): Promise<boolean> {
  if (process.env.KUBERNETES_SERVICE_HOST) return true; // set by the kubelet in every pod
  const local = new Set(Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((a) => a.address)));
  const { items } = await client.list<V1Node>('v1', 'Node');
  return items.some((node) => node.status?.addresses?.some((a) => a.type === 'InternalIP' && local.has(a.address)));
}
