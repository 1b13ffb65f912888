// Every command that changes a cluster goes through this guard first. Attendees often have a
// work cluster in their kubeconfig; a workshop step that deletes a namespace must never reach it.
// So we act only on the workshop's own clusters, unless the user names another context explicitly.
// The guard works on plain kubeconfig data and loads no @kubernetes/client-node, so that the
// operator, which talks to the API server with its own small client, never loads that package;
// client-node-config.ts gives the commands that use client-node a guarded KubeConfig.
import { clusterOf, contextNamed, kubectlKubeconfig, type KubeconfigData } from './kubeconfig.ts';
import { clusterIdentity, knownClusters } from './known-clusters.ts';
import { WORKSHOP_CONTEXTS } from './workshop.ts';

export class WrongContextError extends Error {}

/**
 * Returns the kubeconfig set to the context we may act on: a workshop context (by name) that
 * points at a cluster the kit made (by its API server's address and CA, see known-clusters.ts).
 * @param explicitContext the value of --context, if the user gave one: then that context is used
 *   as asked, even if it is not a workshop context.
 * @param kubeconfig by default the user's, as kubectl reads it (see kubeconfig.ts).
 */
export function guardedKubeconfig(explicitContext?: string, kubeconfig = kubectlKubeconfig(), known = knownClusters()): KubeconfigData {
  const { clusters, users, contexts } = kubeconfig;
  if (explicitContext) {
    if (!contextNamed(kubeconfig, explicitContext)) {
      throw new WrongContextError(`context "${explicitContext}" is not in your kubeconfig`);
    }
    return { clusters, users, contexts, currentContext: explicitContext };
  }
  const current = kubeconfig.currentContext;
  const useIt = `or pass --context ${current || '<name>'} if you really mean it`;
  if (!WORKSHOP_CONTEXTS.includes(current)) {
    throw new WrongContextError(
      `refusing to act on kube context "${current || '(none)'}": it is not a workshop context ` +
        `(${WORKSHOP_CONTEXTS.join(', ')}). Start the workshop cluster with "npm run cluster -- up" ` +
        `(or "up --local"), ${useIt}.`,
    );
  }
  const identity = clusterIdentity(kubeconfig, current);
  if (!identity || !known.has(identity)) {
    throw new WrongContextError(
      `refusing to act on kube context "${current}": it has the workshop's name but points at ` +
        `${clusterOf(kubeconfig, current)?.server ?? 'no cluster'}, which is not a cluster the kit made (or not with that CA). ` +
        `Run "npm run cluster -- up" (or "up --local") to (re)create it, ${useIt}.`,
    );
  }
  return { clusters, users, contexts, currentContext: current };
}
