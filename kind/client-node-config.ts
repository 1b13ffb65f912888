// For the commands that talk to the cluster with @kubernetes/client-node: the guarded kubeconfig
// (context-guard.ts) as a client-node KubeConfig. Kept apart from the guard so that importing the
// guard does not load client-node.
import { KubeConfig } from '@kubernetes/client-node';
import { guardedKubeconfig } from './context-guard.ts';
import type { KubeconfigData } from './kubeconfig.ts';

export function toKubeConfig(data: KubeconfigData): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: data.clusters, users: data.users, contexts: data.contexts, currentContext: data.currentContext });
  return kc;
}

/** guardedKubeconfig's answer (same arguments, same refusals) as a KubeConfig, for client-node's API clients. */
export function guardedKubeConfig(explicitContext?: string, kubeconfig?: KubeconfigData, known?: Set<string>): KubeConfig {
  return toKubeConfig(guardedKubeconfig(explicitContext, kubeconfig, known));
}
