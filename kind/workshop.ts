// The names and versions every workshop script agrees on. Changing the Kubernetes version here
// changes the local control plane's binaries and the real node's pause image; the kind cluster
// pins its own node image (kind/cluster.yaml, same minor), so change it there too.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CLUSTER_NAME = 'k8s-patterns';

/** Pinned Kubernetes version: the local control plane's binaries and the real node's pause image. */
export const KUBERNETES_VERSION = 'v1.33.13';
export const ETCD_VERSION = 'v3.5.21';
export const KWOK_VERSION = 'v0.7.0';
/** Cluster DNS for the real node. */
export const COREDNS_VERSION = 'v1.12.0';
/**
 * The real node's Ingress controller. v3.7 cannot be built from the module proxy at all: its go.mod
 * replaces a nested module (github.com/traefik/traefik/dynamic/ext) with a folder that the
 * published module leaves out.
 */
export const TRAEFIK_VERSION = 'v3.6.12';
/**
 * The real node's LoadBalancer implementation (its controller; the speaker does not run). v0.16
 * needs github.com/metallb/frr-k8s v0.0.27, which the module proxy does not serve.
 */
export const METALLB_VERSION = 'v0.15.2';
/** The real node's volume provisioner, behind the StorageClass `standard` (as on kind). */
export const LOCAL_PATH_PROVISIONER_VERSION = 'v0.0.30';
/**
 * The object store for Clowder's `minio` mode. MinIO tags its releases RELEASE.<date>, which are no
 * Go versions, so the module proxy knows its commits by pseudo-version only: this is the newest.
 */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

/** kind names its context kind-<cluster>, kwokctl names its context kwok-<cluster>. */
export const KIND_CONTEXT = `kind-${CLUSTER_NAME}`;
export const LOCAL_CONTEXT = `kwok-${CLUSTER_NAME}`;
export const WORKSHOP_CONTEXTS = [KIND_CONTEXT, LOCAL_CONTEXT];

/** Everything the kit caches or keeps running lives here, never in the repository. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'k8s-patterns-workshop');
}
