// Every command that changes a cluster goes through this guard first. Attendees often have a
// work cluster in their kubeconfig; a workshop step that deletes a namespace must never reach it.
// So we act only on the workshop's own clusters, unless the user names another context explicitly.
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { clusterIdentity, knownClusters } from './known-clusters.ts';
import { WORKSHOP_CONTEXTS } from './workshop.ts';

export class WrongContextError extends Error {}

/**
 * The kubeconfig exactly as kubectl reads it, so that the guard checks the context kubectl would
 * use: the files of KUBECONFIG in order (missing ones skipped), or ~/.kube/config when it is unset
 * or empty. The first file that sets current-context wins, and a cluster, user or context defined
 * in several files is the first file's. (client-node's loadFromDefault lets a later file's
 * current-context win and refuses repeated names.)
 */
export function kubectlKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const files = (listed.length ? listed : [join(env.HOME || homedir(), '.kube', 'config')]).filter((file) => existsSync(file));
  const merged = { clusters: [] as Cluster[], users: [] as User[], contexts: [] as Context[], currentContext: '' };
  const addNew = <T extends { name: string }>(into: T[], items: T[]) => {
    for (const item of items) if (!into.some((known) => known.name === item.name)) into.push(item);
  };
  for (const file of files) {
    const one = new KubeConfig();
    one.loadFromFile(file); // relative certificate paths become relative to the file, as in kubectl
    addNew(merged.clusters, one.getClusters());
    addNew(merged.users, one.getUsers());
    addNew(merged.contexts, one.getContexts());
    merged.currentContext ||= one.getCurrentContext();
  }
  const kc = new KubeConfig();
  kc.loadFromOptions(merged);
  return kc;
}

/**
 * Returns a KubeConfig set to the context we may act on: a workshop context (by name) that points
 * at a cluster the kit made (by its API server's address and CA, see known-clusters.ts).
 * @param explicitContext the value of --context, if the user gave one: then that context is used
 *   as asked, even if it is not a workshop context.
 */
export function guardedKubeConfig(explicitContext?: string, kubeconfig = kubectlKubeConfig(), known = knownClusters()): KubeConfig {
  if (explicitContext) {
    if (!kubeconfig.getContextObject(explicitContext)) {
      throw new WrongContextError(`context "${explicitContext}" is not in your kubeconfig`);
    }
    kubeconfig.setCurrentContext(explicitContext);
    return kubeconfig;
  }
  const current = kubeconfig.getCurrentContext();
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
        `${kubeconfig.getCurrentCluster()?.server ?? 'no cluster'}, which is not a cluster the kit made (or not with that CA). ` +
        `Run "npm run cluster -- up" (or "up --local") to (re)create it, ${useIt}.`,
    );
  }
  return kubeconfig;
}
