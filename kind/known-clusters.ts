// The clusters the kit itself made, remembered by their API server's address and CA: the context
// guard trusts a workshop-named context only when it points at one of them. A context merely
// *named* kwok-k8s-patterns or kind-k8s-patterns, pointing at some other cluster, is refused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterOf, type KubeconfigData } from './kubeconfig.ts';
import { cacheDir } from './workshop.ts';

/**
 * "https://127.0.0.1:32771 sha256:…": where a context's cluster answers, and the CA it presents.
 * A client-node KubeConfig is such data too, so the commands that have one pass it as it is.
 */
export function clusterIdentity(kubeconfig: KubeconfigData, context = kubeconfig.currentContext): string | undefined {
  const cluster = clusterOf(kubeconfig, context);
  if (!cluster) return undefined;
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : cluster.caFile && existsSync(cluster.caFile) ? readFileSync(cluster.caFile) : Buffer.alloc(0);
  return `${cluster.server} sha256:${createHash('sha256').update(ca).digest('hex')}`;
}

const dir = () => join(cacheDir(), 'clusters');
const recordOf = (identity: string) => join(dir(), `${createHash('sha256').update(identity).digest('hex').slice(0, 16)}.txt`);

/** Called once a cluster of the kit serves: from now on the guard accepts contexts pointing at it. */
export function rememberCluster(kubeconfig: KubeconfigData, context: string): void {
  const identity = clusterIdentity(kubeconfig, context);
  if (!identity) throw new Error(`context ${context} is not in the cluster's kubeconfig`);
  mkdirSync(dir(), { recursive: true });
  writeFileSync(recordOf(identity), `${identity}\n`);
}

/** Called when the cluster is deleted. */
export function forgetCluster(kubeconfig: KubeconfigData, context: string): void {
  const identity = clusterIdentity(kubeconfig, context);
  if (identity) rmSync(recordOf(identity), { force: true });
}

export function knownClusters(): Set<string> {
  if (!existsSync(dir())) return new Set();
  return new Set(readdirSync(dir()).map((name) => readFileSync(join(dir(), name), 'utf8').trim()));
}
