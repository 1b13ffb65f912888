// The real node's LoadBalancer implementation: MetalLB's controller (built from its upstream
// module), run as a process on this machine like CoreDNS. It gives each Service of type
// LoadBalancer an address from an IPAddressPool and writes it into the Service's status.
//
// MetalLB's speaker, which would announce those addresses to the network (ARP or BGP), does not
// run: nothing outside this machine could reach the pool anyway. On the machine itself, kube-proxy
// already catches traffic to a Service's load-balancer address (its iptables rules match
// status.loadBalancer.ingress), and a route sends the pool to the node's bridge, so such traffic
// never leaves through the machine's real network interface.
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, loadAllYaml, PatchStrategy, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { $ } from 'zx';
import { METALLB_VERSION } from '../workshop.ts';
import type { NodePaths } from './config-files.ts';
import { NODE_BRIDGE } from './network.ts';
import { freePort, kubeconfigEnv, startProgram, waitUntil } from './programs.ts';

/** Where MetalLB looks for its configuration, as in its own manifests. */
export const METALLB_NAMESPACE = 'metallb-system';
/** The addresses LoadBalancer Services get: beside the node IP (10.250.0.1), on no real network. */
export const LB_POOL = '10.250.1.0/24';
const POOL_NAME = 'workshop';

export async function startLoadBalancer(paths: NodePaths, kubeconfig: string, kc: KubeConfig, controller: string, log: (line: string) => void): Promise<void> {
  await installCrds(kc);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: METALLB_NAMESPACE } } });
  const pools = { group: 'metallb.io', version: 'v1beta1', namespace: METALLB_NAMESPACE, plural: 'ipaddresspools' };
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    ...pools,
    // avoidBuggyIPs leaves out .0 and .255, which some old clients take for network and broadcast.
    body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: POOL_NAME }, spec: { addresses: [LB_POOL], avoidBuggyIPs: true } },
  });

  const added = await $({ quiet: true, nothrow: true })`ip route add ${LB_POOL} dev ${NODE_BRIDGE}`;
  if (added.exitCode !== 0) throw new Error(`cannot route ${LB_POOL} to ${NODE_BRIDGE}: ${added.stderr.trim()} (does another network on this machine use it?)`);

  await startProgram(paths, 'metallb-controller', controller, [
    `--namespace=${METALLB_NAMESPACE}`,
    // The webhook validates MetalLB's objects; the API server would have to reach it through a
    // Service in front of a pod, which a host process is not. Without it there is no certificate
    // to rotate either.
    '--webhook-mode=disabled',
    // Prometheus metrics. This version has no flag for their address and listens on all of the
    // machine's, so the port is at least one nobody uses.
    `--port=${await freePort()}`,
    `--kubeconfig=${kubeconfig}`,
  ], kubeconfigEnv(kubeconfig));
  // The controller writes the pool's status once it has taken the pool on: then it assigns from it.
  const objects = kc.makeApiClient(CustomObjectsApi);
  await waitUntil(`MetalLB's controller to take on IPAddressPool ${POOL_NAME}`, async () => {
    const pool = await objects.getNamespacedCustomObject({ ...pools, name: POOL_NAME }).catch(() => undefined);
    return ((pool as { status?: { availableIPv4?: number } } | undefined)?.status?.availableIPv4 ?? 0) > 0;
  }, 60_000, paths, 'metallb-controller');
  log(`load balancer: MetalLB's controller assigns LoadBalancer addresses from ${LB_POOL} (routed to ${NODE_BRIDGE})`);
}

/** The route goes with the node bridge anyway; removed first so that tear-down does not rely on it. */
export async function removePoolRoute(): Promise<void> {
  await $({ quiet: true, nothrow: true })`ip route del ${LB_POOL} dev ${NODE_BRIDGE}`;
}

/**
 * MetalLB's CRDs, read from its module in the Go module cache (the module the controller was
 * built from, with its Apache 2.0 licence beside them), so the kit carries no copy.
 */
async function installCrds(kc: KubeConfig): Promise<void> {
  const module = `go.universe.tf/metallb@${METALLB_VERSION}`;
  let dir: string;
  try {
    const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', module], { env: { ...process.env, GOTOOLCHAIN: 'local' } });
    dir = join(JSON.parse(stdout).Dir, 'config', 'crd', 'bases');
  } catch (error) {
    throw new Error(`MetalLB's CRDs come from its module ${module}, which needs Go and the module proxy (or Go's module cache): ${(error as Error).message}`);
  }
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const crd of loadAllYaml(await readFile(join(dir, file), 'utf8')) as V1CustomResourceDefinition[]) {
      await objects.patch(crd, undefined, undefined, 'workshop-real-node', true, PatchStrategy.ServerSideApply);
      names.push(crd.metadata!.name!);
    }
  }
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 30_000;
  for (const name of names) {
    for (;;) {
      const crd = await extensions.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`MetalLB's CRD ${name} was not established within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
