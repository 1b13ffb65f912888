// The clusters the kit itself made, remembered by their API server's address and CA: the context
// guard trusts a workshop-named context only when it points at one of them. A context merely
// *named* kwok-k8s-patterns or kind-k8s-patterns, pointing at some other cluster, is refused.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { cacheDir } from './workshop.ts';

/** "https://127.0.0.1:32771 sha256:…": where a context's cluster answers, and the CA it presents. */
export function clusterIdentity(kc: KubeConfig, context = kc.getCurrentContext()): string | undefined {
  const cluster = kc.getCluster(kc.getContextObject(context)?.cluster ?? '');
  if (!cluster) return undefined;
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : cluster.caFile && existsSync(cluster.caFile) ? readFileSync(cluster.caFile) : Buffer.alloc(0);
  return `${cluster.server} sha256:${createHash('sha256').update(ca).digest('hex')}`;
}

const dir = () => join(cacheDir(), 'clusters');
const recordOf = (identity: string) => join(dir(), `${createHash('sha256').update(identity).digest('hex').slice(0, 16)}.txt`);

/** Called once a cluster of the kit serves: from now on the guard accepts contexts pointing at it. */
export function rememberCluster(kc: KubeConfig, context: string): void {
  const identity = clusterIdentity(kc, context);
  if (!identity) throw new Error(`context ${context} is not in the cluster's kubeconfig`);
  mkdirSync(dir(), { recursive: true });
  writeFileSync(recordOf(identity), `${identity}\n`);
}

/** Called when the cluster is deleted. */
export function forgetCluster(kc: KubeConfig, context: string): void {
  const identity = clusterIdentity(kc, context);
  if (identity) rmSync(recordOf(identity), { force: true });
}

export function knownClusters(): Set<string> {
  if (!existsSync(dir())) return new Set();
  return new Set(readdirSync(dir()).map((name) => readFileSync(join(dir(), name), 'utf8').trim()));
}
