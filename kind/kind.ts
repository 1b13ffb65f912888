// The kind path: a real cluster in Docker containers, for what only running containers can
// show (traffic through Services and Ingress, sidecars serving files). Every step is a plain
// kind/kubectl/docker command, printed as it runs, so attendees can repeat it by hand.
import { join } from 'node:path';
import { $ } from 'zx';
import { forgetCluster, rememberCluster } from './known-clusters.ts';
import { parseKubeconfig, type KubeconfigData } from './kubeconfig.ts';
import { CLUSTER_NAME, KIND_CONTEXT } from './workshop.ts';

const root = join(import.meta.dirname, '..');

/** The image every lesson pod runs; built from sidecars/ and loaded into kind, never pushed. */
export const WORKSHOP_IMAGE = 'k8s-patterns/workshop:dev';

/**
 * PostgreSQL 15 from Debian's packages, for the lessons that run a server in a pod (11 and 12);
 * built from kind/images/postgres/ and loaded like the workshop image.
 */
export const POSTGRES_IMAGE = 'k8s-patterns/postgres:15';

/**
 * ingress-nginx's manifest for kind, pinned to a release. This is cluster plumbing, not lesson
 * material, so it is applied from the release rather than copied into the kit.
 */
export const INGRESS_MANIFEST =
  'https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.12.1/deploy/static/provider/kind/deploy.yaml';

export async function kindClusterExists(): Promise<boolean> {
  const clusters = await $({ quiet: true })`kind get clusters`;
  return clusters.stdout.split('\n').includes(CLUSTER_NAME);
}

export async function up(): Promise<void> {
  if (await kindClusterExists()) {
    console.error(`kind cluster ${CLUSTER_NAME} already exists`);
  } else {
    await $({ verbose: true })`kind create cluster --name ${CLUSTER_NAME} --config ${join(root, 'kind', 'cluster.yaml')}`;
  }
  rememberCluster(await kindKubeconfig(), KIND_CONTEXT);
  await $({ verbose: true })`kubectl --context ${KIND_CONTEXT} apply -f ${INGRESS_MANIFEST}`;
  await $({ verbose: true })`kubectl --context ${KIND_CONTEXT} wait --namespace ingress-nginx --for=condition=Available deployment/ingress-nginx-controller --timeout=300s`;
  await loadWorkshopImage();
  await loadPostgresImage();
}

/** Builds the workshop image from sidecars/ and loads it into the kind nodes. */
export async function loadWorkshopImage(): Promise<void> {
  await $({ verbose: true })`docker build -t ${WORKSHOP_IMAGE} -f ${join(root, 'sidecars', 'Dockerfile')} ${root}`;
  await $({ verbose: true })`kind load docker-image ${WORKSHOP_IMAGE} --name ${CLUSTER_NAME}`;
}

/** Builds the PostgreSQL image (its context is its own folder: a Dockerfile and the start script). */
export async function loadPostgresImage(): Promise<void> {
  const context = join(root, 'kind', 'images', 'postgres');
  await $({ verbose: true })`docker build -t ${POSTGRES_IMAGE} ${context}`;
  await $({ verbose: true })`kind load docker-image ${POSTGRES_IMAGE} --name ${CLUSTER_NAME}`;
}

export async function down(): Promise<void> {
  if (await kindClusterExists()) forgetCluster(await kindKubeconfig(), KIND_CONTEXT);
  await $({ verbose: true })`kind delete cluster --name ${CLUSTER_NAME}`;
}

/** kind's own kubeconfig for the cluster: its API server's address and CA, whatever the user's kubeconfig says. */
async function kindKubeconfig(): Promise<KubeconfigData> {
  return parseKubeconfig((await $({ quiet: true })`kind get kubeconfig --name ${CLUSTER_NAME}`).stdout);
}

export async function status(): Promise<string> {
  if (!(await kindClusterExists())) return `kind cluster ${CLUSTER_NAME}: not created`;
  const nodes = await $({ quiet: true, nothrow: true })`kubectl --context ${KIND_CONTEXT} get nodes`;
  return `kind cluster ${CLUSTER_NAME} (context ${KIND_CONTEXT}):\n${nodes.stdout || nodes.stderr}`;
}
